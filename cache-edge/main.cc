// cache-edge: an edge node. `cache-edge -c cache-edge.yaml` runs it; `-t` checks the config.
// SIGTERM/SIGINT drains first (health says draining), then exits.
#include <csignal>
#include <memory>
#include <iostream>
#include <string>

#include "cache-edge/edge.h"
#include "lib/base/log.h"
#include "lib/config/service_args.h"

int main(int argc, char** argv) {
  auto args = cdn::config::ParseServiceArgs(argc, argv, "cache-edge", "configs/cache-edge.yaml");
  if (!args) return 2;
  auto config = cdn::edge::EdgeConfig::Load(args->config_path);
  if (!config.ok()) {
    std::cerr << "cache-edge: bad config: " << config.status().message() << "\n";
    return 1;
  }
  if (args->test_only) {
    std::cout << "cache-edge: config " << args->config_path << " is ok\n";
    return 0;
  }
  cdn::config::ApplyLogLevel(config->log_level);
  cdn::base::SetLogTag(config->node_id.c_str());
  cdn::config::RaiseFileLimit();
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
      // Let ended FLV responses and RTMP closes flush (and the workers' last session ends
      // arrive), then deliver the last play_stop webhooks (within hooks.drain) and stop.
      exit_timer = std::make_unique<cdn::net::Timer>(&loop, [&] { edge.DrainWebhooks([&] { loop.Stop(); }); });
      exit_timer->Start(500);
    });
  };
  loop.OnSignal(SIGTERM, stop);
  loop.OnSignal(SIGINT, stop);
  loop.Run();
  LOG(INFO) << "stopped";
  return 0;
}
