#include "lib/dns/query.h"

#include "lib/dns/knot.h"

#include <cstring>

#include "lib/dns/arena.h"
#include "lib/dns/wire.h"

namespace cdn::dns {

struct QueryParser::Impl {
  Arena arena;
  uint8_t lower[kMaxNameWire];
  uint8_t original[kMaxNameWire];
};

QueryParser::QueryParser() : impl_(std::make_unique<Impl>()) {}
QueryParser::~QueryParser() = default;

namespace {

// RFC 7871 6: ADDRESS carries ceil(SOURCE PREFIX-LENGTH / 8) octets and bits past the prefix
// MUST be zero; a prefix longer than the family's address is malformed.
// Checked on the raw option: knot's parser masks the address for us, hiding the error.
bool EcsValid(const knot_edns_client_subnet_t& ecs, const uint8_t* data, uint16_t len) {
  size_t max_bits = ecs.family == kEcsFamilyIpv4 ? 32 : ecs.family == kEcsFamilyIpv6 ? 128 : 0;
  if (max_bits == 0 || ecs.source_len > max_bits || ecs.scope_len > max_bits) return false;
  size_t addr_len = (ecs.source_len + 7u) / 8u;
  if (len != 4 + addr_len) return false;
  unsigned rem = ecs.source_len % 8;
  if (rem != 0 && (data[4 + addr_len - 1] & static_cast<uint8_t>(0xff >> rem)) != 0) return false;
  return true;
}

}  // namespace

ParseResult QueryParser::Parse(std::string_view wire, Query* q) {
  *q = Query();
  if (wire.size() < kHeaderSize) return ParseResult::kDrop;
  const auto* w = reinterpret_cast<const uint8_t*>(wire.data());
  q->id = knot_wire_get_id(w);
  q->opcode = knot_wire_get_opcode(w);
  q->rd = knot_wire_get_rd(w);
  q->cd = knot_wire_get_cd(w);
  if (knot_wire_get_qr(w)) return ParseResult::kDrop;  // never answer a response (loops)
  if (q->opcode != kOpcodeQuery) return ParseResult::kNotImp;
  if (knot_wire_get_qdcount(w) != 1) return ParseResult::kFormErr;
  if (wire.size() > kMaxMessage) return ParseResult::kFormErr;

  Arena& arena = impl_->arena;
  arena.Reset();
  // KEEPWIRE: knot would otherwise strip a TSIG RR by editing the (caller's, const) buffer.
  knot_pkt_t* pkt = knot_pkt_new(const_cast<uint8_t*>(w), static_cast<uint16_t>(wire.size()), arena.mm());
  if (pkt == nullptr) return ParseResult::kFormErr;
  int ret = knot_pkt_parse(pkt, KNOT_PF_KEEPWIRE | KNOT_PF_NOCANON);
  if (ret != KNOT_EOK) return ParseResult::kFormErr;  // includes KNOT_ETRAIL (trailing garbage)
  if (pkt->qname_size == 0 || pkt->qname_size > kMaxNameWire) return ParseResult::kFormErr;

  std::memcpy(impl_->original, knot_pkt_wire_qname(pkt), pkt->qname_size);
  std::memcpy(impl_->lower, knot_pkt_qname(pkt), pkt->qname_size);
  q->qname = std::string_view(reinterpret_cast<const char*>(impl_->lower), pkt->qname_size);
  q->qname_original = std::string_view(reinterpret_cast<const char*>(impl_->original), pkt->qname_size);
  q->qtype = knot_pkt_qtype(pkt);
  q->qclass = knot_pkt_qclass(pkt);

  if (knot_pkt_has_edns(pkt)) {
    // RFC 6891 6.1.1: the OPT owner must be root; knot_pkt_parse already rejects a second OPT.
    if (pkt->opt_rr->owner == nullptr || pkt->opt_rr->owner[0] != 0) return ParseResult::kFormErr;
    q->edns = true;
    q->edns_version = knot_edns_get_version(pkt->opt_rr);
    q->edns_payload = knot_edns_get_payload(pkt->opt_rr);
    q->dnssec_ok = knot_edns_do(pkt->opt_rr);
    uint8_t* opt = knot_pkt_edns_option(pkt, kEdnsOptionClientSubnet);
    if (opt != nullptr) {
      knot_edns_client_subnet_t ecs;
      std::memset(&ecs, 0, sizeof(ecs));
      const uint8_t* data = knot_edns_opt_get_data(opt);
      uint16_t len = knot_edns_opt_get_length(opt);
      if (knot_edns_client_subnet_parse(&ecs, data, len) != KNOT_EOK || !EcsValid(ecs, data, len)) {
        q->edns = false;  // answer FORMERR without echoing a broken OPT
        return ParseResult::kFormErr;
      }
      q->has_ecs = true;
      q->ecs.family = ecs.family;
      q->ecs.source_prefix = ecs.source_len;
      q->ecs.scope_prefix = ecs.scope_len;
      std::memcpy(q->ecs.address, ecs.address, sizeof(q->ecs.address) < sizeof(ecs.address) ? sizeof(q->ecs.address) : sizeof(ecs.address));
    }
  }
  return ParseResult::kOk;
}

}  // namespace cdn::dns
