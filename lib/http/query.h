// URL pieces every protocol shares: query strings, percent-decoding, rtmp/http URL splitting.
// Pure functions; any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cdn::http {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// "a=1&b=%20x" -> {{"a","1"},{"b"," x"}}; keys without '=' get "". '+' decodes to space.
QueryParams ParseQuery(std::string_view query);
std::optional<std::string> QueryGet(const QueryParams& q, std::string_view key);
// Rebuilds a query string without the named keys (auth params out of cache keys).
std::string QueryWithout(std::string_view query, const std::vector<std::string_view>& drop);

// Percent-decoding; returns nullopt on a malformed escape.
std::optional<std::string> PercentDecode(std::string_view s, bool plus_is_space = false);
std::string PercentEncode(std::string_view s);

// Splits "name?query" at the first '?'.
std::pair<std::string_view, std::string_view> SplitQuery(std::string_view s);

struct Url {
  std::string scheme;  // "rtmp", "http"
  std::string host;    // without port, without brackets
  int port = -1;       // -1 when absent
  std::string path;    // starts with '/', may be "/"
  std::string query;   // without '?'
};
// Parses "scheme://host[:port]/path?query". Returns nullopt when it is not such a URL.
std::optional<Url> ParseUrl(std::string_view s);

// True for a dotted IPv4 or an IPv6 literal.
bool IsIpLiteral(std::string_view host);

// Lower-cased ASCII copy.
std::string ToLower(std::string_view s);

}  // namespace cdn::http
