#include "dns-scheduler/config.h"

#include <doctest/doctest.h>

#include "lib/config/node.h"
#include "tests/dns-scheduler/scheduler_harness.h"

using namespace cdn::sched;

namespace {
std::string ErrorOf(const std::string& yaml) {
  auto node = cdn::config::Node::LoadString(yaml);
  REQUIRE(node.ok());
  auto c = ParseConfig(*node);
  return c.ok() ? "" : c.status().message();
}
}  // namespace

TEST_CASE("the DESIGN.md example parses with defaults filled in") {
  auto c = testing::MustParse(testing::kLocalConfig);
  CHECK(c.zone == "livecdn.test");
  CHECK(c.ttl == 30);
  CHECK(c.answers == 2);
  CHECK(c.edges.size() == 2);
  CHECK(c.edges[0].capacity_bps == 10000000000ull);
  CHECK(c.regions.size() == 2);
  CHECK(c.domains == std::vector<std::string>{"push.example.com", "pull.example.com"});
  CHECK(c.health.interval_ms == 2000);
  CHECK(c.health.timeout_ms == 1000);
  CHECK(c.zones.size() == 1);
  CHECK(c.zones[0].records[0].name == "pull.example.com");
  CHECK(c.zones[0].records[1].name == "push.example.com");  // relative name qualified
  CHECK(c.records[0].name == "ns1.livecdn.test");
  CHECK(c.listen[0].port == 0);
}

TEST_CASE("errors name the YAML path") {
  const std::string edges = "edges:\n  - {id: a, address: 192.0.2.1, region: r}\n";
  struct Case {
    std::string yaml;
    const char* want;
  } cases[] = {
      {edges, "zone"},
      {"zone: t\nedges: []\n", "edges"},
      {"zone: t\n" + edges + "answers: 0\n", "answers"},
      {"zone: t\n" + edges + "regions:\n  - {cidr: 10.0.0.1/8, region: r}\n", "regions[0].cidr"},
      {"zone: t\n" + edges + "regions:\n  - {cidr: 10.0.0.0/8, region: x}\n", "regions[0].region"},
      {"zone: t\n" + edges + "default_region: x\n", "default_region"},
      {"zone: t\nedges:\n  - {id: a, address: 192.0.2.1}\n  - {id: a, address: 192.0.2.2}\n", "edges[1].id"},
      {"zone: t\nedges:\n  - {id: a, address: 192.0.2.1, lat: 10}\n", "edges[0]"},
      {"zone: t\nedges:\n  - {id: a, address: 192.0.2.1, lat: 100, lon: 1}\n", "edges[0].lat"},
      {"zone: t\nedges:\n  - {id: a, address: 192.0.2.1, health: ftp://x}\n", "edges[0].health"},
      {"zone: t\n" + edges + "listne: []\n", "listne"},
      {"zone: t\n" + edges + "health: {interval: 1s, timeout: 2s}\n", "health.timeout"},
      {"zone: t\n" + edges + "zones:\n  - name: ex.com\n    records:\n      - {name: www.other.org., type: A, value: 1.2.3.4}\n", "zones[0].records[0]"},
      {"zone: t\n" + edges + "records:\n  - {name: x, type: BOGUS, value: 1}\n", "records[0]"},
      {"zone: t\n" + edges + "records:\n  - \"x A 999.1.1.1\"\n", "records[0]"},
      {"zone: t\n" + edges + "listen: [localhost:53]\n", "listen"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.yaml);
    std::string err = ErrorOf(c.yaml);
    CHECK(err.find(c.want) != std::string::npos);
  }
}

TEST_CASE("record string form and zone-level conflicts") {
  auto c = testing::MustParse(
      "zone: t.test\nedges:\n  - {id: a, address: 192.0.2.1}\nrecords:\n  - \"www 60 A 192.0.2.80\"\n  - \"txt TXT hello world\"\n");
  REQUIRE(c.records.size() == 2);
  CHECK(c.records[0].ttl == 60);
  CHECK(c.records[0].name == "www.t.test");
  CHECK(c.records[1].rdata == std::string("\x0bhello world"));
  auto conflict = testing::MustParse(
      "zone: t.test\nedges:\n  - {id: a, address: 192.0.2.1}\nrecords:\n  - {name: x, type: CNAME, value: y.t.test}\n  - {name: x, type: A, value: 192.0.2.1}\n");
  CHECK_FALSE(ZoneTable::Build(conflict, {}, 1).ok());
}
