// Routing: everything a worker needs to answer, as one immutable value: the zone table, the
// geo map, the edges' health states (aligned with the geo map's edges) and metric slots.
// The control thread builds a new Routing whenever config, domains or health change and
// publishes it through RoutingHolder; each worker keeps a RoutingReader that re-reads the
// shared_ptr only when the generation moved (no shared refcount traffic per query).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "dns-scheduler/decision.h"
#include "dns-scheduler/geo_map.h"
#include "dns-scheduler/zone_table.h"

namespace cdn::sched {

struct Routing {
  std::shared_ptr<const ZoneTable> zones;
  std::shared_ptr<const GeoMap> geo;
  std::vector<EdgeState> states;  // by edge index in geo
  std::vector<int> pool_slot;     // metric region slot per pool
  std::vector<int> edge_slot;     // metric edge slot per edge
};

class SlotRegistry;

// Assembles a Routing; `states` is resized to the geo map's edges (missing ones count as up).
// The registries (may be null) give the pools and edges their metric slots.
std::shared_ptr<const Routing> MakeRouting(std::shared_ptr<const ZoneTable> zones, std::shared_ptr<const GeoMap> geo,
                                           std::vector<EdgeState> states, SlotRegistry* regions,
                                           SlotRegistry* edges);

class RoutingHolder {
 public:
  void Publish(std::shared_ptr<const Routing> r) {
    std::lock_guard<std::mutex> lock(mu_);
    cur_ = std::move(r);
    gen_.fetch_add(1, std::memory_order_release);
  }
  std::shared_ptr<const Routing> Get() const {
    std::lock_guard<std::mutex> lock(mu_);
    return cur_;
  }
  uint64_t generation() const { return gen_.load(std::memory_order_acquire); }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const Routing> cur_;
  std::atomic<uint64_t> gen_{0};
};

// One per worker thread.
class RoutingReader {
 public:
  explicit RoutingReader(const RoutingHolder* holder) : holder_(holder) {}
  // Null until something was published.
  const Routing* Current() {
    uint64_t g = holder_->generation();
    if (g != seen_) {
      cur_ = holder_->Get();
      seen_ = g;
    }
    return cur_.get();
  }

 private:
  const RoutingHolder* holder_;
  uint64_t seen_ = ~uint64_t{0};
  std::shared_ptr<const Routing> cur_;
};

}  // namespace cdn::sched
