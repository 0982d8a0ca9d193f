// ZoneTable: every name the scheduler is authoritative for: the CDN zone (SOA, NS, its static
// records and one geo name `<customer-domain>.<zone>` per domain in the domain table) plus the
// extra zones served as configured. Names are lowercased wire keys; empty non-terminals are
// present so they answer NODATA, not NXDOMAIN (RFC 8020). Built on the control thread, then
// immutable and shared by the workers.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dns-scheduler/config.h"
#include "lib/dns/rdata.h"

namespace cdn::sched {

struct ZoneNode {
  int zone = 0;
  bool geo = false;                  // A/AAAA come from the decision
  std::vector<dns::Record> records;  // static RRs (any type), in config order
  int cname = -1;                    // index of the CNAME in records, if any
};

struct Zone {
  std::string apex;  // wire
  dns::Record soa;
  std::vector<dns::Record> ns;
  uint32_t negative_ttl = 30;  // RFC 2308 5: min(SOA TTL, SOA MINIMUM)
};

class ZoneTable {
 public:
  // `domains`: customer domains (text, no zone suffix) from config and the central API.
  static base::Result<std::shared_ptr<const ZoneTable>> Build(const SchedulerConfig& c,
                                                              const std::vector<std::string>& domains,
                                                              uint32_t serial);

  const ZoneNode* Find(std::string_view qname) const;
  // The served zone enclosing qname, or -1 (then the answer is REFUSED).
  int FindZone(std::string_view qname) const;
  const Zone& zone(int i) const { return zones_[i]; }
  size_t zone_count() const { return zones_.size(); }
  size_t geo_names() const { return geo_names_; }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  ZoneNode& NodeAt(const std::string& name, int zone);
  std::vector<Zone> zones_;
  std::unordered_map<std::string, int, Hash, std::equal_to<>> zone_index_;
  std::unordered_map<std::string, ZoneNode, Hash, std::equal_to<>> nodes_;
  size_t geo_names_ = 0;
};

}  // namespace cdn::sched
