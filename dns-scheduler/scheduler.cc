#include "dns-scheduler/scheduler.h"

#include <sys/stat.h>

#include <ctime>
#include <set>

#include "dns-scheduler/domain_names.h"
#include "lib/base/clock.h"
#include "lib/base/log.h"

namespace cdn::sched {

Scheduler::Scheduler(net::EventLoop* loop, std::string config_path)
    : loop_(loop), config_path_(std::move(config_path)) {}

Scheduler::~Scheduler() { Stop(); }

std::vector<std::string> Scheduler::AllDomains(const SchedulerConfig& c, const std::vector<std::string>& dynamic) const {
  std::set<std::string> all(c.domains.begin(), c.domains.end());
  all.insert(dynamic.begin(), dynamic.end());
  return std::vector<std::string>(all.begin(), all.end());
}

base::Result<Scheduler::Built> Scheduler::Build(const SchedulerConfig& c, const std::vector<std::string>& dynamic) {
  Built b;
  // Reuse the open database when its files did not change names.
  if (built_.geodb && c.geoip_mmdb == config_.geoip_mmdb && c.geoip_mmdb6 == config_.geoip_mmdb6) {
    b.geodb = built_.geodb;
  } else if (!c.geoip_mmdb.empty() || !c.geoip_mmdb6.empty()) {
    auto db = GeoDb::Open(c.geoip_mmdb, c.geoip_mmdb6);
    if (!db.ok()) return db.status().WithContext("geoip");
    b.geodb = *db;
  }
  auto geo = GeoMap::Build(c, b.geodb);
  if (!geo.ok()) return geo.status();
  b.geo = *geo;
  uint32_t serial = c.serial ? c.serial : std::max<uint32_t>(serial_ + 1, static_cast<uint32_t>(time(nullptr)));
  auto zones = ZoneTable::Build(c, AllDomains(c, dynamic), serial);
  if (!zones.ok()) return zones.status();
  b.zones = *zones;
  serial_ = serial;
  return b;
}

base::Status Scheduler::Start(const SchedulerConfig& config) {
  started_ms_ = base::MonoMs();
  auto built = Build(config, {});
  if (!built.ok()) return built.status();
  config_ = config;
  built_ = *built;
  health_ = std::make_unique<HealthMonitor>(loop_, [this] { Republish(); });
  Republish();

  dns_ = std::make_unique<DnsServer>(config_, &routing_);
  CDN_RETURN_IF_ERROR(dns_->Start());

  if (config_.has_admin) {
    auto admin = net::HttpServer::Listen(loop_, config_.admin, [this](std::unique_ptr<net::HttpExchange> ex) {
      AdminReply r = HandleAdmin(ex->method(), ex->path(), ex->query(), ex->header("Authorization"));
      ex->Reply(r.status, r.content_type, r.body);
    });
    if (!admin.ok()) return admin.status().WithContext("admin");
    admin_ = std::move(*admin);
    LOG(INFO) << "admin on " << config_.admin.host << ":" << admin_->port();
  }

  health_->Configure(built_.geo->edges(), config_.health);

  StartDomainSync();
  LOG(INFO) << "serving zone " << config_.zone << " with " << built_.geo->edges().size() << " edges in "
            << built_.geo->pools().size() << " regions, " << built_.zones->geo_names() << " domains"
            << (built_.geodb ? ", geoip " + built_.geodb->description() : std::string(", no geoip database"));
  return base::Status::Ok();
}

void Scheduler::StartDomainSync() {
  std::string cache;
  if (!config_.data_dir.empty()) {
    mkdir(config_.data_dir.c_str(), 0755);
    cache = config_.data_dir + "/domains.json";
  }
  sync_ = std::make_unique<net::DomainSync>(loop_, config_.central_api, config_.central_token, config_.domains_poll_ms,
                                            cache, [this](const std::string& body) -> base::Status {
                                              auto d = ParseDomainTable(body);
                                              if (!d.ok()) return d.status();
                                              OnDomains(*d);
                                              return base::Status::Ok();
                                            });
  sync_->Start();
}

void Scheduler::Republish() {
  if (!built_.geo) return;
  std::vector<EdgeState> states = health_ ? health_->States(*built_.geo) : std::vector<EdgeState>();
  routing_.Publish(MakeRouting(built_.zones, built_.geo, std::move(states), &region_slots_, &edge_slots_));
}

void Scheduler::OnDomains(const std::vector<std::string>& domains) {
  if (domains == dynamic_domains_) return;
  auto built = Build(config_, domains);
  if (!built.ok()) {
    LOG(WARN) << "domain table rejected: " << built.status().message();
    return;
  }
  dynamic_domains_ = domains;
  built_ = *built;
  Republish();
  LOG(INFO) << "domain table now has " << built_.zones->geo_names() << " domains (serial " << serial_ << ")";
}

base::Status Scheduler::Reload() {
  auto c = LoadConfigFile(config_path_);
  if (!c.ok()) {
    ++reloads_failed_;
    LOG(ERROR) << "reload rejected, keeping the running config: " << c.status().message();
    return c.status();
  }
  auto built = Build(*c, dynamic_domains_);
  if (!built.ok()) {
    ++reloads_failed_;
    LOG(ERROR) << "reload rejected, keeping the running config: " << built.status().message();
    return built.status();
  }
  if (c->listen.size() != config_.listen.size() || c->workers != config_.workers) {
    LOG(WARN) << "reload: listen addresses and workers change only on restart";
  }
  SchedulerConfig old = config_;
  config_ = *c;
  // Keep what only a restart can change.
  config_.listen = old.listen;
  config_.workers = old.workers;
  config_.admin = old.admin;
  config_.has_admin = old.has_admin;
  built_ = *built;
  health_->Configure(built_.geo->edges(), config_.health);
  Republish();
  if (old.central_api != config_.central_api || old.central_token != config_.central_token ||
      old.domains_poll_ms != config_.domains_poll_ms || old.data_dir != config_.data_dir) {
    StartDomainSync();
  }
  ++reloads_ok_;
  LOG(INFO) << "reloaded " << config_path_ << ": " << built_.geo->edges().size() << " edges, "
            << built_.zones->geo_names() << " domains";
  return base::Status::Ok();
}

void Scheduler::Stop() {
  if (dns_) dns_->Stop();
  sync_.reset();
  health_.reset();
  admin_.reset();
  dns_.reset();
}

}  // namespace cdn::sched
