// Scheduler: the dns-scheduler service on its control loop. Owns the config, the geoip
// database, the zone table and geo map, the health monitor, the domain sync and the admin
// listener, and republishes one immutable Routing to the DNS workers whenever any of them
// changes. SIGHUP -> Reload(): the new config is built completely before it replaces the old
// one; a bad config is rejected and the old one keeps serving. Control thread only, except
// that the DNS workers read the published Routing.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dns-scheduler/config.h"
#include "dns-scheduler/dns_server.h"
#include "dns-scheduler/dns_stats.h"
#include "lib/net/domain_sync.h"
#include "dns-scheduler/geo_db.h"
#include "dns-scheduler/geo_map.h"
#include "dns-scheduler/health_monitor.h"
#include "dns-scheduler/routing.h"
#include "dns-scheduler/zone_table.h"
#include "lib/base/status.h"
#include "lib/net/event_loop.h"
#include "lib/net/http_server.h"

namespace cdn::sched {

class Scheduler {
 public:
  Scheduler(net::EventLoop* loop, std::string config_path);
  ~Scheduler();

  base::Status Start(const SchedulerConfig& config);
  base::Status Reload();
  void Stop();

  uint16_t dns_port(size_t i = 0) const { return dns_ ? dns_->port(i) : 0; }
  uint16_t admin_port() const { return admin_ ? admin_->port() : 0; }

  struct AdminReply {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
  };
  // The admin API (admin.cc): /healthz, /metrics, /api/v1/resolve?name=&ip=[&type=AAAA],
  // /api/v1/edges, POST /api/v1/reload (bearer token).
  AdminReply HandleAdmin(const std::string& method, const std::string& path, const std::string& query,
                         const std::string& authorization);

 private:
  struct Built {
    std::shared_ptr<GeoDb> geodb;
    std::shared_ptr<const GeoMap> geo;
    std::shared_ptr<const ZoneTable> zones;
  };
  base::Result<Built> Build(const SchedulerConfig& c, const std::vector<std::string>& dynamic_domains);
  std::vector<std::string> AllDomains(const SchedulerConfig& c, const std::vector<std::string>& dynamic) const;
  void Republish();
  void StartDomainSync();
  void OnDomains(const std::vector<std::string>& domains);
  std::string RenderMetrics();
  std::string Explain(const std::string& name, const std::string& ip, bool want_v6);
  std::string EdgesJson();

  net::EventLoop* loop_;
  std::string config_path_;
  SchedulerConfig config_;
  Built built_;
  std::vector<std::string> dynamic_domains_;
  uint32_t serial_ = 0;
  RoutingHolder routing_;
  SlotRegistry region_slots_{32};
  SlotRegistry edge_slots_{128};
  std::unique_ptr<DnsServer> dns_;
  std::unique_ptr<HealthMonitor> health_;
  std::unique_ptr<net::DomainSync> sync_;
  std::unique_ptr<net::HttpServer> admin_;
  uint64_t reloads_ok_ = 0;
  uint64_t reloads_failed_ = 0;
  int64_t started_ms_ = 0;
};

}  // namespace cdn::sched
