#include "lib/config/service_args.h"

#include <iostream>

#include "lib/base/log.h"

namespace cdn::config {

std::optional<ServiceArgs> ParseServiceArgs(int argc, char** argv, std::string_view name, std::string default_config) {
  ServiceArgs a;
  a.config_path = std::move(default_config);
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    if ((s == "-c" || s == "--config") && i + 1 < argc) {
      a.config_path = argv[++i];
    } else if (s == "-t") {
      a.test_only = true;
    } else {
      std::cerr << "usage: " << name << " -c <" << name << ".yaml> [-t]\n";
      return std::nullopt;
    }
  }
  return a;
}

void ApplyLogLevel(std::string_view l) {
  base::SetLogLevel(l == "debug"  ? base::LogLevel::kDebug
                    : l == "warn" ? base::LogLevel::kWarn
                    : l == "error" ? base::LogLevel::kError
                                   : base::LogLevel::kInfo);
}

}  // namespace cdn::config
