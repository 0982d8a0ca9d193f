// libFuzzer target: arbitrary bytes -> QueryHandler (libknot parse, authority, decision,
// response writer) over UDP and TCP budgets, against a routing with rules, CNAME chains,
// extra zones and ECS. Any crash, sanitizer report or oversized answer is a bug.
//   tools/bench/dns-fuzz.sh [seconds]
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>
#include <vector>

#include "dns-scheduler/config.h"
#include "dns-scheduler/geo_map.h"
#include "dns-scheduler/query_handler.h"
#include "dns-scheduler/routing.h"
#include "dns-scheduler/zone_table.h"
#include "lib/config/node.h"
#include "lib/dns/wire.h"

namespace {

const char* kConfig = R"(
zone: livecdn.test
answers: 4
regions:
  - {cidr: 127.0.1.0/24, region: north}
  - {cidr: 127.0.2.0/24, region: south}
  - {cidr: '2001:db8::/32', region: south}
edges:
  - {id: n1, address: 127.0.1.10, address6: '2001:db8::10', region: north, lat: 39.9, lon: 116.4}
  - {id: n2, address: 127.0.1.11, region: north, lat: 39.9, lon: 116.4, weight: 5}
  - {id: s1, address: 127.0.2.10, region: south, lat: 22.5, lon: 114.1}
domains: [pull.example.com, push.example.com, a.b.c.d.e]
records:
  - {name: ns1, type: A, value: 127.0.0.1}
  - {name: txt, type: TXT, value: hello}
zones:
  - name: example.com
    records:
      - {name: pull, type: CNAME, value: pull.example.com.livecdn.test}
      - {name: l1, type: CNAME, value: l2.example.com}
      - {name: l2, type: CNAME, value: l1.example.com}
      - {name: mx, type: MX, value: 10 mail.example.com}
)";

struct Env {
  cdn::sched::RoutingHolder holder;
  std::unique_ptr<cdn::sched::QueryHandler> handler;
  std::vector<uint8_t> out = std::vector<uint8_t>(cdn::dns::kMaxMessage);
  Env() {
    auto node = cdn::config::Node::LoadString(kConfig);
    auto c = cdn::sched::ParseConfig(*node);
    if (!c.ok()) abort();
    auto geo = cdn::sched::GeoMap::Build(*c, nullptr);
    auto zones = cdn::sched::ZoneTable::Build(*c, c->domains, 1);
    if (!geo.ok() || !zones.ok()) abort();
    std::vector<cdn::sched::EdgeState> states(geo->get()->edges().size());
    states[0].up = false;
    holder.Publish(cdn::sched::MakeRouting(*zones, *geo, states, nullptr, nullptr));
    handler = std::make_unique<cdn::sched::QueryHandler>(&holder, nullptr, 1232, 1);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Env env;
  if (size < 1) return 0;
  // First byte picks transport and source address.
  bool tcp = data[0] & 1;
  cdn::sched::IpAddr src;
  src.family = (data[0] & 2) ? 6 : 4;
  src.bytes[0] = (data[0] & 2) ? 0x20 : 127;
  src.bytes[1] = (data[0] & 2) ? 0x01 : 0;
  src.bytes[2] = (data[0] & 2) ? 0x0d : static_cast<uint8_t>((data[0] >> 2) & 3);
  src.bytes[3] = (data[0] & 2) ? 0xb8 : 5;
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  size_t n = env.handler->Handle(in, src, tcp, env.out.data());
  if (n > (tcp ? cdn::dns::kMaxMessage : 1232)) abort();
  if (n != 0 && n < cdn::dns::kHeaderSize) abort();
  return 0;
}
