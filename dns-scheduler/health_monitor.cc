#include "dns-scheduler/health_monitor.h"

#include "lib/base/json.h"
#include "lib/base/log.h"

namespace cdn::sched {

ProbeResult ParseHealthResponse(const net::HttpResponse& r) {
  ProbeResult p;
  if (!r.ok()) {
    p.error = r.error;
    return p;
  }
  if (r.status != 200 && r.status != 503) {
    p.error = "HTTP " + std::to_string(r.status);
    return p;
  }
  auto json = base::JsonValue::Parse(r.body);
  std::string status = r.status == 503 ? "draining" : "ok";
  if (json.ok() && json->is_object()) {
    const base::JsonValue& j = *json;
    if (j["status"].is_string()) status = j["status"].str();
    p.egress_bps = j["egress_bps"].uint_or(p.egress_bps);
    if (uint64_t c = j["capacity_bps"].uint_or(0); c > 0) p.capacity_bps = c;  // 0: not said
    p.connections = j["connections"].uint_or(p.connections);
    if (j["node_id"].is_string()) p.node_id = j["node_id"].str();
  } else if (r.status == 200 && !r.body.empty() && r.body[0] == '{') {
    p.error = "bad /healthz JSON: " + json.status().message();
    return p;
  }
  if (r.status == 503 || status == "draining") {
    p.kind = ProbeResult::Kind::kDraining;
  } else if (status == "ok") {
    p.kind = ProbeResult::Kind::kOk;
  } else {
    p.error = "status '" + status + "'";
  }
  return p;
}

bool ProbeState::Apply(const ProbeResult& r, int fall, int rise, uint64_t configured_capacity_bps) {
  EdgeState before = state;
  ++probes;
  if (r.kind == ProbeResult::Kind::kFailed) {
    ++failures;
    oks = 0;
    ++fails;
    last_error = r.error;
    if (state.up && fails >= fall) state.up = false;
  } else {
    fails = 0;
    ++oks;
    last_error.clear();
    if (!r.node_id.empty()) node_id = r.node_id;
    if (!state.up && oks >= rise) state.up = true;
    state.draining = r.kind == ProbeResult::Kind::kDraining;
    state.egress_bps = r.egress_bps;
    state.connections = r.connections;
    state.capacity_bps = configured_capacity_bps ? configured_capacity_bps : r.capacity_bps;
    state.overloaded = state.capacity_bps > 0 && state.egress_bps >= state.capacity_bps;
  }
  return before.up != state.up || before.draining != state.draining || before.overloaded != state.overloaded;
}

HealthMonitor::HealthMonitor(net::EventLoop* loop, std::function<void()> on_change)
    : loop_(loop), on_change_(std::move(on_change)), client_(std::make_unique<net::HttpClient>(loop, 64 * 1024)) {}

HealthMonitor::~HealthMonitor() = default;

void HealthMonitor::Configure(const std::vector<Edge>& edges, const HealthConfig& config) {
  config_ = config;
  std::map<std::string, Target> next;
  std::map<std::string, ProbeState> probes;
  for (const auto& e : edges) {
    if (e.health_url.empty()) continue;
    Target t;
    t.url = e.health_url;
    t.capacity_bps = e.capacity_bps;
    auto old = targets_.find(e.id);
    if (old != targets_.end() && old->second.url == t.url) t.in_flight = old->second.in_flight;
    next[e.id] = t;
    auto ps = probes_.find(e.id);
    probes[e.id] = ps != probes_.end() ? ps->second : ProbeState();
  }
  for (auto& [id, t] : targets_) {
    if (t.in_flight && (!next.count(id) || next[id].in_flight != t.in_flight)) client_->Cancel(t.in_flight);
  }
  targets_ = std::move(next);
  probes_ = std::move(probes);
  timer_ = std::make_unique<net::Timer>(loop_, [this] { Tick(); });
  timer_->Start(config_.interval_ms, /*repeat=*/true);
  Tick();
}

void HealthMonitor::Tick() {
  for (auto& [id, t] : targets_) {
    if (t.in_flight) continue;  // still waiting (timeout <= interval, so rare)
    std::string edge = id;
    t.in_flight = client_->Get(t.url, {}, config_.timeout_ms, [this, edge](const net::HttpResponse& r) {
      auto it = targets_.find(edge);
      if (it == targets_.end()) return;
      it->second.in_flight = 0;
      ProbeState& ps = probes_[edge];
      bool was_up = ps.state.up;
      ProbeResult pr = ParseHealthResponse(r);
      bool changed = ps.Apply(pr, config_.fall, config_.rise, it->second.capacity_bps);
      if (changed) {
        if (was_up != ps.state.up) {
          LOG(WARN) << "edge " << edge << " is " << (ps.state.up ? "up" : "down")
                    << (ps.last_error.empty() ? "" : " (" + ps.last_error + ")");
        } else {
          LOG(INFO) << "edge " << edge << (ps.state.draining ? " draining" : "")
                    << (ps.state.overloaded ? " overloaded" : "") << (!ps.state.draining && !ps.state.overloaded ? " serving" : "");
        }
        on_change_();
      }
    });
  }
}

std::vector<EdgeState> HealthMonitor::States(const GeoMap& map) const {
  std::vector<EdgeState> out;
  for (const auto& e : map.edges()) {
    auto it = probes_.find(e.id);
    out.push_back(it != probes_.end() ? it->second.state : EdgeState());
  }
  return out;
}

uint64_t HealthMonitor::probe_failures() const {
  uint64_t n = 0;
  for (const auto& [id, p] : probes_) n += p.failures;
  return n;
}

}  // namespace cdn::sched
