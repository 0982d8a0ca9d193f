// dns-scheduler: authoritative GeoDNS for the CDN zone. `dns-scheduler -c file.yaml` serves;
// `-t` checks the config and exits. SIGHUP reloads, SIGTERM/SIGINT stop.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>

#include "dns-scheduler/config.h"
#include "dns-scheduler/geo_db.h"
#include "dns-scheduler/geo_map.h"
#include "dns-scheduler/scheduler.h"
#include "dns-scheduler/zone_table.h"
#include "lib/base/log.h"
#include "lib/config/service_args.h"
#include "lib/net/event_loop.h"

namespace {

int Usage() {
  fprintf(stderr, "usage: dns-scheduler -c <config.yaml> [-t] [-v]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path;
  bool test_only = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-c" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (a == "-t") {
      test_only = true;
    } else if (a == "-v") {
      cdn::base::SetLogLevel(cdn::base::LogLevel::kDebug);
    } else {
      return Usage();
    }
  }
  if (config_path.empty()) return Usage();

  auto config = cdn::sched::LoadConfigFile(config_path);
  if (!config.ok()) {
    fprintf(stderr, "dns-scheduler: %s: %s\n", config_path.c_str(), config.status().message().c_str());
    return 1;
  }
  if (test_only) {
    // Build everything a start would, without binding sockets.
    std::shared_ptr<cdn::sched::GeoDb> db;
    if (!config->geoip_mmdb.empty() || !config->geoip_mmdb6.empty()) {
      auto d = cdn::sched::GeoDb::Open(config->geoip_mmdb, config->geoip_mmdb6);
      if (!d.ok()) {
        fprintf(stderr, "dns-scheduler: %s: %s\n", config_path.c_str(), d.status().message().c_str());
        return 1;
      }
      db = *d;
    }
    auto geo = cdn::sched::GeoMap::Build(*config, db);
    auto zones = cdn::sched::ZoneTable::Build(*config, config->domains, 1);
    if (!geo.ok() || !zones.ok()) {
      fprintf(stderr, "dns-scheduler: %s: %s\n", config_path.c_str(),
              (!geo.ok() ? geo.status() : zones.status()).message().c_str());
      return 1;
    }
    fprintf(stderr, "dns-scheduler: the configuration file %s syntax is ok\n", config_path.c_str());
    return 0;
  }

  cdn::base::SetLogTag(config->node_id.c_str());
  cdn::config::RaiseFileLimit();
  cdn::net::EventLoop loop;
  cdn::sched::Scheduler scheduler(&loop, config_path);
  cdn::base::Status st = scheduler.Start(*config);
  if (!st.ok()) {
    LOG(ERROR) << "cannot start: " << st.message();
    scheduler.Stop();
    return 1;
  }
  auto stop = [&] {
    LOG(INFO) << "stopping";
    scheduler.Stop();
    loop.Stop();
  };
  loop.OnSignal(SIGTERM, stop);
  loop.OnSignal(SIGINT, stop);
  loop.OnSignal(SIGHUP, [&] {
    LOG(INFO) << "SIGHUP: reloading " << config_path;
    (void)scheduler.Reload();
  });
  loop.Run();
  return 0;
}
