#include "dns-scheduler/geo_map.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>

namespace cdn::sched {

double DistanceKm(double lat1, double lon1, double lat2, double lon2) {
  constexpr double kRad = M_PI / 180.0;
  double dlat = (lat2 - lat1) * kRad;
  double dlon = (lon2 - lon1) * kRad;
  double a = std::sin(dlat / 2) * std::sin(dlat / 2) +
             std::cos(lat1 * kRad) * std::cos(lat2 * kRad) * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * 6371.0 * std::asin(std::min(1.0, std::sqrt(a)));
}

base::Result<std::shared_ptr<const GeoMap>> GeoMap::Build(const SchedulerConfig& c, std::shared_ptr<GeoDb> db) {
  auto m = std::make_shared<GeoMap>();
  m->db_ = std::move(db);
  m->answers_ = c.answers;
  m->ttl_ = c.ttl;
  std::map<std::string, int> pool_index;
  for (const auto& ec : c.edges) {
    Edge e;
    e.id = ec.id;
    if (ec.address) {
      e.has_v4 = true;
      std::memcpy(e.v4, ec.address->bytes, 4);
    }
    if (ec.address6) {
      e.has_v6 = true;
      std::memcpy(e.v6, ec.address6->bytes, 16);
    }
    e.weight = ec.weight;
    e.capacity_bps = ec.capacity_bps;
    e.has_location = ec.has_location;
    e.lat = ec.lat;
    e.lon = ec.lon;
    e.health_url = ec.health_url;
    auto [it, fresh] = pool_index.emplace(ec.region, static_cast<int>(m->pools_.size()));
    if (fresh) {
      Pool p;
      p.name = ec.region;
      m->pools_.push_back(std::move(p));
    }
    e.pool = it->second;
    m->pools_[e.pool].edges.push_back(static_cast<int>(m->edges_.size()));
    m->edges_.push_back(std::move(e));
  }
  // A pool sits at the mean position of its located edges (a region is one site or metro).
  for (auto& p : m->pools_) {
    double lat = 0, lon = 0;
    int n = 0;
    for (int ei : p.edges) {
      const Edge& e = m->edges_[ei];
      if (!e.has_location) continue;
      lat += e.lat;
      lon += e.lon;
      ++n;
    }
    if (n > 0) {
      p.has_location = true;
      p.lat = lat / n;
      p.lon = lon / n;
    }
  }
  // Failover order per pool: itself, then the others nearest-first (config order for pools
  // without coordinates, after the located ones).
  const int np = static_cast<int>(m->pools_.size());
  for (int i = 0; i < np; ++i) {
    Pool& p = m->pools_[i];
    std::vector<std::pair<double, int>> others;
    for (int j = 0; j < np; ++j) {
      if (j == i) continue;
      const Pool& q = m->pools_[j];
      double d = (p.has_location && q.has_location) ? DistanceKm(p.lat, p.lon, q.lat, q.lon) : 1e9 + j;
      others.emplace_back(d, j);
    }
    std::stable_sort(others.begin(), others.end());
    p.order.push_back(i);
    for (auto& [d, j] : others) p.order.push_back(j);
  }
  if (!c.default_region.empty()) {
    m->default_order_ = m->pools_[pool_index.at(c.default_region)].order;
  } else {
    for (int i = 0; i < np; ++i) m->default_order_.push_back(i);
  }
  for (const auto& r : c.regions) {
    int value = static_cast<int>(m->rule_prefixes_.size());
    m->rule_prefixes_.push_back(r.prefix);
    m->rule_pools_.push_back(pool_index.at(r.region));
    m->rules_.Insert(r.prefix, value);
  }
  return std::shared_ptr<const GeoMap>(std::move(m));
}

int GeoMap::FindEdge(std::string_view id) const {
  for (size_t i = 0; i < edges_.size(); ++i) {
    if (edges_[i].id == id) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace cdn::sched
