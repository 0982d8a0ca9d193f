#include "dns-scheduler/decision.h"

#include <algorithm>

namespace cdn::sched {
namespace {

struct Candidate {
  int edge;
  uint32_t weight;
};

// Which edges a tier admits: kHealthy wants up, not draining, not overloaded; kOverloaded
// tolerates load; kFailOpen takes anything (the edge states may be stale or the probes wrong).
bool Admits(Decision::Tier tier, const EdgeState& s) {
  switch (tier) {
    case Decision::Tier::kHealthy: return s.up && !s.draining && !s.overloaded;
    case Decision::Tier::kOverloaded: return s.up && !s.draining;
    default: return true;
  }
}

const char* DropReason(const EdgeState& s) {
  if (!s.up) return "down";
  if (s.draining) return "draining";
  if (s.overloaded) return "overloaded";
  return "";
}

}  // namespace

const char* SourceName(Decision::Source s) {
  switch (s) {
    case Decision::Source::kRule: return "rule";
    case Decision::Source::kGeoIp: return "geoip";
    default: return "default";
  }
}

const char* TierName(Decision::Tier t) {
  switch (t) {
    case Decision::Tier::kHealthy: return "healthy";
    case Decision::Tier::kOverloaded: return "overloaded";
    case Decision::Tier::kFailOpen: return "fail-open";
    default: return "none";
  }
}

void Decide(const GeoMap& map, const std::vector<EdgeState>& states, const IpAddr& client, bool want_v6,
            Rng* rng, Decision* out, Explain* explain) {
  *out = Decision();
  const auto& pools = map.pools();
  const auto& edges = map.edges();
  const int np = static_cast<int>(pools.size());

  // 1. Where is the client: an explicit rule, else the database, else the default region.
  thread_local std::vector<int> order;
  thread_local std::vector<double> dist;
  order.clear();
  CidrMap::Match m = map.rules().Lookup(client);
  out->scope = m.scope;
  if (m.value >= 0) {
    out->source = Decision::Source::kRule;
    out->rule = m.value;
    order = pools[map.rule_pools()[m.value]].order;
  } else {
    GeoRecord geo;
    if (map.geodb() != nullptr) {
      geo = map.geodb()->Lookup(client);
      out->scope = std::max(out->scope, geo.prefix_len);
    }
    if (explain) {
      explain->geo = geo;
      explain->geo_used = map.geodb() != nullptr;
    }
    if (geo.has_location) {
      out->source = Decision::Source::kGeoIp;
      dist.assign(np, 0);
      for (int i = 0; i < np; ++i) {
        order.push_back(i);
        dist[i] = pools[i].has_location ? DistanceKm(geo.lat, geo.lon, pools[i].lat, pools[i].lon) : 1e12 + i;
      }
      std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return dist[a] < dist[b]; });
    } else {
      out->source = Decision::Source::kDefault;
      order = map.default_order();
    }
  }
  if (explain) {
    explain->order.clear();
    for (int p : order) {
      double d = -1;
      if (out->source == Decision::Source::kGeoIp && pools[p].has_location) d = dist[p];
      explain->order.push_back({p, d});
    }
  }

  // 2. The first pool with usable edges, relaxing the health demands tier by tier.
  thread_local std::vector<Candidate> cands;
  for (auto tier : {Decision::Tier::kHealthy, Decision::Tier::kOverloaded, Decision::Tier::kFailOpen}) {
    for (int p : order) {
      cands.clear();
      uint64_t total = 0;
      for (int ei : pools[p].edges) {
        const Edge& e = edges[ei];
        if (want_v6 ? !e.has_v6 : !e.has_v4) {
          if (explain && tier == Decision::Tier::kHealthy) {
            explain->dropped.push_back({ei, want_v6 ? "no IPv6 address" : "no IPv4 address"});
          }
          continue;
        }
        const EdgeState& s = static_cast<size_t>(ei) < states.size() ? states[ei] : EdgeState();
        if (!Admits(tier, s)) {
          if (explain && tier == Decision::Tier::kHealthy) explain->dropped.push_back({ei, DropReason(s)});
          continue;
        }
        cands.push_back({ei, e.weight});
        total += e.weight;
      }
      if (cands.empty()) continue;
      // 3. Weighted choice without replacement: the first record is the weighted pick.
      out->tier = tier;
      out->pool = p;
      int want = std::min<int>(map.answers(), static_cast<int>(cands.size()));
      for (int k = 0; k < want; ++k) {
        uint64_t r = rng->Below(total);
        size_t i = 0;
        while (i + 1 < cands.size() && r >= cands[i].weight) {
          r -= cands[i].weight;
          ++i;
        }
        out->edges[out->count++] = cands[i].edge;
        total -= cands[i].weight;
        cands[i] = cands.back();
        cands.pop_back();
      }
      return;
    }
  }
}

}  // namespace cdn::sched
