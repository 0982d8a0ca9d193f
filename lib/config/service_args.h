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

}  // namespace cdn::config
