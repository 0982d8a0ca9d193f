// Typed readers for config values: sizes ("256MiB"), durations ("2s", "30m", "1500ms"),
// bandwidths ("10Gbps"), host:port addresses, booleans, numbers. Each returns a Status whose
// message carries the YAML path. Pure functions; any thread.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "lib/base/status.h"
#include "lib/config/node.h"

namespace cdn::config {

struct HostPort {
  std::string host;
  uint16_t port = 0;
  std::string ToString() const;
};

// Plain parsers (no path in errors).
base::Result<uint64_t> ParseSize(std::string_view s);         // bytes: 123, 4KiB, 256MiB, 4GiB, 1KB, 1MB
base::Result<int64_t> ParseDurationMs(std::string_view s);    // 250ms, 2s, 30m, 1h, 1d; bare number = seconds
base::Result<uint64_t> ParseBandwidth(std::string_view s);    // bits/s: 10Gbps, 500Mbps, 64kbps, 800k, 2M
base::Result<HostPort> ParseHostPort(std::string_view s);     // host:port, [v6]:port; port 0 allowed

// Readers: a missing/null key leaves *out untouched (the default) unless required.
base::Status ReadString(const Node& map, std::string_view key, std::string* out, bool required = false);
base::Status ReadBool(const Node& map, std::string_view key, bool* out);
base::Status ReadInt(const Node& map, std::string_view key, int64_t* out, int64_t min, int64_t max);
base::Status ReadDouble(const Node& map, std::string_view key, double* out);
base::Status ReadSize(const Node& map, std::string_view key, uint64_t* out);
base::Status ReadDurationMs(const Node& map, std::string_view key, int64_t* out);
base::Status ReadBandwidth(const Node& map, std::string_view key, uint64_t* out);
base::Status ReadHostPort(const Node& map, std::string_view key, HostPort* out, bool required = false);
base::Status ReadStringList(const Node& map, std::string_view key, std::vector<std::string>* out);

// Rejects keys not in `known` (catches typos like "listne"), naming the full path.
base::Status CheckKnownKeys(const Node& map, std::initializer_list<std::string_view> known);

}  // namespace cdn::config
