// URL signing compatible with Alibaba Cloud CDN / ApsaraVideo Live (DESIGN.md "URL signing"):
// sign a URI, find the token a request carries, verify it against a domain's primary and
// secondary keys, and carry a verified HLS playlist token onto the URIs inside the playlist.
// Pure functions over strings and a caller-supplied time (unix seconds): no I/O, any thread.
//
//   A  /<uri>?auth_key=<ts>-<rand>-<uid>-<md5(uri-ts-rand-uid-key)>  valid while now <= ts
//   B  /<YYYYMMDDHHMM, UTC+8>/<md5(key + time + uri)><uri>           valid while now <= time + ttl
//   C  /<md5(key + uri + hexts)>/<hexts><uri>                         valid while now <= hexts + ttl
//
// Reading of Alibaba's documents for B and C: the time in the URL is when the URL was signed,
// and the URL stays valid for the domain's TTL after it (1800 s unless configured: Alibaba's
// default); a URL is refused once time + ttl < now. C's hex time is hashed as sent (Alibaba's own
// example uses upper case, "55CE8100"), parsed case-insensitively. Only C's path form ("format
// 1") is accepted, not the KEY1/KEY2 query form. Expiry is checked before the hash, as Alibaba
// does, so an old URL says "expired" whatever its hash.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "lib/auth/domain_table.h"

namespace cdn::auth {

enum class SignType { kA, kB, kC };
std::optional<SignType> ParseSignType(std::string_view s);  // "A", "B", "C" (either case)
std::string_view SignTypeName(SignType t);

constexpr std::string_view kAuthKeyParam = "auth_key";  // type A's query parameter
constexpr int64_t kDefaultTtlSeconds = 1800;            // B and C: validity after the signing time
constexpr int64_t kUtc8Offset = 8 * 3600;               // B's time is written in UTC+8

// Which check refused a request; AuthErrorLabel() names it for metrics and logs.
enum class AuthError { kMissing, kMalformed, kExpired, kBadHash, kWrongType };
std::string_view AuthErrorLabel(AuthError e);  // missing, malformed, expired, bad_hash, wrong_type

// Ok, or which check failed and a sentence for the log / the client ("expired at ...").
class [[nodiscard]] AuthStatus {
 public:
  AuthStatus() = default;
  static AuthStatus Ok() { return AuthStatus(); }
  static AuthStatus Fail(AuthError e, std::string message) { return AuthStatus(e, std::move(message)); }
  bool ok() const { return !error_; }
  AuthError error() const { return *error_; }  // only when !ok()
  std::string_view label() const { return ok() ? std::string_view("ok") : AuthErrorLabel(*error_); }
  const std::string& message() const { return message_; }

 private:
  AuthStatus(AuthError e, std::string m) : error_(e), message_(std::move(m)) {}
  std::optional<AuthError> error_;
  std::string message_;
};

// The token a request carries, as sent, before any key is tried.
struct Token {
  SignType type = SignType::kA;
  std::string path;       // the request path without the token (B, C strip their prefix)
  std::string time_text;  // A: decimal expiry; B: YYYYMMDDHHMM (UTC+8); C: hex
  int64_t time = 0;       // unix seconds: A the expiry, B and C the signing time
  std::string rand, uid;  // A only
  std::string hash;       // 32 hex digits, lower-cased
  std::string raw;        // A: the auth_key value; B: "/<time>/<hash>"; C: "/<hash>/<time>"
};

// Finds the token for a domain of `type` in a request (`path` raw, as sent; `query` without '?').
// kMissing: no token; kMalformed: a token of this type that does not parse; kWrongType: the
// request carries a token of another type (an auth_key on a B/C domain, a path token on A).
AuthStatus ParseToken(SignType type, std::string_view path, std::string_view query, Token* out);

struct VerifyKeys {
  std::string_view primary, secondary;  // an empty key never matches
  int64_t ttl_seconds = kDefaultTtlSeconds;
};

// Checks a parsed token at `now`: expiry, then the hash over `signed_path` (normally t.path; an
// HLS segment passes its playlist's path) with the primary, then the secondary key. Constant-time
// compare. *used_secondary, when given, says which key matched.
AuthStatus CheckToken(const Token& t, std::string_view signed_path, const VerifyKeys& keys, int64_t now,
                      bool* used_secondary = nullptr);

// ParseToken, then CheckToken against the token's own path, with the domain's type and keys.
// On success *out (when given) holds the token; out->path is the real path to serve.
AuthStatus Verify(const DomainAuth& auth, std::string_view path, std::string_view query, int64_t now,
                  Token* out = nullptr, int64_t ttl_seconds = kDefaultTtlSeconds);

// A signed request: `path` to request and `query` to add ("auth_key=..." for A, empty for B, C).
struct SignedUri {
  std::string path, query;
  std::string PathAndQuery() const { return query.empty() ? path : path + "?" + query; }
};
// Signs `uri` (starts with '/', no query). A: `time` is the expiry; B, C: the signing time (the
// URL is valid for the domain's TTL after it). `rand` must not contain '-'; Alibaba suggests a
// UUID without dashes, "0" is accepted.
SignedUri Sign(SignType type, std::string_view key, std::string_view uri, int64_t time, std::string_view rand = "0",
               std::string_view uid = "0");

// HLS (DESIGN.md: a valid signed playlist plays the whole stream): the same token goes onto each
// URI the served playlist names. A: "auth_key=<same>" is appended to the URI's query (replacing
// one already there). B, C: an absolute path gets the same path prefix; relative URIs are left
// alone since they resolve under the prefixed playlist URL already. Full URLs are left alone.
std::string CarryToken(const Token& t, std::string_view uri);
// Applies CarryToken to every URI line of an HLS playlist (RFC 8216 4.1: lines not starting with
// '#') and to URI="..." attributes of tags (EXT-X-MAP, EXT-X-MEDIA, EXT-X-I-FRAME-STREAM-INF).
std::string CarryTokenInPlaylist(const Token& t, std::string_view playlist);

// "2015-10-10T00:00:00Z": how messages show a unix time.
std::string FormatUnixTime(int64_t t);
// B's "YYYYMMDDHHMM" (UTC+8) <-> unix seconds; nullopt when not exactly 12 digits of a real time.
std::optional<int64_t> ParseTypeBTime(std::string_view s);
std::string FormatTypeBTime(int64_t unix_seconds);

}  // namespace cdn::auth
