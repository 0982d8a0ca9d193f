// central: the origin node. `central -c central.yaml` runs it; `-t` checks the config.
#include <csignal>
#include <cstring>
#include <iostream>
#include <string>

#include "central/central.h"
#include "lib/base/log.h"
#include "lib/config/service_args.h"

int main(int argc, char** argv) {
  auto args = cdn::config::ParseServiceArgs(argc, argv, "central", "configs/central.yaml");
  if (!args) return 2;
  auto config = cdn::central::CentralConfig::Load(args->config_path);
  if (!config.ok()) {
    std::cerr << "central: bad config: " << config.status().message() << "\n";
    return 1;
  }
  if (args->test_only) {
    std::cout << "central: config " << args->config_path << " is ok\n";
    return 0;
  }
  cdn::config::ApplyLogLevel(config->log_level);
  cdn::base::SetLogTag(config->node_id.c_str());
  cdn::config::RaiseFileLimit();
  cdn::net::EventLoop loop;
  cdn::central::Central central(&loop, std::move(*config));
  cdn::base::Status st = central.Start();
  if (!st.ok()) {
    LOG(ERROR) << "cannot start: " << st.message();
    return 1;
  }
  bool stopping = false;
  auto stop = [&] {
    if (stopping) {  // a second signal: no more waiting for webhooks
      loop.Stop();
      return;
    }
    stopping = true;
    LOG(INFO) << "signal received, stopping";
    central.Shutdown();
    // The last unpublish/play_stop events (billing) still go out, within hooks.drain.
    central.DrainWebhooks([&loop] { loop.Stop(); });
  };
  loop.OnSignal(SIGTERM, stop);
  loop.OnSignal(SIGINT, stop);
  loop.Run();
  LOG(INFO) << "stopped";
  return 0;
}
