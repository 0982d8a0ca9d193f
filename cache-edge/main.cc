// cache-edge: an edge node. `cache-edge -c cache-edge.yaml` runs it; `-t` checks the config.
// SIGTERM/SIGINT drains first (health says draining), then exits.
#include <csignal>
#include <memory>
#include <iostream>
#include <string>

#include "cache-edge/edge.h"
#include "lib/base/log.h"

int main(int argc, char** argv) {
  std::string config_path = "configs/cache-edge.yaml";
  bool test_only = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if ((a == "-c" || a == "--config") && i + 1 < argc) config_path = argv[++i];
    else if (a == "-t") test_only = true;
    else {
      std::cerr << "usage: cache-edge -c <cache-edge.yaml> [-t]\n";
      return 2;
    }
  }
  auto config = cdn::edge::EdgeConfig::Load(config_path);
  if (!config.ok()) {
    std::cerr << "cache-edge: bad config: " << config.status().message() << "\n";
    return 1;
  }
  if (test_only) {
    std::cout << "cache-edge: config " << config_path << " is ok\n";
    return 0;
  }
  const std::string& lvl = config->log_level;
  cdn::base::SetLogLevel(lvl == "debug" ? cdn::base::LogLevel::kDebug
                         : lvl == "warn" ? cdn::base::LogLevel::kWarn
                         : lvl == "error" ? cdn::base::LogLevel::kError
                                          : cdn::base::LogLevel::kInfo);
  cdn::base::SetLogTag(config->node_id.c_str());
  cdn::net::EventLoop loop;
  cdn::edge::Edge edge(&loop, std::move(*config));
  cdn::base::Status st = edge.Start();
  if (!st.ok()) {
    LOG(ERROR) << "cannot start: " << st.message();
    return 1;
  }
  int signals = 0;
  std::unique_ptr<cdn::net::Timer> exit_timer;
  auto stop = [&] {
    if (++signals > 1) {  // a second signal: stop now
      edge.Shutdown();
      loop.Stop();
      return;
    }
    LOG(INFO) << "signal received, draining";
    edge.Drain([&] {
      edge.Shutdown();
      // Let ended FLV responses and RTMP closes flush before the loop stops.
      exit_timer = std::make_unique<cdn::net::Timer>(&loop, [&] { loop.Stop(); });
      exit_timer->Start(500);
    });
  };
  loop.OnSignal(SIGTERM, stop);
  loop.OnSignal(SIGINT, stop);
  loop.Run();
  LOG(INFO) << "stopped";
  return 0;
}
