// dns-handler-bench: the cost of answering one query in user space (parse, decide, encode),
// without sockets: QueryHandler::Handle in a loop, per query shape. Bounded by iterations.
//   build/bin/dns-handler-bench [iterations=2000000]
#include <chrono>
#include <cstdio>
#include <cstdlib>
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

using namespace cdn;

int main(int argc, char** argv) {
  long iterations = argc > 1 ? std::atol(argv[1]) : 2000000;
  if (iterations <= 0 || iterations > 100000000) iterations = 2000000;
  auto node = config::Node::LoadString(R"(
zone: livecdn.test
answers: 1
regions:
  - {cidr: 127.0.1.0/24, region: north}
  - {cidr: 127.0.2.0/24, region: south}
default_region: north
edges:
  - {id: n, address: 127.0.1.10, region: north}
  - {id: s, address: 127.0.2.10, region: south}
domains: [pull.example.com]
zones:
  - name: example.com
    records: [{name: pull, type: CNAME, value: pull.example.com.livecdn.test}]
)");
  auto c = sched::ParseConfig(*node);
  if (!c.ok()) return 1;
  auto geo = sched::GeoMap::Build(*c, nullptr);
  auto zones = sched::ZoneTable::Build(*c, c->domains, 1);
  sched::RoutingHolder holder;
  holder.Publish(sched::MakeRouting(*zones, *geo, {}, nullptr, nullptr));
  sched::WorkerStats stats;
  sched::QueryHandler h(&holder, &stats, 1232, 1);
  std::vector<uint8_t> out(dns::kMaxMessage);
  auto src = *sched::ParseIp("127.0.1.5");
  struct Shape {
    const char* name;
    std::string wire;
  } shapes[] = {
      {"A, no EDNS", dns::testing::MakeQuery("pull.example.com.livecdn.test", dns::kTypeA)},
      {"A, EDNS", dns::testing::MakeQuery("pull.example.com.livecdn.test", dns::kTypeA, dns::testing::QueryOptions().Edns())},
      {"A, EDNS + ECS", dns::testing::MakeQuery("pull.example.com.livecdn.test", dns::kTypeA,
                                                dns::testing::QueryOptions().Ecs("127.0.2.0", 24))},
      {"CNAME chain -> A", dns::testing::MakeQuery("pull.example.com", dns::kTypeA, dns::testing::QueryOptions().Edns())},
      {"NXDOMAIN", dns::testing::MakeQuery("nope.livecdn.test", dns::kTypeA, dns::testing::QueryOptions().Edns())},
  };
  for (const auto& s : shapes) {
    size_t total = 0;
    auto t0 = std::chrono::steady_clock::now();
    for (long i = 0; i < iterations; ++i) total += h.Handle(s.wire, src, false, out.data());
    auto t1 = std::chrono::steady_clock::now();
    double ns = std::chrono::duration<double, std::nano>(t1 - t0).count() / iterations;
    printf("%-18s %7.1f ns/query  (%.2f M queries/s per core, %zu bytes out)\n", s.name, ns, 1000.0 / ns,
           total / iterations);
  }
  return 0;
}
