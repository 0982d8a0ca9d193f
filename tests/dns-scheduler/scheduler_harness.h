// Test harness: a Routing built from YAML text, queried through the real QueryHandler, answers
// decoded by the independent test decoder. Header-only; tests/dns-scheduler only.
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "dns-scheduler/config.h"
#include "dns-scheduler/geo_map.h"
#include "dns-scheduler/query_handler.h"
#include "dns-scheduler/routing.h"
#include "dns-scheduler/zone_table.h"
#include "lib/config/node.h"
#include "lib/dns/wire.h"
#include "tests/lib/dns/test_message.h"

namespace cdn::sched::testing {

using dns::testing::Message;
using dns::testing::QueryOptions;

inline SchedulerConfig MustParse(const std::string& yaml) {
  auto node = config::Node::LoadString(yaml);
  REQUIRE_MESSAGE(node.ok(), node.status().ToString());
  auto c = ParseConfig(*node);
  REQUIRE_MESSAGE(c.ok(), c.status().ToString());
  return *c;
}

class Harness {
 public:
  explicit Harness(const std::string& yaml, std::shared_ptr<GeoDb> db = nullptr)
      : config_(MustParse(yaml)), handler_(&holder_, &stats_, config_.edns_udp_size, 42), out_(dns::kMaxMessage) {
    auto geo = GeoMap::Build(config_, db);
    REQUIRE(geo.ok());
    geo_ = *geo;
    auto zones = ZoneTable::Build(config_, config_.domains, 2024010101);
    REQUIRE_MESSAGE(zones.ok(), zones.status().ToString());
    zones_ = *zones;
    states_.assign(geo_->edges().size(), EdgeState());
    Publish();
  }

  EdgeState& state(const std::string& edge_id) {
    int i = geo_->FindEdge(edge_id);
    REQUIRE(i >= 0);
    return states_[i];
  }
  void Publish() { holder_.Publish(MakeRouting(zones_, geo_, states_, &regions_, &edges_)); }

  Message Ask(const std::string& name, uint16_t qtype, const std::string& source, QueryOptions o = {},
              bool tcp = false) {
    std::string q = dns::testing::MakeQuery(name, qtype, o);
    return AskRaw(q, source, tcp);
  }
  Message AskRaw(const std::string& wire, const std::string& source, bool tcp = false) {
    auto ip = ParseIp(source);
    REQUIRE(ip.ok());
    last_size_ = handler_.Handle(wire, *ip, tcp, out_.data());
    Message m;
    if (last_size_ > 0) {
      REQUIRE(dns::testing::Decode(std::string_view(reinterpret_cast<char*>(out_.data()), last_size_), &m));
    }
    return m;
  }
  size_t last_size() const { return last_size_; }
  const WorkerStats& stats() const { return stats_; }
  const SchedulerConfig& config() const { return config_; }

  // The A/AAAA addresses of an answer, in order.
  static std::vector<std::string> Addresses(const Message& m) {
    std::vector<std::string> out;
    for (const auto& rr : m.answer) {
      if (rr.type == dns::kTypeA || rr.type == dns::kTypeAaaa) out.push_back(rr.data);
    }
    return out;
  }

 private:
  SchedulerConfig config_;
  RoutingHolder holder_;
  WorkerStats stats_;
  SlotRegistry regions_{32};
  SlotRegistry edges_{128};
  QueryHandler handler_;
  std::shared_ptr<const GeoMap> geo_;
  std::shared_ptr<const ZoneTable> zones_;
  std::vector<EdgeState> states_;
  std::vector<uint8_t> out_;
  size_t last_size_ = 0;
};

// The local topology of DESIGN.md.
inline const char* kLocalConfig = R"(
node_id: dns-test
listen: [127.0.0.1:0]
zone: livecdn.test
ns: [ns1.livecdn.test]
ttl: 30s
answers: 2
regions:
  - {cidr: 127.0.1.0/24, region: north}
  - {cidr: 127.0.2.0/24, region: south}
default_region: north
edges:
  - {id: edge-north-1, address: 127.0.1.10, region: north, lat: 39.9, lon: 116.4, weight: 100, capacity: 10Gbps}
  - {id: edge-south-1, address: 127.0.2.10, region: south, lat: 22.5, lon: 114.1, weight: 100, capacity: 10Gbps}
domains:
  - {name: push.example.com, type: push}
  - {name: pull.example.com, type: pull, source: push.example.com, auth: {type: A, key: k}}
records:
  - {name: ns1, type: A, value: 127.0.0.1}
zones:
  - name: example.com
    records:
      - {name: pull.example.com, type: CNAME, value: pull.example.com.livecdn.test}
      - {name: push, type: CNAME, value: push.example.com.livecdn.test.}
      - {name: www, type: A, value: 192.0.2.80}
      - {name: loop1, type: CNAME, value: loop2.example.com}
      - {name: loop2, type: CNAME, value: loop1.example.com}
      - {name: away, type: CNAME, value: elsewhere.example.net}
      - {name: gone, type: CNAME, value: nothing.livecdn.test}
)";

}  // namespace cdn::sched::testing
