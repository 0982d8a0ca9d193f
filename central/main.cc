// central: the origin node. `central -c central.yaml` runs it; `-t` checks the config.
#include <csignal>
#include <cstring>
#include <iostream>
#include <string>

#include "central/central.h"
#include "lib/base/log.h"

int main(int argc, char** argv) {
  std::string config_path = "configs/central.yaml";
  bool test_only = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if ((a == "-c" || a == "--config") && i + 1 < argc) config_path = argv[++i];
    else if (a == "-t") test_only = true;
    else {
      std::cerr << "usage: central -c <central.yaml> [-t]\n";
      return 2;
    }
  }
  auto config = cdn::central::CentralConfig::Load(config_path);
  if (!config.ok()) {
    std::cerr << "central: bad config: " << config.status().message() << "\n";
    return 1;
  }
  if (test_only) {
    std::cout << "central: config " << config_path << " is ok\n";
    return 0;
  }
  const std::string& lvl = config->log_level;
  cdn::base::SetLogLevel(lvl == "debug" ? cdn::base::LogLevel::kDebug
                         : lvl == "warn" ? cdn::base::LogLevel::kWarn
                         : lvl == "error" ? cdn::base::LogLevel::kError
                                          : cdn::base::LogLevel::kInfo);
  cdn::base::SetLogTag(config->node_id.c_str());
  cdn::net::EventLoop loop;
  cdn::central::Central central(&loop, std::move(*config));
  cdn::base::Status st = central.Start();
  if (!st.ok()) {
    LOG(ERROR) << "cannot start: " << st.message();
    return 1;
  }
  auto stop = [&] {
    LOG(INFO) << "signal received, stopping";
    central.Shutdown();
    loop.Stop();
  };
  loop.OnSignal(SIGTERM, stop);
  loop.OnSignal(SIGINT, stop);
  loop.Run();
  LOG(INFO) << "stopped";
  return 0;
}
