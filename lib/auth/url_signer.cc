#include "lib/auth/url_signer.h"

#include <cstdio>

#include "lib/base/crypto.h"
#include "lib/http/query.h"

namespace cdn::auth {
namespace {

constexpr size_t kHashLen = 32;           // MD5 (RFC 1321) as hex
constexpr size_t kMaxAuthKeyLen = 512;    // A: caps what is parsed and hashed
constexpr size_t kMaxRandOrUidLen = 128;  // A: Alibaba suggests a 32-character UUID for rand
constexpr size_t kMaxDecimalTime = 12;    // A: 10 digits until 2286; a little slack, no overflow
constexpr size_t kMaxHexTime = 12;        // C: 8 hex digits until 2106; a little slack, no overflow

bool IsDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsHex(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (HexVal(c) < 0) return false;
  }
  return true;
}

bool IsHash(std::string_view s) { return s.size() == kHashLen && IsHex(s); }

std::string Lower(std::string_view s) { return http::ToLower(s); }

int64_t ParseDecimal(std::string_view s) {  // callers check IsDigits and the length first
  int64_t v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

// Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian, 1970-01-01 = 0).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

struct Civil {
  int64_t y, m, d, hh, mm, ss;
};

Civil CivilFromUnix(int64_t t) {
  int64_t z = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  const int64_t secs = t - z * 86400;
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  return {yoe + era * 400 + (m <= 2), m, d, secs / 3600, secs / 60 % 60, secs % 60};
}

// "/<first>/<second><rest>" with rest starting with '/'. False when the path has no such shape.
bool SplitPrefix(std::string_view path, std::string_view* first, std::string_view* second, std::string_view* rest) {
  if (path.size() < 2 || path[0] != '/') return false;
  size_t a = path.find('/', 1);
  if (a == std::string_view::npos) return false;
  size_t b = path.find('/', a + 1);
  if (b == std::string_view::npos) return false;
  *first = path.substr(1, a - 1);
  *second = path.substr(a + 1, b - a - 1);
  *rest = path.substr(b);
  return true;
}

// Which path token shape a path has, if any (used to tell "missing" from "wrong type").
bool LooksLikeB(std::string_view path) {
  std::string_view f, s, r;
  return SplitPrefix(path, &f, &s, &r) && f.size() == 12 && IsDigits(f) && IsHash(s);
}
bool LooksLikeC(std::string_view path) {
  std::string_view f, s, r;
  return SplitPrefix(path, &f, &s, &r) && IsHash(f) && s.size() <= kMaxHexTime && IsHex(s);
}

std::optional<std::string> AuthKeyOf(std::string_view query) {
  if (query.find(kAuthKeyParam) == std::string_view::npos) return std::nullopt;  // the common fast path
  return http::QueryGet(http::ParseQuery(query), kAuthKeyParam);
}

AuthStatus Malformed(std::string_view what, std::string_view why) {
  return AuthStatus::Fail(AuthError::kMalformed, std::string(what) + " malformed: " + std::string(why));
}

AuthStatus ParseA(std::string_view path, const std::string& value, Token* t) {
  if (value.size() > kMaxAuthKeyLen) return Malformed("auth_key", "too long");
  std::string_view parts[4];
  std::string_view rest(value);
  for (int i = 0; i < 4; ++i) {
    size_t dash = rest.find('-');
    if (i < 3 && dash == std::string_view::npos) return Malformed("auth_key", "expected <timestamp>-<rand>-<uid>-<md5hash>");
    if (i == 3 && dash != std::string_view::npos) return Malformed("auth_key", "more than four '-'-separated fields");
    parts[i] = rest.substr(0, dash);
    if (i < 3) rest.remove_prefix(dash + 1);
  }
  if (!IsDigits(parts[0]) || parts[0].size() > kMaxDecimalTime) return Malformed("auth_key", "timestamp is not a unix time");
  if (parts[1].size() > kMaxRandOrUidLen || parts[2].size() > kMaxRandOrUidLen) return Malformed("auth_key", "rand or uid too long");
  if (!IsHash(parts[3])) return Malformed("auth_key", "md5hash is not 32 hex digits");
  t->type = SignType::kA;
  t->path = std::string(path);
  t->time_text = std::string(parts[0]);
  t->time = ParseDecimal(parts[0]);
  t->rand = std::string(parts[1]);
  t->uid = std::string(parts[2]);
  t->hash = Lower(parts[3]);
  t->raw = value;
  return AuthStatus::Ok();
}

// B and C: nullopt when the path carries no attempt at this type's token at all.
std::optional<AuthStatus> ParsePathToken(SignType type, std::string_view path, Token* t) {
  std::string_view first, second, rest;
  if (!SplitPrefix(path, &first, &second, &rest)) return std::nullopt;
  std::string_view time_text = type == SignType::kB ? first : second;
  std::string_view hash = type == SignType::kB ? second : first;
  if (type == SignType::kB) {
    if (!IsDigits(first)) return std::nullopt;
    auto time = ParseTypeBTime(first);
    if (!time) return Malformed("path token", "'" + std::string(first) + "' is not a YYYYMMDDHHMM time");
    if (!IsHash(second)) return Malformed("path token", "md5hash is not 32 hex digits");
    t->time = *time;
  } else {
    if (!IsHash(first)) return std::nullopt;
    if (!IsHex(second) || second.size() > kMaxHexTime) return Malformed("path token", "timestamp is not a hex unix time");
    int64_t v = 0;
    for (char c : second) v = v * 16 + HexVal(c);
    t->time = v;
  }
  t->type = type;
  t->path = std::string(rest);
  t->time_text = std::string(time_text);
  t->rand.clear();
  t->uid.clear();
  t->hash = Lower(hash);
  t->raw = std::string(path.substr(0, path.size() - rest.size()));
  return AuthStatus::Ok();
}

std::string ExpectedHash(const Token& t, std::string_view uri, std::string_view key) {
  std::string s;
  switch (t.type) {
    case SignType::kA:
      s.append(uri).append("-").append(t.time_text).append("-").append(t.rand).append("-").append(t.uid).append("-").append(key);
      break;
    case SignType::kB:
      s.append(key).append(t.time_text).append(uri);
      break;
    case SignType::kC:
      s.append(key).append(uri).append(t.time_text);
      break;
  }
  return base::Md5Hex(s);
}

std::string DropDashes(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != '-') out.push_back(c);
  }
  return out;
}

}  // namespace

std::optional<SignType> ParseSignType(std::string_view s) {
  if (s == "A" || s == "a") return SignType::kA;
  if (s == "B" || s == "b") return SignType::kB;
  if (s == "C" || s == "c") return SignType::kC;
  return std::nullopt;
}

std::string_view SignTypeName(SignType t) { return t == SignType::kA ? "A" : t == SignType::kB ? "B" : "C"; }

std::string_view AuthErrorLabel(AuthError e) {
  switch (e) {
    case AuthError::kMissing: return "missing";
    case AuthError::kMalformed: return "malformed";
    case AuthError::kExpired: return "expired";
    case AuthError::kBadHash: return "bad_hash";
    case AuthError::kWrongType: return "wrong_type";
  }
  return "unknown";
}

AuthStatus ParseToken(SignType type, std::string_view path, std::string_view query, Token* out) {
  std::optional<std::string> auth_key = AuthKeyOf(query);
  if (type == SignType::kA) {
    if (auth_key) return ParseA(path, *auth_key, out);
    if (LooksLikeB(path) || LooksLikeC(path))
      return AuthStatus::Fail(AuthError::kWrongType, "the URL carries a path token (type B or C); this domain signs with type A (auth_key)");
    return AuthStatus::Fail(AuthError::kMissing, "no auth_key in the URL");
  }
  if (auto st = ParsePathToken(type, path, out)) return std::move(*st);
  const SignType other = type == SignType::kB ? SignType::kC : SignType::kB;
  if (auth_key || (other == SignType::kB ? LooksLikeB(path) : LooksLikeC(path))) {
    return AuthStatus::Fail(AuthError::kWrongType, "the URL carries a type " + std::string(auth_key ? "A" : SignTypeName(other)) +
                                                       " token; this domain signs with type " + std::string(SignTypeName(type)));
  }
  return AuthStatus::Fail(AuthError::kMissing, "no type " + std::string(SignTypeName(type)) + " path token in the URL");
}

AuthStatus CheckToken(const Token& t, std::string_view signed_path, const VerifyKeys& keys, int64_t now,
                      bool* used_secondary) {
  const int64_t expiry = t.type == SignType::kA ? t.time : t.time + keys.ttl_seconds;
  if (now > expiry) {
    return AuthStatus::Fail(AuthError::kExpired, "expired at " + FormatUnixTime(expiry) + " (" + std::to_string(expiry) +
                                                     "), " + std::to_string(now - expiry) + " s ago");
  }
  // Both keys are always tried, so the time does not tell which one matched.
  bool primary = false, secondary = false;
  if (!keys.primary.empty()) primary = base::ConstantTimeEquals(ExpectedHash(t, signed_path, keys.primary), t.hash);
  if (!keys.secondary.empty()) secondary = base::ConstantTimeEquals(ExpectedHash(t, signed_path, keys.secondary), t.hash);
  if (used_secondary) *used_secondary = !primary && secondary;
  if (primary || secondary) return AuthStatus::Ok();
  if (keys.primary.empty() && keys.secondary.empty()) return AuthStatus::Fail(AuthError::kBadHash, "no signing key is configured");
  return AuthStatus::Fail(AuthError::kBadHash, "bad hash for " + std::string(signed_path) + " (matches neither key)");
}

AuthStatus Verify(const DomainAuth& auth, std::string_view path, std::string_view query, int64_t now, Token* out,
                  int64_t ttl_seconds) {
  auto type = ParseSignType(auth.type);
  if (!type) return AuthStatus::Fail(AuthError::kWrongType, "domain signing type '" + auth.type + "' is not A, B or C");
  Token t;
  AuthStatus st = ParseToken(*type, path, query, &t);
  if (!st.ok()) return st;
  st = CheckToken(t, t.path, VerifyKeys{auth.key, auth.key2, ttl_seconds}, now);
  if (st.ok() && out) *out = std::move(t);
  return st;
}

SignedUri Sign(SignType type, std::string_view key, std::string_view uri, int64_t time, std::string_view rand,
               std::string_view uid) {
  Token t;
  t.type = type;
  SignedUri out;
  switch (type) {
    case SignType::kA: {
      t.time_text = std::to_string(time);
      t.rand = DropDashes(rand);
      t.uid = DropDashes(uid);
      const std::string value = t.time_text + "-" + t.rand + "-" + t.uid + "-" + ExpectedHash(t, uri, key);
      out.path = std::string(uri);
      out.query = std::string(kAuthKeyParam) + "=" + http::PercentEncode(value);
      break;
    }
    case SignType::kB:
      t.time_text = FormatTypeBTime(time);
      out.path = "/" + t.time_text + "/" + ExpectedHash(t, uri, key) + std::string(uri);
      break;
    case SignType::kC: {
      char hex[20];
      std::snprintf(hex, sizeof hex, "%llX", static_cast<unsigned long long>(time < 0 ? 0 : time));
      t.time_text = hex;
      out.path = "/" + ExpectedHash(t, uri, key) + "/" + t.time_text + std::string(uri);
      break;
    }
  }
  return out;
}

std::string CarryToken(const Token& t, std::string_view uri) {
  if (uri.empty() || uri.find("://") != std::string_view::npos || uri.substr(0, 2) == "//") return std::string(uri);
  if (t.type != SignType::kA) return uri[0] == '/' ? t.raw + std::string(uri) : std::string(uri);
  auto [path, query] = http::SplitQuery(uri);
  std::string q = http::QueryWithout(query, {kAuthKeyParam});
  if (!q.empty()) q += "&";
  return std::string(path) + "?" + q + std::string(kAuthKeyParam) + "=" + http::PercentEncode(t.raw);
}

std::string CarryTokenInPlaylist(const Token& t, std::string_view playlist) {
  std::string out;
  out.reserve(playlist.size() + playlist.size() / 4);
  while (!playlist.empty()) {
    const size_t nl = playlist.find('\n');
    std::string_view line = playlist.substr(0, nl);
    playlist = nl == std::string_view::npos ? std::string_view() : playlist.substr(nl + 1);
    std::string_view eol = nl == std::string_view::npos ? "" : "\n";
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
      eol = nl == std::string_view::npos ? "\r" : "\r\n";
    }
    if (line.empty()) {
      // blank lines stay as they are
    } else if (line[0] != '#') {
      out += CarryToken(t, line);
      line = {};
    } else {
      // A tag: rewrite each URI="..." attribute (RFC 8216 4.2: a quoted-string has no quotes).
      for (size_t at; (at = line.find("URI=\"")) != std::string_view::npos;) {
        const size_t start = at + 5, end = line.find('"', start);
        if (end == std::string_view::npos) break;
        out.append(line.substr(0, start)).append(CarryToken(t, line.substr(start, end - start)));
        line.remove_prefix(end);
      }
    }
    out.append(line).append(eol);
  }
  return out;
}

std::string FormatUnixTime(int64_t t) {
  Civil c = CivilFromUnix(t);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ", static_cast<long long>(c.y),
                static_cast<long long>(c.m), static_cast<long long>(c.d), static_cast<long long>(c.hh),
                static_cast<long long>(c.mm), static_cast<long long>(c.ss));
  return buf;
}

std::optional<int64_t> ParseTypeBTime(std::string_view s) {
  if (s.size() != 12 || !IsDigits(s)) return std::nullopt;
  const int64_t y = ParseDecimal(s.substr(0, 4)), m = ParseDecimal(s.substr(4, 2)), d = ParseDecimal(s.substr(6, 2));
  const int64_t hh = ParseDecimal(s.substr(8, 2)), mm = ParseDecimal(s.substr(10, 2));
  if (m < 1 || m > 12 || d < 1 || hh > 23 || mm > 59) return std::nullopt;
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (d > kDays[m - 1] + (m == 2 && leap ? 1 : 0)) return std::nullopt;
  return DaysFromCivil(y, m, d) * 86400 + hh * 3600 + mm * 60 - kUtc8Offset;
}

std::string FormatTypeBTime(int64_t unix_seconds) {
  Civil c = CivilFromUnix(unix_seconds + kUtc8Offset);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04lld%02lld%02lld%02lld%02lld", static_cast<long long>(c.y), static_cast<long long>(c.m),
                static_cast<long long>(c.d), static_cast<long long>(c.hh), static_cast<long long>(c.mm));
  return buf;
}

}  // namespace cdn::auth
