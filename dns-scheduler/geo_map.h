// GeoMap: the immutable view the decision runs on: edges grouped into pools (one per region,
// located at the mean of its edges' coordinates), the explicit CIDR -> region rules, the
// nearest-first pool order for every region, and the optional geoip database. Built from a
// SchedulerConfig on the control thread, then shared read-only by every worker (gdnsd's
// "geo maps as snapshots swapped atomically").
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dns-scheduler/cidr_map.h"
#include "dns-scheduler/config.h"
#include "dns-scheduler/geo_db.h"

namespace cdn::sched {

// Great-circle distance in km (haversine on a 6371 km sphere).
double DistanceKm(double lat1, double lon1, double lat2, double lon2);

struct Edge {
  std::string id;
  bool has_v4 = false;
  bool has_v6 = false;
  uint8_t v4[4] = {};
  uint8_t v6[16] = {};
  int pool = 0;
  uint32_t weight = 100;
  uint64_t capacity_bps = 0;
  bool has_location = false;
  double lat = 0, lon = 0;
  std::string health_url;
};

struct Pool {
  std::string name;  // the region
  std::vector<int> edges;
  bool has_location = false;
  double lat = 0, lon = 0;
  std::vector<int> order;  // pools nearest-first, this one first
};

class GeoMap {
 public:
  static base::Result<std::shared_ptr<const GeoMap>> Build(const SchedulerConfig& c, std::shared_ptr<GeoDb> db);

  const std::vector<Edge>& edges() const { return edges_; }
  const std::vector<Pool>& pools() const { return pools_; }
  const CidrMap& rules() const { return rules_; }
  const std::vector<Prefix>& rule_prefixes() const { return rule_prefixes_; }  // by rule value
  const std::vector<int>& rule_pools() const { return rule_pools_; }          // by rule value
  const std::vector<int>& default_order() const { return default_order_; }
  const GeoDb* geodb() const { return db_.get(); }
  int answers() const { return answers_; }
  uint32_t ttl() const { return ttl_; }
  int FindEdge(std::string_view id) const;

 private:
  std::vector<Edge> edges_;
  std::vector<Pool> pools_;
  CidrMap rules_;
  std::vector<Prefix> rule_prefixes_;
  std::vector<int> rule_pools_;
  std::vector<int> default_order_;
  std::shared_ptr<GeoDb> db_;
  int answers_ = 2;
  uint32_t ttl_ = 30;
};

}  // namespace cdn::sched
