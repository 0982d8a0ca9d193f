#include "dns-scheduler/authority.h"

#include <cstring>

#include "lib/dns/name.h"
#include "lib/dns/wire.h"

namespace cdn::sched {
namespace {

constexpr int kMaxChain = 8;  // CNAME hops followed inside served zones

void AddNegative(const ZoneTable& zt, int zone, dns::ResponseWriter* w) {
  const Zone& z = zt.zone(zone);
  w->Add(dns::Section::kAuthority, z.soa.owner, z.soa.type, z.negative_ttl, z.soa.rdata);
}

// Glue for in-zone name servers (RFC 1034 4.3.2 step 3b/6): their A/AAAA from the zone data.
void AddGlue(const ZoneTable& zt, const ZoneNode& node, dns::ResponseWriter* w) {
  for (const auto& rec : node.records) {
    if (rec.type != dns::kTypeNs) continue;
    const ZoneNode* target = zt.Find(rec.rdata);
    if (target == nullptr) continue;
    for (const auto& g : target->records) {
      if (g.type == dns::kTypeA || g.type == dns::kTypeAaaa) {
        w->Add(dns::Section::kAdditional, g.owner, g.type, g.ttl, g.rdata);
      }
    }
  }
}

}  // namespace

IpAddr ClientAddress(const dns::Query& q, const IpAddr& source) {
  if (!q.has_ecs || q.ecs.source_prefix == 0) return source;
  IpAddr a;
  a.family = q.ecs.family == dns::kEcsFamilyIpv4 ? 4 : 6;
  std::memcpy(a.bytes, q.ecs.address, a.family == 4 ? 4 : 16);
  return a;
}

void Answer(const Routing& r, const dns::Query& q, const IpAddr& source, Rng* rng, dns::ResponseWriter* w,
            AnswerInfo* info) {
  info->geo = false;
  if (q.edns && q.edns_version > 0) {  // RFC 6891 6.1.3
    w->SetRcode(dns::kRcodeBadVers);
    return;
  }
  if (q.qclass != dns::kClassIn && q.qclass != dns::kClassAny) {
    w->SetRcode(dns::kRcodeRefused);
    return;
  }
  if (q.qtype == dns::kTypeAxfr || q.qtype == dns::kTypeIxfr) {  // no zone transfers
    w->SetRcode(dns::kRcodeRefused);
    return;
  }
  if (q.qtype == dns::kTypeOpt) {  // RFC 6891 6.1.1: OPT is not a question type
    w->SetRcode(dns::kRcodeFormErr);
    return;
  }

  const ZoneTable& zt = *r.zones;
  std::string_view name = q.qname;
  uint16_t hint = dns::ResponseWriter::kHintQname;
  for (int hop = 0; hop <= kMaxChain; ++hop) {
    const ZoneNode* node = zt.Find(name);
    if (node == nullptr) {
      int zone = zt.FindZone(name);
      if (zone < 0) {
        // Outside every served zone: refuse the question; a chain leaving our zones just ends.
        if (hop == 0) w->SetRcode(dns::kRcodeRefused);
        return;
      }
      if (hop == 0) w->SetAuthoritative();
      w->SetRcode(dns::kRcodeNxDomain);  // RFC 6604: the rcode speaks for the last name
      AddNegative(zt, zone, w);
      return;
    }
    if (hop == 0) w->SetAuthoritative();

    if (node->cname >= 0 && q.qtype != dns::kTypeCname && q.qtype != dns::kTypeAny) {
      const dns::Record& c = node->records[node->cname];
      if (!w->Add(dns::Section::kAnswer, name, c.type, c.ttl, c.rdata, hint)) return;
      hint = w->last_rdata_name_pos();
      name = c.rdata;
      // Loop guard: a chain that comes back to the question name stops here.
      if (name == q.qname) return;
      continue;
    }

    bool answered = false;
    if (node->geo && (q.qtype == dns::kTypeA || q.qtype == dns::kTypeAaaa || q.qtype == dns::kTypeAny)) {
      const GeoMap& geo = *r.geo;
      bool v6 = q.qtype == dns::kTypeAaaa;
      info->geo = true;
      Decide(geo, r.states, ClientAddress(q, source), v6, rng, &info->decision);
      const Decision& d = info->decision;
      if (q.has_ecs && q.ecs.source_prefix > 0) w->SetEcsScope(static_cast<uint8_t>(d.scope));
      for (int i = 0; i < d.count; ++i) {
        const Edge& e = geo.edges()[d.edges[i]];
        std::string_view rdata = v6 ? std::string_view(reinterpret_cast<const char*>(e.v6), 16)
                                    : std::string_view(reinterpret_cast<const char*>(e.v4), 4);
        if (!w->Add(dns::Section::kAnswer, name, v6 ? dns::kTypeAaaa : dns::kTypeA, geo.ttl(), rdata, hint)) return;
        answered = true;
      }
    } else {
      // RFC 8482 4.1: ANY gets one RRset (the first type present), not everything.
      uint16_t type = q.qtype;
      if (type == dns::kTypeAny && !node->records.empty()) type = node->records.front().type;
      for (const auto& rec : node->records) {
        if (rec.type != type) continue;
        if (!w->Add(dns::Section::kAnswer, name, rec.type, rec.ttl, rec.rdata, hint)) return;
        answered = true;
      }
      if (answered && type == dns::kTypeNs) AddGlue(zt, *node, w);
    }
    if (!answered) AddNegative(zt, node->zone, w);  // NODATA
    return;
  }
}

}  // namespace cdn::sched
