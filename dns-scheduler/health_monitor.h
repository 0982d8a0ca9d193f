// HealthMonitor: probes every edge's /healthz (GET, timeout) each `health.interval` on the
// control loop and keeps an EdgeState per edge id: down after `fall` failed probes in a row,
// up again after `rise` good ones, draining (200/503 with "status":"draining") dropped at
// once, overloaded when egress reaches capacity. Probes are asynchronous and never touch the
// DNS workers: a change calls `on_change`, which republishes the Routing. Control thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dns-scheduler/config.h"
#include "dns-scheduler/decision.h"
#include "dns-scheduler/geo_map.h"
#include "lib/net/event_loop.h"
#include "lib/net/http_client.h"

namespace cdn::sched {

// One probe's outcome, parsed from the HTTP response.
struct ProbeResult {
  enum class Kind { kOk, kDraining, kFailed };
  Kind kind = Kind::kFailed;
  uint64_t egress_bps = 0;
  uint64_t capacity_bps = 0;
  uint64_t connections = 0;
  std::string node_id;
  std::string error;
};
ProbeResult ParseHealthResponse(const net::HttpResponse& r);

// The fall/rise state machine of one edge (pure, unit-tested).
struct ProbeState {
  EdgeState state;
  int fails = 0;
  int oks = 0;
  uint64_t probes = 0;
  uint64_t failures = 0;
  std::string last_error;
  std::string node_id;
  // Applies a result; returns true when the routing-relevant state (up, draining,
  // overloaded) changed.
  bool Apply(const ProbeResult& r, int fall, int rise, uint64_t configured_capacity_bps);
};

class HealthMonitor {
 public:
  HealthMonitor(net::EventLoop* loop, std::function<void()> on_change);
  ~HealthMonitor();

  // (Re)configures the probed edges; state is kept for ids that stay. Starts probing at once.
  void Configure(const std::vector<Edge>& edges, const HealthConfig& config);
  // States aligned with `map`'s edges (unknown ids: up).
  std::vector<EdgeState> States(const GeoMap& map) const;
  const std::map<std::string, ProbeState>& probes() const { return probes_; }
  uint64_t probe_failures() const;

 private:
  struct Target {
    std::string url;
    uint64_t capacity_bps = 0;
    uint64_t in_flight = 0;  // HttpClient id, 0 when idle
  };
  void Tick();

  net::EventLoop* loop_;
  std::function<void()> on_change_;
  HealthConfig config_;
  std::map<std::string, Target> targets_;
  std::map<std::string, ProbeState> probes_;
  std::unique_ptr<net::HttpClient> client_;
  std::unique_ptr<net::Timer> timer_;
};

}  // namespace cdn::sched
