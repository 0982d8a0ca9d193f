// Tests for lib/config/values: sizes, durations, bandwidths and host:port (valid forms, units,
// limits, garbage), the typed readers with the YAML path and line in every error, and
// CheckKnownKeys catching typos.
#include "lib/config/values.h"

#include <doctest/doctest.h>

#include <string>

namespace cdn::config {
namespace {

using Code = base::Status::Code;

Node Load(std::string_view yaml) {
  auto r = Node::LoadString(yaml);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  return *r;
}

TEST_CASE("ParseSize") {
  struct Case {
    const char* in;
    uint64_t want;
  };
  for (const Case& c : {Case{"0", 0}, Case{"123", 123}, Case{"123B", 123}, Case{"4KiB", 4096}, Case{"4K", 4096},
                        Case{"4k", 4096}, Case{"256MiB", 256ull << 20}, Case{"8M", 8ull << 20},
                        Case{"4GiB", 4ull << 30}, Case{"2TiB", 2ull << 40}, Case{"1KB", 1000}, Case{"1kB", 1000},
                        Case{"1MB", 1000000}, Case{"3GB", 3000000000ull}, Case{"1.5KiB", 1536},
                        Case{"512 MiB", 512ull << 20}, Case{"0.5MiB", 512 << 10}}) {
    CAPTURE(c.in);
    auto r = ParseSize(c.in);
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    CHECK(*r == c.want);
  }
  for (const char* bad : {"", "MiB", "-1", "12XB", "1..2K", ".", "1e3", "one", " 1", "1 MiBs", "99999999999TiB"}) {
    CAPTURE(bad);
    auto r = ParseSize(bad);
    CHECK(r.status().code() == Code::kInvalid);
  }
}

TEST_CASE("ParseDurationMs") {
  struct Case {
    const char* in;
    int64_t want;
  };
  for (const Case& c : {Case{"0", 0}, Case{"2", 2000}, Case{"2s", 2000}, Case{"250ms", 250}, Case{"1.5s", 1500},
                        Case{"30m", 1800000}, Case{"30min", 1800000}, Case{"1h", 3600000}, Case{"1d", 86400000},
                        Case{"10 s", 10000}}) {
    CAPTURE(c.in);
    auto r = ParseDurationMs(c.in);
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    CHECK(*r == c.want);
  }
  for (const char* bad : {"", "s", "-5s", "5x", "5sec", "1y", "9999999999999d", "2s ago"}) {
    CAPTURE(bad);
    CHECK(ParseDurationMs(bad).status().code() == Code::kInvalid);
  }
}

TEST_CASE("ParseBandwidth") {
  struct Case {
    const char* in;
    uint64_t want;
  };
  for (const Case& c : {Case{"100", 100}, Case{"100bps", 100}, Case{"64kbps", 64000}, Case{"800k", 800000},
                        Case{"800K", 800000}, Case{"2M", 2000000}, Case{"500Mbps", 500000000},
                        Case{"10Gbps", 10000000000ull}, Case{"1.5Gbps", 1500000000}, Case{"1Tbps", 1000000000000ull}}) {
    CAPTURE(c.in);
    auto r = ParseBandwidth(c.in);
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    CHECK(*r == c.want);
  }
  for (const char* bad : {"", "fast", "10Xbps", "-1M", "10 Gbit", "99999999999999Tbps"}) {
    CAPTURE(bad);
    CHECK(ParseBandwidth(bad).status().code() == Code::kInvalid);
  }
}

TEST_CASE("ParseHostPort") {
  struct Case {
    const char* in;
    const char* host;
    uint16_t port;
    const char* back;
  };
  for (const Case& c : {Case{"127.0.0.1:19350", "127.0.0.1", 19350, "127.0.0.1:19350"},
                        Case{"0.0.0.0:0", "0.0.0.0", 0, "0.0.0.0:0"},
                        Case{"localhost:65535", "localhost", 65535, "localhost:65535"},
                        Case{"[::1]:8080", "::1", 8080, "[::1]:8080"},
                        Case{"[2001:db8::1]:53", "2001:db8::1", 53, "[2001:db8::1]:53"}}) {
    CAPTURE(c.in);
    auto r = ParseHostPort(c.in);
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    CHECK(r->host == c.host);
    CHECK(r->port == c.port);
    CHECK(r->ToString() == c.back);
  }
  for (const char* bad : {"", "host", ":80", "host:", "host:65536", "host:-1", "host:80x", "host:+80", "[::1]",
                          "[::1]80", "[::1:80", "[]:80", "host:99999999999"}) {
    CAPTURE(bad);
    CHECK(ParseHostPort(bad).status().code() == Code::kInvalid);
  }
}

TEST_CASE("readers: values, defaults kept when absent, errors with path and line") {
  Node root = Load(
      "rtmp:\n"
      "  listen: 0.0.0.0:1935\n"
      "  max_message_size: 4MiB\n"
      "  handshake_timeout: 3s\n"
      "  on: yes\n"
      "  off: off\n"
      "  n: 42\n"
      "  x: 2.5\n"
      "  rate: 10Mbps\n"
      "  list: [a, b, c]\n"
      "  name: hello\n");
  Node rtmp = root["rtmp"];
  HostPort hp{"unset", 1};
  CHECK(ReadHostPort(rtmp, "listen", &hp).ok());
  CHECK(hp.ToString() == "0.0.0.0:1935");
  uint64_t size = 0;
  CHECK(ReadSize(rtmp, "max_message_size", &size).ok());
  CHECK(size == 4u << 20);
  int64_t ms = 0;
  CHECK(ReadDurationMs(rtmp, "handshake_timeout", &ms).ok());
  CHECK(ms == 3000);
  bool b = false;
  CHECK(ReadBool(rtmp, "on", &b).ok());
  CHECK(b);
  CHECK(ReadBool(rtmp, "off", &b).ok());
  CHECK(!b);
  int64_t n = 0;
  CHECK(ReadInt(rtmp, "n", &n, 0, 100).ok());
  CHECK(n == 42);
  double x = 0;
  CHECK(ReadDouble(rtmp, "x", &x).ok());
  CHECK(x == 2.5);
  uint64_t rate = 0;
  CHECK(ReadBandwidth(rtmp, "rate", &rate).ok());
  CHECK(rate == 10000000);
  std::vector<std::string> list = {"old"};
  CHECK(ReadStringList(rtmp, "list", &list).ok());
  CHECK(list == std::vector<std::string>{"a", "b", "c"});
  std::string s;
  CHECK(ReadString(rtmp, "name", &s).ok());
  CHECK(s == "hello");

  // Absent keys leave the defaults alone...
  std::string def = "default";
  CHECK(ReadString(rtmp, "nope", &def).ok());
  CHECK(def == "default");
  int64_t d = 7;
  CHECK(ReadInt(rtmp, "nope", &d, 0, 1).ok());
  CHECK(d == 7);
  HostPort keep{"h", 2};
  CHECK(ReadHostPort(root["http"], "listen", &keep).ok());
  CHECK(keep.port == 2);
  // ...unless required, and then the error names the full path.
  base::Status req = ReadString(rtmp, "nope", &def, true);
  CHECK(req.code() == Code::kInvalid);
  CHECK(req.message() == "rtmp.nope: is required");
  CHECK(ReadHostPort(root["http"], "listen", &keep, true).message() == "http.listen: is required");
}

TEST_CASE("reader errors carry the YAML path and line") {
  Node root = Load(
      "rtmp:\n"                      // 1
      "  listen: 127.0.0.1\n"        // 2
      "  max_message_size: 4XB\n"    // 3
      "  handshake_timeout: soon\n"  // 4
      "  flag: maybe\n"              // 5
      "  n: 500\n"                   // 6
      "  m: 12abc\n"                 // 7
      "  x: pi\n"                    // 8
      "  rate: fast\n"               // 9
      "  list: notalist\n"           // 10
      "  items: [a, {b: c}]\n"       // 11
      "  obj: {a: 1}\n");            // 12
  Node rtmp = root["rtmp"];
  struct Case {
    const char* what;
    base::Status st;
    const char* prefix;
  };
  HostPort hp;
  uint64_t u = 0;
  int64_t i = 0;
  bool b = false;
  double x = 0;
  std::string s;
  std::vector<std::string> l;
  const Case cases[] = {
      {"host:port without a port", ReadHostPort(rtmp, "listen", &hp), "rtmp.listen (line 2): "},
      {"size unit", ReadSize(rtmp, "max_message_size", &u), "rtmp.max_message_size (line 3): "},
      {"duration", ReadDurationMs(rtmp, "handshake_timeout", &i), "rtmp.handshake_timeout (line 4): "},
      {"bool", ReadBool(rtmp, "flag", &b), "rtmp.flag (line 5): "},
      {"int range", ReadInt(rtmp, "n", &i, 0, 100), "rtmp.n (line 6): must be between 0 and 100"},
      {"int syntax", ReadInt(rtmp, "m", &i, 0, 100), "rtmp.m (line 7): expected an integer"},
      {"double", ReadDouble(rtmp, "x", &x), "rtmp.x (line 8): "},
      {"bandwidth", ReadBandwidth(rtmp, "rate", &u), "rtmp.rate (line 9): "},
      {"list", ReadStringList(rtmp, "list", &l), "rtmp.list (line 10): expected a list"},
      {"list item", ReadStringList(rtmp, "items", &l), "rtmp.items[1] (line 11): expected a string"},
      {"string from a map", ReadString(rtmp, "obj", &s), "rtmp.obj (line 12): expected a string"},
      {"size from a map", ReadSize(rtmp, "obj", &u), "rtmp.obj (line 12): "},
      {"host:port from a map", ReadHostPort(rtmp, "obj", &hp), "rtmp.obj (line 12): "},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    CHECK(c.st.code() == Code::kInvalid);
    CHECK_MESSAGE(c.st.message().rfind(c.prefix, 0) == 0, c.st.message());
  }
}

TEST_CASE("CheckKnownKeys rejects typos with the full path") {
  Node root = Load("rtmp:\n  listen: 1.2.3.4:5\n  listne: 1.2.3.4:6\n");
  base::Status st = CheckKnownKeys(root["rtmp"], {"listen", "max_message_size"});
  CHECK(st.code() == Code::kInvalid);
  CHECK(st.message() == "rtmp.listne (line 3): unknown key 'listne'");
  CHECK(CheckKnownKeys(root["rtmp"], {"listen", "listne"}).ok());
  CHECK(CheckKnownKeys(root["absent"], {"x"}).ok());  // nothing there, nothing unknown
  Node scalar = Load("rtmp: 5\n");
  CHECK(CheckKnownKeys(scalar["rtmp"], {"x"}).message() == "rtmp (line 1): expected a map");
}

}  // namespace
}  // namespace cdn::config
