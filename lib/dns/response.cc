#include "lib/dns/response.h"

#include "lib/dns/knot.h"

#include <cstring>

#include "lib/dns/arena.h"

namespace cdn::dns {

struct ResponseWriter::Impl {
  Arena arena;
  knot_pkt_t* pkt = nullptr;
  knot_rrset_t opt;
  bool has_opt = false;
  uint16_t opt_reserved = 0;
  uint8_t* ecs_data = nullptr;  // reserved option space, filled at Finish
  uint16_t ecs_len = 0;
  knot_edns_client_subnet_t ecs;
  int section = -1;
  // Space for a single RDATA record (knot_rdata_t: 2-byte length + data + pad).
  alignas(8) uint8_t rdata_buf[2 + kMaxMessage + 1];
};

ResponseWriter::ResponseWriter() : impl_(std::make_unique<Impl>()) {}
ResponseWriter::~ResponseWriter() = default;

void ResponseWriter::Begin(const Query& q, uint8_t* out, size_t limit, bool with_question,
                           uint16_t our_payload) {
  Impl& m = *impl_;
  m.arena.Reset();
  rcode_ = kRcodeNoError;
  aa_ = false;
  ecs_scope_ = 0;
  last_rdata_name_pos_ = 0;
  m.has_opt = false;
  m.opt_reserved = 0;
  m.ecs_data = nullptr;
  m.section = -1;
  if (limit > kMaxMessage) limit = kMaxMessage;
  if (limit < kMaxUdpNoEdns) limit = kMaxUdpNoEdns;

  m.pkt = knot_pkt_new(out, static_cast<uint16_t>(limit), m.arena.mm());
  knot_pkt_clear(m.pkt);  // header only, zeroed
  if (with_question && !q.qname_original.empty()) {
    knot_pkt_put_question(m.pkt, reinterpret_cast<const knot_dname_t*>(q.qname_original.data()),
                          q.qclass, q.qtype);
  }
  uint8_t* w = m.pkt->wire;
  knot_wire_set_id(w, q.id);
  knot_wire_set_qr(w);
  knot_wire_set_opcode(w, q.opcode);
  if (q.rd) knot_wire_set_rd(w);
  if (q.cd) knot_wire_set_cd(w);

  if (q.edns) {
    // RFC 6891 7: respond with an OPT RR when the query had one (also for BADVERS, version 0).
    if (knot_edns_init(&m.opt, our_payload, 0, 0, m.arena.mm()) != KNOT_EOK) return;
    if (q.dnssec_ok) knot_edns_set_do(&m.opt);  // RFC 3225 3: the DO bit is copied
    if (q.has_ecs) {
      std::memset(&m.ecs, 0, sizeof(m.ecs));
      m.ecs.family = q.ecs.family;
      m.ecs.source_len = q.ecs.source_prefix;
      m.ecs.scope_len = 0;
      std::memcpy(m.ecs.address, q.ecs.address, sizeof(m.ecs.address));
      m.ecs_len = knot_edns_client_subnet_size(&m.ecs);
      if (knot_edns_reserve_option(&m.opt, kEdnsOptionClientSubnet, m.ecs_len, &m.ecs_data, m.arena.mm()) != KNOT_EOK) {
        m.ecs_data = nullptr;
      }
    }
    m.opt_reserved = static_cast<uint16_t>(knot_edns_wire_size(&m.opt));
    if (knot_pkt_reserve(m.pkt, m.opt_reserved) == KNOT_EOK) m.has_opt = true;
  }
}

bool ResponseWriter::Add(Section section, std::string_view owner, uint16_t type, uint32_t ttl,
                         std::string_view rdata, uint16_t owner_hint) {
  Impl& m = *impl_;
  if (rdata.size() > kMaxMessage || owner.empty()) return false;
  int sec = static_cast<int>(section);
  if (sec < m.section) return false;
  if (sec != m.section) {
    knot_pkt_begin(m.pkt, static_cast<knot_section_t>(KNOT_ANSWER + sec));
    m.section = sec;
  }
  auto* rd = reinterpret_cast<knot_rdata_t*>(m.rdata_buf);
  knot_rdata_init(rd, static_cast<uint16_t>(rdata.size()), reinterpret_cast<const uint8_t*>(rdata.data()));
  knot_rrset_t rr;
  knot_rrset_init(&rr, reinterpret_cast<knot_dname_t*>(const_cast<char*>(owner.data())), type, KNOT_CLASS_IN, ttl);
  rr.rrs.count = 1;
  rr.rrs.size = static_cast<uint32_t>(knot_rdata_size(rd->len));
  rr.rrs.rdata = rd;
  // Additional data may be dropped silently (RFC 2181 9); elsewhere knot sets TC on ESPACE.
  uint16_t flags = section == Section::kAdditional ? KNOT_PF_NOTRUNC : 0;
  uint16_t before = m.pkt->rrset_count;
  int ret = knot_pkt_put(m.pkt, owner_hint, &rr, flags);
  if (ret != KNOT_EOK) return false;
  last_rdata_name_pos_ = 0;
  if (m.pkt->rrset_count > before) {
    last_rdata_name_pos_ = m.pkt->rr_info[m.pkt->rrset_count - 1].compress_ptr[KNOT_COMPR_HINT_RDATA];
  }
  return true;
}

bool ResponseWriter::truncated() const { return knot_wire_get_tc(impl_->pkt->wire) != 0; }

size_t ResponseWriter::Finish() {
  Impl& m = *impl_;
  uint8_t* w = m.pkt->wire;
  if (aa_) knot_wire_set_aa(w);
  knot_wire_set_rcode(w, KNOT_EDNS_RCODE_LO(rcode_));
  if (m.has_opt) {
    knot_edns_set_ext_rcode(&m.opt, KNOT_EDNS_RCODE_HI(rcode_));
    if (m.ecs_data != nullptr) {
      m.ecs.scope_len = ecs_scope_;
      knot_edns_client_subnet_write(m.ecs_data, m.ecs_len, &m.ecs);
    }
    knot_pkt_reclaim(m.pkt, m.opt_reserved);
    if (m.section < static_cast<int>(Section::kAdditional)) knot_pkt_begin(m.pkt, KNOT_ADDITIONAL);
    m.section = static_cast<int>(Section::kAdditional);
    knot_pkt_put(m.pkt, KNOT_COMPR_HINT_NONE, &m.opt, KNOT_PF_NOTRUNC);
  }
  return m.pkt->size;
}

}  // namespace cdn::dns
