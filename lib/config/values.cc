#include "lib/config/values.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <type_traits>

namespace cdn::config {
namespace {

bool SplitNumber(std::string_view s, double* num, std::string_view* unit) {
  size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  if (i == 0) return false;
  std::string n(s.substr(0, i));
  char* end = nullptr;
  *num = std::strtod(n.c_str(), &end);
  if (end != n.c_str() + n.size() || !std::isfinite(*num) || *num < 0) return false;
  std::string_view u = s.substr(i);
  while (!u.empty() && u.front() == ' ') u.remove_prefix(1);
  *unit = u;
  return true;
}

}  // namespace

std::string HostPort::ToString() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

base::Result<uint64_t> ParseSize(std::string_view s) {
  double n;
  std::string_view u;
  if (!SplitNumber(s, &n, &u)) return base::Status::Invalid("expected a size like 256MiB, got '" + std::string(s) + "'");
  double mul = 0;
  if (u.empty() || u == "B" || u == "b") mul = 1;
  else if (u == "KiB" || u == "K" || u == "k") mul = 1024.0;
  else if (u == "MiB" || u == "M") mul = 1024.0 * 1024;
  else if (u == "GiB" || u == "G") mul = 1024.0 * 1024 * 1024;
  else if (u == "TiB" || u == "T") mul = 1024.0 * 1024 * 1024 * 1024;
  else if (u == "KB" || u == "kB") mul = 1e3;
  else if (u == "MB") mul = 1e6;
  else if (u == "GB") mul = 1e9;
  else if (u == "TB") mul = 1e12;
  else return base::Status::Invalid("unknown size unit '" + std::string(u) + "' (use B, KiB, MiB, GiB)");
  double v = n * mul;
  if (v > 1.8e19) return base::Status::Invalid("size too large");
  return static_cast<uint64_t>(v);
}

base::Result<int64_t> ParseDurationMs(std::string_view s) {
  double n;
  std::string_view u;
  if (!SplitNumber(s, &n, &u)) return base::Status::Invalid("expected a duration like 2s or 30m, got '" + std::string(s) + "'");
  double mul = 0;
  if (u.empty() || u == "s") mul = 1000;
  else if (u == "ms") mul = 1;
  else if (u == "m" || u == "min") mul = 60e3;
  else if (u == "h") mul = 3600e3;
  else if (u == "d") mul = 86400e3;
  else return base::Status::Invalid("unknown duration unit '" + std::string(u) + "' (use ms, s, m, h, d)");
  double v = n * mul;
  if (v > 9e15) return base::Status::Invalid("duration too large");
  return static_cast<int64_t>(v);
}

base::Result<uint64_t> ParseBandwidth(std::string_view s) {
  double n;
  std::string_view u;
  if (!SplitNumber(s, &n, &u)) return base::Status::Invalid("expected a bandwidth like 10Gbps, got '" + std::string(s) + "'");
  if (u.size() >= 3 && (u.substr(u.size() - 3) == "bps")) u.remove_suffix(3);
  double mul = 0;
  if (u.empty()) mul = 1;
  else if (u == "k" || u == "K") mul = 1e3;
  else if (u == "M" || u == "m") mul = 1e6;
  else if (u == "G" || u == "g") mul = 1e9;
  else if (u == "T" || u == "t") mul = 1e12;
  else return base::Status::Invalid("unknown bandwidth unit in '" + std::string(s) + "' (use kbps, Mbps, Gbps)");
  const double v = n * mul;
  if (v > 1.8e19) return base::Status::Invalid("bandwidth too large");  // would not fit in 64 bits
  return static_cast<uint64_t>(v);
}

base::Result<HostPort> ParseHostPort(std::string_view s) {
  HostPort hp;
  std::string_view port;
  if (!s.empty() && s.front() == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':')
      return base::Status::Invalid("expected [v6]:port, got '" + std::string(s) + "'");
    hp.host = std::string(s.substr(1, close - 1));
    port = s.substr(close + 2);
  } else {
    size_t colon = s.rfind(':');
    if (colon == std::string_view::npos || colon == 0)
      return base::Status::Invalid("expected host:port, got '" + std::string(s) + "'");
    hp.host = std::string(s.substr(0, colon));
    port = s.substr(colon + 1);
  }
  if (hp.host.empty()) return base::Status::Invalid("empty host in '" + std::string(s) + "'");
  unsigned v = 0;
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
  if (ec != std::errc() || p != port.data() + port.size() || v > 65535 || port.empty())
    return base::Status::Invalid("bad port in '" + std::string(s) + "'");
  hp.port = static_cast<uint16_t>(v);
  return hp;
}

base::Status ReadString(const Node& map, std::string_view key, std::string* out, bool required) {
  Node n = map[key];
  if (n.is_null()) return required ? n.Error("is required") : base::Status::Ok();
  if (!n.is_scalar()) return n.Error("expected a string");
  *out = n.scalar();
  return base::Status::Ok();
}

base::Status ReadBool(const Node& map, std::string_view key, bool* out) {
  Node n = map[key];
  if (n.is_null()) return base::Status::Ok();
  const std::string& s = n.is_scalar() ? n.scalar() : std::string();
  if (s == "true" || s == "yes" || s == "on") *out = true;
  else if (s == "false" || s == "no" || s == "off") *out = false;
  else return n.Error("expected true or false");
  return base::Status::Ok();
}

base::Status ReadInt(const Node& map, std::string_view key, int64_t* out, int64_t min, int64_t max) {
  Node n = map[key];
  if (n.is_null()) return base::Status::Ok();
  const std::string s = n.is_scalar() ? n.scalar() : std::string();
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return n.Error("expected an integer");
  if (v < min || v > max) return n.Error("must be between " + std::to_string(min) + " and " + std::to_string(max));
  *out = v;
  return base::Status::Ok();
}

base::Status ReadDouble(const Node& map, std::string_view key, double* out) {
  Node n = map[key];
  if (n.is_null()) return base::Status::Ok();
  const std::string s = n.is_scalar() ? n.scalar() : std::string();
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(v)) return n.Error("expected a number");
  *out = v;
  return base::Status::Ok();
}

#define CDN_READ_PARSED(fn, parser)                                                      \
  base::Status fn(const Node& map, std::string_view key, std::remove_cvref_t<decltype(parser("").value())>* out) { \
    Node n = map[key];                                                                   \
    if (n.is_null()) return base::Status::Ok();                                          \
    if (!n.is_scalar()) return n.Error("expected a scalar");                             \
    auto r = parser(n.scalar());                                                         \
    if (!r.ok()) return n.Error(r.status().message());                                   \
    *out = *r;                                                                           \
    return base::Status::Ok();                                                           \
  }

CDN_READ_PARSED(ReadSize, ParseSize)
CDN_READ_PARSED(ReadDurationMs, ParseDurationMs)
CDN_READ_PARSED(ReadBandwidth, ParseBandwidth)
#undef CDN_READ_PARSED

base::Status ReadHostPort(const Node& map, std::string_view key, HostPort* out, bool required) {
  Node n = map[key];
  if (n.is_null()) return required ? n.Error("is required") : base::Status::Ok();
  if (!n.is_scalar()) return n.Error("expected host:port");
  auto r = ParseHostPort(n.scalar());
  if (!r.ok()) return n.Error(r.status().message());
  *out = *r;
  return base::Status::Ok();
}

base::Status ReadStringList(const Node& map, std::string_view key, std::vector<std::string>* out) {
  Node n = map[key];
  if (n.is_null()) return base::Status::Ok();
  if (!n.is_sequence()) return n.Error("expected a list");
  out->clear();
  for (const Node& item : n.items()) {
    if (!item.is_scalar()) return item.Error("expected a string");
    out->push_back(item.scalar());
  }
  return base::Status::Ok();
}

base::Status CheckKnownKeys(const Node& map, std::initializer_list<std::string_view> known) {
  if (map.is_null()) return base::Status::Ok();
  if (!map.is_map()) return map.Error("expected a map");
  for (const auto& [k, v] : map.entries()) {
    bool ok = false;
    for (auto kk : known) ok = ok || kk == k;
    if (!ok) return v.Error("unknown key '" + k + "'");
  }
  return base::Status::Ok();
}

}  // namespace cdn::config
