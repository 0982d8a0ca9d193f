#include "lib/config/service_args.h"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>
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

void RaiseFileLimit() {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  // An unlimited hard limit still stops at fs.nr_open (1048576 by default).
  rlim_t want = rl.rlim_max == RLIM_INFINITY ? rlim_t{1} << 20 : rl.rlim_max;
  if (rl.rlim_cur < want) {
    rlim_t before = rl.rlim_cur;
    rl.rlim_cur = want;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
      LOG(WARN) << "cannot raise the open file limit from " << before << ": " << strerror(errno);
      return;
    }
  }
  LOG(INFO) << "open file limit " << rl.rlim_cur;
}

}  // namespace cdn::config
