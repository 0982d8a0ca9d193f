#include "dns-scheduler/routing.h"

#include "dns-scheduler/dns_stats.h"

namespace cdn::sched {

std::shared_ptr<const Routing> MakeRouting(std::shared_ptr<const ZoneTable> zones, std::shared_ptr<const GeoMap> geo,
                                           std::vector<EdgeState> states, SlotRegistry* regions,
                                           SlotRegistry* edges) {
  auto r = std::make_shared<Routing>();
  states.resize(geo->edges().size());
  r->states = std::move(states);
  for (const auto& p : geo->pools()) r->pool_slot.push_back(regions ? regions->Assign(p.name) : 0);
  for (const auto& e : geo->edges()) r->edge_slot.push_back(edges ? edges->Assign(e.id) : 0);
  r->zones = std::move(zones);
  r->geo = std::move(geo);
  return r;
}

}  // namespace cdn::sched
