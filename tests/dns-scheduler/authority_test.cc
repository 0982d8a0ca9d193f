// Data-driven: config + client address (+ query) -> expected answer.
#include <doctest/doctest.h>

#include "tests/dns-scheduler/scheduler_harness.h"

using namespace cdn::sched;
using namespace cdn::sched::testing;
using cdn::dns::testing::QueryOptions;
namespace dns = cdn::dns;

TEST_CASE("the client's /24 picks its region (done-criterion 1, unit level)") {
  Harness h(kLocalConfig);
  struct Case {
    const char* source;
    const char* name;
    std::vector<std::string> want;
  } cases[] = {
      {"127.0.1.5", "pull.example.com.livecdn.test", {"127.0.1.10"}},
      {"127.0.2.5", "pull.example.com.livecdn.test", {"127.0.2.10"}},
      {"127.0.2.200", "PUSH.Example.com.livecdn.test.", {"127.0.2.10"}},
      {"127.0.0.1", "pull.example.com.livecdn.test", {"127.0.1.10"}},  // default region
      {"10.1.2.3", "push.example.com.livecdn.test", {"127.0.1.10"}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.source);
    CAPTURE(c.name);
    Message m = h.Ask(c.name, dns::kTypeA, c.source);
    CHECK(m.rcode == dns::kRcodeNoError);
    CHECK(m.aa);
    CHECK(Harness::Addresses(m) == c.want);
    REQUIRE(!m.answer.empty());
    CHECK(m.answer[0].ttl == 30);
  }
}

TEST_CASE("ECS decides instead of the resolver, with the scope it depended on") {
  Harness h(kLocalConfig);
  struct Case {
    const char* subnet;
    int source;
    const char* want;
    int scope;
  } cases[] = {
      {"127.0.2.0", 24, "127.0.2.10", 24},
      {"127.0.1.0", 24, "127.0.1.10", 24},
      {"127.0.2.77", 32, "127.0.2.10", 24},
      {"10.0.0.0", 8, "127.0.1.10", 2},  // default: 0/2 holds no rule
      {"127.0.0.0", 16, "127.0.1.10", 24},  // 127.0.0/24 is told apart from 127.0.1/24 by bit 23
  };
  for (const auto& c : cases) {
    CAPTURE(c.subnet);
    Message m = h.Ask("pull.example.com.livecdn.test", dns::kTypeA, "127.0.1.5",
                      QueryOptions().Ecs(c.subnet, static_cast<uint8_t>(c.source)));
    CHECK(Harness::Addresses(m) == std::vector<std::string>{c.want});
    CHECK(m.has_ecs);
    CHECK(m.ecs_source == c.source);
    CHECK(m.ecs_scope == c.scope);
  }
  // Source prefix 0: the resolver's address decides and the scope is 0 (RFC 7871 7.1.2).
  Message m = h.Ask("pull.example.com.livecdn.test", dns::kTypeA, "127.0.2.5", QueryOptions().Ecs("0.0.0.0", 0));
  CHECK(Harness::Addresses(m) == std::vector<std::string>{"127.0.2.10"});
  CHECK(m.ecs_scope == 0);
  // Not client-specific answers carry scope 0.
  m = h.Ask("nope.livecdn.test", dns::kTypeA, "127.0.2.5", QueryOptions().Ecs("127.0.2.0", 24));
  CHECK(m.rcode == dns::kRcodeNxDomain);
  CHECK(m.ecs_scope == 0);
}

TEST_CASE("authoritative behaviour for the zone") {
  Harness h(kLocalConfig);
  SUBCASE("unknown name in the zone: NXDOMAIN with SOA") {
    Message m = h.Ask("unknown.example.com.livecdn.test", dns::kTypeA, "127.0.1.5");
    CHECK(m.rcode == dns::kRcodeNxDomain);
    CHECK(m.aa);
    CHECK(m.answer.empty());
    REQUIRE(m.authority.size() == 1);
    CHECK(m.authority[0].type == dns::kTypeSoa);
    CHECK(m.authority[0].name == "livecdn.test.");
    CHECK(m.authority[0].ttl == 30);
  }
  SUBCASE("outside served zones: REFUSED without AA") {
    Message m = h.Ask("example.org", dns::kTypeA, "127.0.1.5");
    CHECK(m.rcode == dns::kRcodeRefused);
    CHECK_FALSE(m.aa);
  }
  SUBCASE("empty non-terminal: NODATA") {
    Message m = h.Ask("example.com.livecdn.test", dns::kTypeA, "127.0.1.5");
    CHECK(m.rcode == dns::kRcodeNoError);
    CHECK(m.answer.empty());
    REQUIRE(m.authority.size() == 1);
    CHECK(m.authority[0].type == dns::kTypeSoa);
  }
  SUBCASE("SOA and NS at the apex, with glue") {
    Message m = h.Ask("livecdn.test", dns::kTypeSoa, "127.0.1.5");
    REQUIRE(m.answer.size() == 1);
    CHECK(m.answer[0].type == dns::kTypeSoa);
    m = h.Ask("livecdn.test", dns::kTypeNs, "127.0.1.5");
    REQUIRE(m.answer.size() == 1);
    CHECK(m.answer[0].data == "ns1.livecdn.test.");
    REQUIRE(m.additional.size() == 1);
    CHECK(m.additional[0].data == "127.0.0.1");
  }
  SUBCASE("ANY is minimal (RFC 8482)") {
    Message m = h.Ask("livecdn.test", dns::kTypeAny, "127.0.1.5");
    REQUIRE(m.answer.size() == 1);
    CHECK(m.answer[0].type == dns::kTypeSoa);
    m = h.Ask("pull.example.com.livecdn.test", dns::kTypeAny, "127.0.2.5");
    CHECK(Harness::Addresses(m) == std::vector<std::string>{"127.0.2.10"});
  }
  SUBCASE("AAAA without IPv6 edges: NODATA") {
    Message m = h.Ask("pull.example.com.livecdn.test", dns::kTypeAaaa, "127.0.1.5");
    CHECK(m.rcode == dns::kRcodeNoError);
    CHECK(m.answer.empty());
    CHECK(m.authority.size() == 1);
  }
  SUBCASE("TXT at a geo name: NODATA") {
    Message m = h.Ask("pull.example.com.livecdn.test", dns::kTypeTxt, "127.0.1.5");
    CHECK(m.rcode == dns::kRcodeNoError);
    CHECK(m.answer.empty());
  }
  SUBCASE("class CH, AXFR, OPT as qtype, EDNS version 1") {
    CHECK(h.Ask("livecdn.test", dns::kTypeSoa, "127.0.1.5", QueryOptions().Class(3)).rcode == dns::kRcodeRefused);
    CHECK(h.Ask("livecdn.test", dns::kTypeAxfr, "127.0.1.5").rcode == dns::kRcodeRefused);
    CHECK(h.Ask("livecdn.test", dns::kTypeOpt, "127.0.1.5").rcode == dns::kRcodeFormErr);
    Message m = h.Ask("livecdn.test", dns::kTypeSoa, "127.0.1.5", QueryOptions().Version(1));
    CHECK(m.rcode == dns::kRcodeBadVers);
    CHECK(m.has_opt);
    CHECK(m.answer.empty());
  }
}

TEST_CASE("CNAME chains in served zones are followed into the answer") {
  Harness h(kLocalConfig);
  Message m = h.Ask("pull.example.com", dns::kTypeA, "127.0.2.5");
  CHECK(m.rcode == dns::kRcodeNoError);
  CHECK(m.aa);
  REQUIRE(m.answer.size() == 2);
  CHECK(m.answer[0].type == dns::kTypeCname);
  CHECK(m.answer[0].data == "pull.example.com.livecdn.test.");
  CHECK(m.answer[1].name == "pull.example.com.livecdn.test.");
  CHECK(m.answer[1].data == "127.0.2.10");

  m = h.Ask("push.example.com", dns::kTypeCname, "127.0.2.5");  // CNAME asked: not followed
  REQUIRE(m.answer.size() == 1);
  CHECK(m.answer[0].type == dns::kTypeCname);

  m = h.Ask("www.example.com", dns::kTypeA, "127.0.2.5");
  CHECK(Harness::Addresses(m) == std::vector<std::string>{"192.0.2.80"});

  m = h.Ask("loop1.example.com", dns::kTypeA, "127.0.2.5");  // loop: stops, no crash
  CHECK(m.rcode == dns::kRcodeNoError);
  CHECK(m.answer.size() >= 2);
  CHECK(m.answer.size() <= 9);

  m = h.Ask("away.example.com", dns::kTypeA, "127.0.2.5");  // leaves our zones
  CHECK(m.rcode == dns::kRcodeNoError);
  CHECK(m.answer.size() == 1);

  m = h.Ask("gone.example.com", dns::kTypeA, "127.0.2.5");  // ends in NXDOMAIN inside the CDN zone
  CHECK(m.rcode == dns::kRcodeNxDomain);
  CHECK(m.answer.size() == 1);
  REQUIRE(m.authority.size() == 1);
  CHECK(m.authority[0].name == "livecdn.test.");
}

TEST_CASE("health and load filter edges, failing over to the next nearest pool") {
  Harness h(kLocalConfig);
  auto ask = [&](const char* src) { return Harness::Addresses(h.Ask("pull.example.com.livecdn.test", dns::kTypeA, src)); };
  h.state("edge-north-1").up = false;
  h.Publish();
  CHECK(ask("127.0.1.5") == std::vector<std::string>{"127.0.2.10"});
  h.state("edge-north-1").up = true;
  h.state("edge-north-1").draining = true;
  h.Publish();
  CHECK(ask("127.0.1.5") == std::vector<std::string>{"127.0.2.10"});
  h.state("edge-north-1").draining = false;
  h.state("edge-north-1").overloaded = true;
  h.Publish();
  CHECK(ask("127.0.1.5") == std::vector<std::string>{"127.0.2.10"});
  // Everyone overloaded: load is tolerated before failing open.
  h.state("edge-south-1").overloaded = true;
  h.Publish();
  CHECK(ask("127.0.1.5") == std::vector<std::string>{"127.0.1.10"});
  CHECK(h.stats().fail_open.value() == 0);
  // All down: fail open to the nearest, and count it.
  h.state("edge-north-1").up = false;
  h.state("edge-south-1").up = false;
  h.Publish();
  CHECK(ask("127.0.2.5") == std::vector<std::string>{"127.0.2.10"});
  CHECK(h.stats().fail_open.value() == 1);
}

TEST_CASE("weights shape the first record") {
  Harness h(R"(
zone: cdn.test
answers: 2
edges:
  - {id: a, address: 192.0.2.1, region: r, weight: 1}
  - {id: b, address: 192.0.2.2, region: r, weight: 3}
domains: [d.example]
)");
  int first_b = 0;
  const int n = 4000;
  for (int i = 0; i < n; ++i) {
    auto a = Harness::Addresses(h.Ask("d.example.cdn.test", dns::kTypeA, "198.51.100.1"));
    REQUIRE(a.size() == 2);
    CHECK(a[0] != a[1]);
    if (a[0] == "192.0.2.2") ++first_b;
  }
  CHECK(first_b > n * 0.70);
  CHECK(first_b < n * 0.80);
}

TEST_CASE("TC over UDP when the answer does not fit; the full answer over TCP") {
  std::string yaml = "zone: cdn.test\nanswers: 16\ndomains: [a-rather-long-customer-domain-name-to-overflow-512.example]\nedges:\n";
  for (int i = 0; i < 16; ++i) {
    yaml += "  - {id: e" + std::to_string(i) + ", address: 192.0.2." + std::to_string(i + 1) +
            ", address6: '2001:db8::" + std::to_string(i + 1) + "', region: r}\n";
  }
  Harness h(yaml);
  // 16 AAAA records of 28+ octets do not fit 512.
  Message udp = h.Ask("a-rather-long-customer-domain-name-to-overflow-512.example.cdn.test", dns::kTypeAaaa, "198.51.100.1");
  CHECK(udp.tc);
  CHECK(udp.answer.size() < 16);
  CHECK(h.last_size() <= 512);
  Message tcp = h.Ask("a-rather-long-customer-domain-name-to-overflow-512.example.cdn.test", dns::kTypeAaaa, "198.51.100.1", {}, /*tcp=*/true);
  CHECK_FALSE(tcp.tc);
  CHECK(tcp.answer.size() == 16);
  // With EDNS the UDP budget grows and it fits.
  Message edns = h.Ask("a-rather-long-customer-domain-name-to-overflow-512.example.cdn.test", dns::kTypeAaaa, "198.51.100.1", QueryOptions().Edns(1232));
  CHECK_FALSE(edns.tc);
  CHECK(edns.answer.size() == 16);
  CHECK(h.stats().truncated.value() == 1);
}

TEST_CASE("IPv6 clients and IPv6 rules") {
  Harness h(R"(
zone: cdn.test
answers: 1
regions:
  - {cidr: '2001:db8:1::/48', region: one}
  - {cidr: 192.0.2.0/24, region: two}
default_region: two
edges:
  - {id: e1, address: 198.51.100.1, address6: '2001:db8:ffff::1', region: one}
  - {id: e2, address: 198.51.100.2, address6: '2001:db8:ffff::2', region: two}
domains: [v6.example]
)");
  CHECK(Harness::Addresses(h.Ask("v6.example.cdn.test", dns::kTypeAaaa, "2001:db8:1::5")) ==
        std::vector<std::string>{"2001:db8:ffff::1"});
  CHECK(Harness::Addresses(h.Ask("v6.example.cdn.test", dns::kTypeA, "2001:db8:1::5")) ==
        std::vector<std::string>{"198.51.100.1"});
  CHECK(Harness::Addresses(h.Ask("v6.example.cdn.test", dns::kTypeA, "::ffff:192.0.2.9")) ==
        std::vector<std::string>{"198.51.100.2"});
  Message m = h.Ask("v6.example.cdn.test", dns::kTypeA, "192.0.2.9", QueryOptions().Ecs("2001:db8:1::", 56));
  CHECK(Harness::Addresses(m) == std::vector<std::string>{"198.51.100.1"});
  CHECK(m.ecs_scope == 48);
}
