#include "dns-scheduler/zone_table.h"

#include "lib/base/log.h"
#include "lib/dns/name.h"
#include "lib/dns/wire.h"

namespace cdn::sched {

ZoneNode& ZoneTable::NodeAt(const std::string& name, int zone) {
  auto [it, fresh] = nodes_.try_emplace(name);
  if (fresh) it->second.zone = zone;
  return it->second;
}

base::Result<std::shared_ptr<const ZoneTable>> ZoneTable::Build(const SchedulerConfig& c,
                                                                const std::vector<std::string>& domains,
                                                                uint32_t serial) {
  auto t = std::make_shared<ZoneTable>();
  auto mname = dns::NameFromText(c.ns.front());
  auto rname = dns::NameFromText(c.rname);
  if (!mname.ok()) return mname.status();
  if (!rname.ok()) return rname.status();

  struct Source {
    std::string name;
    const std::vector<RecordConfig>* records;
  };
  std::vector<Source> sources = {{c.zone, &c.records}};
  for (const auto& z : c.zones) sources.push_back({z.name, &z.records});

  for (size_t zi = 0; zi < sources.size(); ++zi) {
    const int zone = static_cast<int>(zi);
    Zone z;
    auto apex = dns::NameFromText(sources[zi].name);
    if (!apex.ok()) return apex.status();
    z.apex = *apex;
    z.soa = {z.apex, dns::kTypeSoa, c.ns_ttl,
             dns::SoaRdata(*mname, *rname, serial, c.soa_refresh, c.soa_retry, c.soa_expire, c.soa_minimum)};
    z.negative_ttl = std::min(c.ns_ttl, c.soa_minimum);
    bool own_ns = false;
    for (const auto& r : *sources[zi].records) {
      auto owner = dns::NameFromText(r.name);
      if (!owner.ok()) return owner.status();
      if (*owner == z.apex && r.type == dns::kTypeSoa) return base::Status::Invalid("zone " + sources[zi].name + ": SOA is generated; set `soa:` instead");
      if (*owner == z.apex && r.type == dns::kTypeNs) own_ns = true;
    }
    if (!own_ns) {
      for (const auto& ns : c.ns) {
        auto n = dns::NameFromText(ns);
        if (!n.ok()) return n.status();
        z.ns.push_back({z.apex, dns::kTypeNs, c.ns_ttl, *n});
      }
    }
    t->zone_index_[z.apex] = zone;
    ZoneNode& apex_node = t->NodeAt(z.apex, zone);
    apex_node.records.push_back(z.soa);
    for (const auto& ns : z.ns) apex_node.records.push_back(ns);
    for (const auto& r : *sources[zi].records) {
      auto owner = dns::NameFromText(r.name);
      ZoneNode& node = t->NodeAt(*owner, zone);
      if (r.type == dns::kTypeCname ? !node.records.empty() : node.cname >= 0) {
        return base::Status::Invalid("zone " + sources[zi].name + ": " + r.name +
                                     " has a CNAME and other data (RFC 1034 3.6.2)");
      }
      if (r.type == dns::kTypeCname) node.cname = static_cast<int>(node.records.size());
      node.records.push_back({*owner, r.type, r.ttl, r.rdata});
      if (*owner == z.apex && r.type == dns::kTypeNs) z.ns.push_back(node.records.back());
    }
    t->zones_.push_back(std::move(z));
  }

  // Geo names: <domain>.<zone>.
  for (const auto& d : domains) {
    auto name = dns::NameFromText(d + "." + c.zone);
    if (!name.ok()) {
      LOG(WARN) << "skipping domain '" << d << "': " << name.status().message();
      continue;
    }
    ZoneNode& node = t->NodeAt(*name, 0);
    if (node.cname >= 0) {
      LOG(WARN) << "domain " << d << ": a static CNAME owns " << dns::NameToText(*name) << "; not scheduling it";
      continue;
    }
    if (!node.geo) ++t->geo_names_;
    node.geo = true;
  }

  // Empty non-terminals between every owner and its zone apex.
  std::vector<std::pair<std::string, int>> names;
  for (const auto& [name, node] : t->nodes_) names.emplace_back(name, node.zone);
  for (const auto& [name, zone] : names) {
    std::string_view p = dns::NameParent(name);
    const std::string& apex = t->zones_[zone].apex;
    while (p.size() > apex.size() && dns::NameIsUnder(p, apex)) {
      t->NodeAt(std::string(p), zone);
      p = dns::NameParent(p);
    }
  }
  return std::shared_ptr<const ZoneTable>(std::move(t));
}

const ZoneNode* ZoneTable::Find(std::string_view qname) const {
  auto it = nodes_.find(qname);
  return it == nodes_.end() ? nullptr : &it->second;
}

int ZoneTable::FindZone(std::string_view qname) const {
  std::string_view s = qname;
  for (;;) {
    auto it = zone_index_.find(s);
    if (it != zone_index_.end()) return it->second;
    if (s.empty() || s[0] == '\0') return -1;
    s = dns::NameParent(s);
  }
}

}  // namespace cdn::sched
