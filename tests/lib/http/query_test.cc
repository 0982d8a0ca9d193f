// Tests for lib/http/query: query strings, percent-decoding (malformed escapes), QueryWithout,
// SplitQuery, ParseUrl (ports, IPv6, userinfo, no path, garbage), IsIpLiteral, ToLower.
#include "lib/http/query.h"

#include <doctest/doctest.h>

#include <random>
#include <string>

namespace cdn::http {
namespace {

using namespace std::string_literals;  // NOLINT: byte strings with NULs

TEST_CASE("PercentDecode") {
  CHECK(PercentDecode("abc") == "abc");
  CHECK(PercentDecode("") == "");
  CHECK(PercentDecode("a%20b") == "a b");
  CHECK(PercentDecode("%41%62%7e%7E") == "Ab~~");
  CHECK(PercentDecode("%00x") == "\0x"s);
  CHECK(PercentDecode("%ff") == "\xff"s);
  CHECK(PercentDecode("a+b") == "a+b");
  CHECK(PercentDecode("a+b", true) == "a b");
  CHECK(PercentDecode("%2B", true) == "+");
  CHECK(PercentDecode("100%25") == "100%");
  // Malformed escapes.
  for (const char* bad : {"%", "%4", "a%", "a%4", "%g0", "%0g", "%%", "%-1", "% 1", "ab%zz"}) {
    CAPTURE(bad);
    CHECK(!PercentDecode(bad).has_value());
  }
}

TEST_CASE("PercentEncode round trips through PercentDecode") {
  CHECK(PercentEncode("a b/c?d=e&f") == "a%20b%2Fc%3Fd%3De%26f");
  CHECK(PercentEncode("AZaz09-_.~") == "AZaz09-_.~");
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  CHECK(PercentDecode(PercentEncode(all)) == all);
}

TEST_CASE("ParseQuery") {
  auto q = ParseQuery("a=1&b=%20x&flag&c=&=v&&d=x=y&e=a+b");
  REQUIRE(q.size() == 7);
  CHECK(q[0] == std::pair<std::string, std::string>{"a", "1"});
  CHECK(q[1] == std::pair<std::string, std::string>{"b", " x"});
  CHECK(q[2] == std::pair<std::string, std::string>{"flag", ""});
  CHECK(q[3] == std::pair<std::string, std::string>{"c", ""});
  CHECK(q[4] == std::pair<std::string, std::string>{"", "v"});
  CHECK(q[5] == std::pair<std::string, std::string>{"d", "x=y"});
  CHECK(q[6] == std::pair<std::string, std::string>{"e", "a b"});
  CHECK(ParseQuery("").empty());
  CHECK(ParseQuery("&&&").empty());
  // A malformed escape keeps the raw text rather than dropping the parameter.
  auto bad = ParseQuery("k%=v%zz");
  REQUIRE(bad.size() == 1);
  CHECK(bad[0].first == "k%");
  CHECK(bad[0].second == "v%zz");
  // Keys are decoded too.
  CHECK(QueryGet(ParseQuery("auth%5Fkey=1"), "auth_key") == "1");
}

TEST_CASE("QueryGet: the first match") {
  auto q = ParseQuery("vhost=a&vhost=b&x=1");
  CHECK(QueryGet(q, "vhost") == "a");
  CHECK(QueryGet(q, "x") == "1");
  CHECK(!QueryGet(q, "y").has_value());
  CHECK(QueryGet(ParseQuery("flag"), "flag") == "");
}

TEST_CASE("QueryWithout drops the named keys and keeps the rest verbatim") {
  CHECK(QueryWithout("auth_key=1-2-3-x&a=%20b&vhost=v", {"auth_key"}) == "a=%20b&vhost=v");
  CHECK(QueryWithout("a=1&auth_key=x&b=2&auth_key=y", {"auth_key"}) == "a=1&b=2");
  CHECK(QueryWithout("auth_key=x", {"auth_key"}) == "");
  CHECK(QueryWithout("a=1&&b", {"c"}) == "a=1&b");
  CHECK(QueryWithout("a=1&b=2&c=3", {"a", "c"}) == "b=2");
  CHECK(QueryWithout("auth_key", {"auth_key"}) == "");
  CHECK(QueryWithout("auth_keyX=1", {"auth_key"}) == "auth_keyX=1");
  CHECK(QueryWithout("", {"a"}) == "");
}

TEST_CASE("SplitQuery at the first '?'") {
  CHECK(SplitQuery("room") == std::pair<std::string_view, std::string_view>{"room", ""});
  CHECK(SplitQuery("room?a=1?b") == std::pair<std::string_view, std::string_view>{"room", "a=1?b"});
  CHECK(SplitQuery("?x") == std::pair<std::string_view, std::string_view>{"", "x"});
  CHECK(SplitQuery("room?") == std::pair<std::string_view, std::string_view>{"room", ""});
}

TEST_CASE("ParseUrl: the forms we accept") {
  struct Case {
    const char* in;
    const char* scheme;
    const char* host;
    int port;
    const char* path;
    const char* query;
  };
  const Case cases[] = {
      {"rtmp://push.example.com/live", "rtmp", "push.example.com", -1, "/live", ""},
      {"RTMP://Push.Example.COM:1935/live/room?auth_key=1", "rtmp", "push.example.com", 1935, "/live/room",
       "auth_key=1"},
      {"http://127.0.0.1:8090/live/room.flv", "http", "127.0.0.1", 8090, "/live/room.flv", ""},
      {"http://h", "http", "h", -1, "/", ""},
      {"http://h:0", "http", "h", 0, "/", ""},
      {"http://h:65535/", "http", "h", 65535, "/", ""},
      {"http://h?x=1", "http", "h", -1, "/", "x=1"},
      {"http://h:80?x=1", "http", "h", 80, "/", "x=1"},
      {"rtmp://[::1]:1935/live", "rtmp", "::1", 1935, "/live", ""},
      {"rtmp://[2001:DB8::1]/live", "rtmp", "2001:db8::1", -1, "/live", ""},
      {"http://user:pass@h:81/p", "http", "h", 81, "/p", ""},
      {"http://h/a?b?c", "http", "h", -1, "/a", "b?c"},
      {"http://h/p/?", "http", "h", -1, "/p/", ""},
  };
  for (const Case& c : cases) {
    CAPTURE(c.in);
    auto u = ParseUrl(c.in);
    REQUIRE(u.has_value());
    CHECK(u->scheme == c.scheme);
    CHECK(u->host == c.host);
    CHECK(u->port == c.port);
    CHECK(u->path == c.path);
    CHECK(u->query == c.query);
  }
}

TEST_CASE("ParseUrl: garbage is nullopt") {
  for (const char* bad : {"", "push.example.com/live", "://h/x", "rtmp:/h/x", "rtmp://", "rtmp:///live",
                          "http://:80/x", "http://h:/x", "http://h:x/", "http://h:65536/", "http://h:123456/",
                          "http://h:-1/", "http://[::1/x", "http://[::1]x/", "http://[]/x", "http://user@/x",
                          "http://h: 80/"}) {
    CAPTURE(bad);
    CHECK(!ParseUrl(bad).has_value());
  }
}

TEST_CASE("ParseUrl never crashes on random input") {
  std::mt19937 rng(5);
  const std::string alphabet = "rtmph:/[]@?&=%.:0123456789abc";
  for (int i = 0; i < 20000; ++i) {
    std::string s = (i % 2) ? "rtmp://" : "";
    const size_t n = rng() % 24;
    for (size_t k = 0; k < n; ++k) s.push_back(alphabet[rng() % alphabet.size()]);
    auto u = ParseUrl(s);
    if (u) {
      CHECK(!u->host.empty());
      CHECK(u->path.front() == '/');
      CHECK(u->port <= 65535);
    }
  }
}

TEST_CASE("IsIpLiteral and ToLower") {
  CHECK(IsIpLiteral("127.0.0.1"));
  CHECK(IsIpLiteral("::1"));
  CHECK(IsIpLiteral("2001:db8::1"));
  CHECK(!IsIpLiteral("example.com"));
  CHECK(!IsIpLiteral("1.2.3"));
  CHECK(!IsIpLiteral("256.1.1.1"));
  CHECK(!IsIpLiteral(""));
  CHECK(!IsIpLiteral("[::1]"));
  CHECK(ToLower("MiXeD.Example.COM") == "mixed.example.com");
  CHECK(ToLower("\xC3\x89") == "\xC3\x89");  // bytes >= 0x80 untouched
}

}  // namespace
}  // namespace cdn::http
