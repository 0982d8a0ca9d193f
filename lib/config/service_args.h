// The command line every service shares (DESIGN.md: `<binary> -c <file.yaml>`, `-t` checks the
// config and exits) and the log level names of its `log_level` key. Pure; any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cdn::config {

struct ServiceArgs {
  std::string config_path;
  bool test_only = false;
};

// Prints usage to stderr and returns nullopt on a bad command line.
std::optional<ServiceArgs> ParseServiceArgs(int argc, char** argv, std::string_view name, std::string default_config);

// Applies "debug" | "info" | "warn" | "error" (anything else: info) to the process's logging.
void ApplyLogLevel(std::string_view level);

// Raises the soft RLIMIT_NOFILE to the hard limit (nginx's worker_rlimit_nofile: every client is
// a descriptor, and a 1024 default would cap max_connections far below its setting) and logs the
// limit in force. Call once at start, after the log tag is set.
void RaiseFileLimit();

}  // namespace cdn::config
