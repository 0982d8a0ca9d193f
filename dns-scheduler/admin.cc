// The admin endpoints of Scheduler: /healthz, /metrics (Prometheus text), /api/v1/resolve
// (explains one decision), /api/v1/edges (health state), POST /api/v1/reload (token).
#include <cstdio>
#include <map>

#include "dns-scheduler/authority.h"
#include "lib/base/json.h"
#include "dns-scheduler/scheduler.h"
#include "lib/base/clock.h"
#include "lib/dns/name.h"
#include "lib/dns/rdata.h"
#include "lib/dns/wire.h"
#include "lib/http/query.h"
#include "lib/metrics/exposition.h"

namespace cdn::sched {
namespace {

std::string Num(double v) {
  char buf[64];
  snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::string StateJson(const EdgeState& s) {
  return std::string("{\"up\":") + (s.up ? "true" : "false") + ",\"draining\":" + (s.draining ? "true" : "false") +
         ",\"overloaded\":" + (s.overloaded ? "true" : "false") + ",\"egress_bps\":" + std::to_string(s.egress_bps) +
         ",\"capacity_bps\":" + std::to_string(s.capacity_bps) + ",\"connections\":" + std::to_string(s.connections) + "}";
}

bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;  // the length is not the secret
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

Scheduler::AdminReply Scheduler::HandleAdmin(const std::string& method, const std::string& path,
                                             const std::string& query, const std::string& authorization) {
  AdminReply r;
  if (path == "/healthz") {
    r.body = "{\"status\":\"ok\",\"node_id\":" + base::JsonQuote(config_.node_id) + ",\"zone\":" + base::JsonQuote(config_.zone) +
             ",\"domains\":" + std::to_string(built_.zones ? built_.zones->geo_names() : 0) + "}\n";
    return r;
  }
  if (path == "/metrics") {
    r.content_type = "text/plain; version=0.0.4";
    r.body = RenderMetrics();
    return r;
  }
  if (path == "/api/v1/resolve") {
    auto q = http::ParseQuery(query);
    auto name = http::QueryGet(q, "name");
    auto ip = http::QueryGet(q, "ip");
    auto type = http::QueryGet(q, "type");
    if (!name || name->empty()) {
      r.status = 400;
      r.body = "{\"error\":\"name is required\"}\n";
      return r;
    }
    r.body = Explain(*name, ip.value_or(""), type.value_or("A") == "AAAA");
    if (r.body.rfind("{\"error\"", 0) == 0) r.status = 400;
    return r;
  }
  if (path == "/api/v1/edges") {
    r.body = EdgesJson();
    return r;
  }
  if (path == "/api/v1/reload") {
    if (method != "POST") {
      r.status = 405;
      r.body = "{\"error\":\"POST only\"}\n";
      return r;
    }
    if (config_.admin_token.empty() || !ConstantTimeEqual(authorization, "Bearer " + config_.admin_token)) {
      r.status = 401;
      r.body = "{\"error\":\"bad or missing bearer token\"}\n";
      return r;
    }
    base::Status st = Reload();
    r.status = st.ok() ? 200 : 422;
    r.body = st.ok() ? "{\"reloaded\":true}\n" : "{\"reloaded\":false,\"error\":" + base::JsonQuote(st.message()) + "}\n";
    return r;
  }
  r.status = 404;
  r.body = "{\"error\":\"not found\"}\n";
  return r;
}

std::string Scheduler::Explain(const std::string& name_text, const std::string& ip_text, bool want_v6) {
  auto routing = routing_.Get();
  if (!routing) return "{\"error\":\"not ready\"}\n";
  auto name = dns::NameFromText(name_text);
  if (!name.ok()) return "{\"error\":" + base::JsonQuote(name.status().message()) + "}\n";
  IpAddr client;
  if (!ip_text.empty()) {
    auto ip = ParseIp(ip_text);
    if (!ip.ok()) return "{\"error\":" + base::JsonQuote(ip.status().message()) + "}\n";
    client = *ip;
  } else {
    client = *ParseIp("127.0.0.1");
  }
  const ZoneTable& zt = *routing->zones;
  const GeoMap& geo = *routing->geo;
  std::string out = "{\"name\":" + base::JsonQuote(dns::NameToText(*name)) + ",\"client\":" + base::JsonQuote(client.ToString());
  std::string chain = "[";
  std::string cur = *name;
  std::string result = "REFUSED";
  for (int hop = 0; hop < 9; ++hop) {
    const ZoneNode* node = zt.Find(cur);
    if (node == nullptr) {
      result = zt.FindZone(cur) >= 0 ? "NXDOMAIN" : (hop == 0 ? "REFUSED" : "NOERROR (chain leaves served zones)");
      break;
    }
    if (node->cname >= 0) {
      const dns::Record& c = node->records[node->cname];
      if (chain.size() > 1) chain += ",";
      chain += base::JsonQuote(dns::NameToText(cur) + " CNAME " + dns::NameToText(c.rdata));
      cur = c.rdata;
      continue;
    }
    if (!node->geo) {
      result = "static";
      break;
    }
    result = "NOERROR";
    Rng rng(static_cast<uint64_t>(base::MonoMs()));
    Decision d;
    sched::Explain ex;
    Decide(geo, routing->states, client, want_v6, &rng, &d, &ex);
    out += ",\"geo_name\":" + base::JsonQuote(dns::NameToText(cur));
    out += ",\"source\":" + base::JsonQuote(SourceName(d.source));
    if (d.rule >= 0) out += ",\"rule\":" + base::JsonQuote(geo.rule_prefixes()[d.rule].ToString());
    if (ex.geo_used) {
      out += ",\"geoip\":{\"found\":" + std::string(ex.geo.found ? "true" : "false") +
             ",\"has_location\":" + (ex.geo.has_location ? "true" : "false");
      if (ex.geo.has_location) out += ",\"lat\":" + Num(ex.geo.lat) + ",\"lon\":" + Num(ex.geo.lon);
      out += ",\"country\":" + base::JsonQuote(ex.geo.country) + ",\"prefix_len\":" + std::to_string(ex.geo.prefix_len) + "}";
    }
    out += ",\"scope\":" + std::to_string(d.scope) + ",\"tier\":" + base::JsonQuote(TierName(d.tier));
    out += ",\"regions\":[";
    for (size_t i = 0; i < ex.order.size(); ++i) {
      const Pool& p = geo.pools()[ex.order[i].pool];
      out += std::string(i ? "," : "") + "{\"region\":" + base::JsonQuote(p.name);
      if (ex.order[i].distance_km >= 0) out += ",\"distance_km\":" + Num(ex.order[i].distance_km);
      out += "}";
    }
    out += "],\"dropped\":[";
    for (size_t i = 0; i < ex.dropped.size(); ++i) {
      out += std::string(i ? "," : "") + "{\"edge\":" + base::JsonQuote(geo.edges()[ex.dropped[i].edge].id) +
             ",\"reason\":" + base::JsonQuote(ex.dropped[i].reason) + "}";
    }
    out += "],\"answer\":[";
    for (int i = 0; i < d.count; ++i) {
      const Edge& e = geo.edges()[d.edges[i]];
      std::string addr = want_v6 ? dns::RdataToText(dns::kTypeAaaa, std::string_view(reinterpret_cast<const char*>(e.v6), 16))
                                            : dns::RdataToText(dns::kTypeA, std::string_view(reinterpret_cast<const char*>(e.v4), 4));
      out += std::string(i ? "," : "") + "{\"edge\":" + base::JsonQuote(e.id) + ",\"region\":" + base::JsonQuote(geo.pools()[e.pool].name) +
             ",\"address\":" + base::JsonQuote(addr) + "}";
    }
    out += "]";
    break;
  }
  out += ",\"chain\":" + chain + "]";
  out += ",\"result\":" + base::JsonQuote(result) + "}\n";
  return out;
}

std::string Scheduler::EdgesJson() {
  auto routing = routing_.Get();
  std::string out = "{\"edges\":[";
  if (routing) {
    const auto& edges = routing->geo->edges();
    for (size_t i = 0; i < edges.size(); ++i) {
      const Edge& e = edges[i];
      out += std::string(i ? "," : "") + "{\"id\":" + base::JsonQuote(e.id) + ",\"region\":" +
             base::JsonQuote(routing->geo->pools()[e.pool].name) + ",\"weight\":" + std::to_string(e.weight) +
             ",\"health\":" + base::JsonQuote(e.health_url) + ",\"state\":" + StateJson(routing->states[i]);
      if (health_) {
        auto it = health_->probes().find(e.id);
        if (it != health_->probes().end()) {
          out += ",\"probes\":" + std::to_string(it->second.probes) + ",\"failures\":" +
                 std::to_string(it->second.failures) + ",\"last_error\":" + base::JsonQuote(it->second.last_error);
        }
      }
      out += "}";
    }
  }
  return out + "]}\n";
}

std::string Scheduler::RenderMetrics() {
  metrics::Exposition x;
  if (dns_) dns_->SampleKernelDrops();
  auto workers = dns_ ? dns_->stats() : std::vector<const WorkerStats*>();
  auto regions = region_slots_.Names();
  auto edges = edge_slots_.Names();
  for (int qt = 0; qt < kQtypeSlots; ++qt) {
    for (int rc = 0; rc < kRcodeSlots; ++rc) {
      for (int rg = 0; rg < kRegionSlots && rg < static_cast<int>(regions.size()); ++rg) {
        uint64_t n = 0;
        for (const auto* w : workers) n += w->queries[qt][rc][rg].value();
        if (n == 0) continue;
        x.Counter("livecdn_dns_queries_total", "DNS queries answered, by qtype, rcode and chosen region",
                  {{"qtype", QtypeSlotName(qt)}, {"rcode", RcodeSlotName(rc)}, {"region", regions[rg]}},
                  static_cast<double>(n));
      }
    }
  }
  for (int es = 1; es < kEdgeSlots && es < static_cast<int>(edges.size()); ++es) {
    uint64_t n = 0;
    for (const auto* w : workers) n += w->edge_answers[es].value();
    if (n == 0) continue;
    x.Counter("livecdn_dns_answers_total", "Answers whose first record was this edge", {{"edge", edges[es]}},
              static_cast<double>(n));
  }
  auto sum = [&](Counter WorkerStats::*c) {
    uint64_t n = 0;
    for (const auto* w : workers) n += (w->*c).value();
    return static_cast<double>(n);
  };
  {
    std::vector<double> bounds, cumulative;
    double running = 0;
    for (int b = 0; b <= kDecisionBuckets; ++b) {
      for (const auto* w : workers) running += static_cast<double>(w->decision[b].value());
      if (b < kDecisionBuckets) {
        bounds.push_back(static_cast<double>(kDecisionBoundsNs[b]) / 1e9);
        cumulative.push_back(running);
      }
    }
    x.Histogram("livecdn_dns_decision_seconds", "Time to decide and build an answer (1 answer in 16 timed)", {}, bounds,
                cumulative,
                sum(&WorkerStats::decision_ns_sum) / 1e9, running);
  }
  x.Counter("livecdn_dns_fail_open_total", "Geo answers given while no edge was usable (fail open)", {},
            sum(&WorkerStats::fail_open));
  x.Counter("livecdn_dns_truncated_total", "Responses sent with TC=1", {}, sum(&WorkerStats::truncated));
  x.Counter("livecdn_dns_dropped_total", "Packets not answered (runts, responses)", {}, sum(&WorkerStats::dropped));
  x.Counter("livecdn_dns_ecs_queries_total", "Queries carrying an EDNS client subnet", {}, sum(&WorkerStats::ecs));
  x.Counter("livecdn_dns_transport_queries_total", "Parsed queries by transport", {{"transport", "udp"}},
            sum(&WorkerStats::udp));
  x.Counter("livecdn_dns_transport_queries_total", "Parsed queries by transport", {{"transport", "tcp"}},
            sum(&WorkerStats::tcp));
  x.Counter("livecdn_dns_udp_receive_drops_total", "Datagrams the kernel dropped on full receive queues", {},
            sum(&WorkerStats::udp_rx_drops));
  x.Counter("livecdn_dns_tcp_connections_total", "TCP connections", {{"result", "accepted"}},
            sum(&WorkerStats::tcp_accepted));
  x.Counter("livecdn_dns_tcp_connections_total", "TCP connections", {{"result", "rejected"}},
            sum(&WorkerStats::tcp_rejected));
  x.Gauge("livecdn_connections", "Open connections by protocol", {{"protocol", "dns-tcp"}}, sum(&WorkerStats::tcp_open));
  auto routing = routing_.Get();
  if (routing) {
    const auto& es = routing->geo->edges();
    for (size_t i = 0; i < es.size(); ++i) {
      const EdgeState& s = routing->states[i];
      x.Gauge("livecdn_edge_up", "1 when the edge passes its health checks and is not draining", {{"edge", es[i].id}},
              s.up && !s.draining ? 1 : 0);
      x.Gauge("livecdn_edge_overloaded", "1 when the edge reports egress at or over its capacity", {{"edge", es[i].id}},
              s.overloaded ? 1 : 0);
      x.Gauge("livecdn_edge_egress_bps", "Egress the edge last reported", {{"edge", es[i].id}},
              static_cast<double>(s.egress_bps));
    }
    x.Gauge("livecdn_dns_domains", "Customer domains served", {}, static_cast<double>(routing->zones->geo_names()));
  }
  if (health_) {
    x.Counter("livecdn_dns_health_probe_failures_total", "Failed edge health probes", {},
              static_cast<double>(health_->probe_failures()));
  }
  if (sync_) {
    x.Counter("livecdn_upstream_requests_total", "Requests to central", {{"kind", "domains"}, {"result", "error"}},
              static_cast<double>(sync_->failures()));
    x.Counter("livecdn_upstream_requests_total", "Requests to central", {{"kind", "domains"}, {"result", "all"}},
              static_cast<double>(sync_->polls()));
  }
  x.Counter("livecdn_config_reloads_total", "Config reloads", {{"result", "ok"}}, static_cast<double>(reloads_ok_));
  x.Counter("livecdn_config_reloads_total", "Config reloads", {{"result", "rejected"}},
            static_cast<double>(reloads_failed_));
  x.Gauge("livecdn_dns_zone_serial", "SOA serial of the served zones", {}, static_cast<double>(serial_));
  return x.Render();
}

}  // namespace cdn::sched
