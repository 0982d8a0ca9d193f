// The scheduling decision, pure code: client address -> CIDR rule, else geoip position, else
// the default region -> pools nearest-first -> drop down, draining and overloaded edges ->
// weighted choice of `answers` edges in the first pool that has usable ones. When no edge is
// usable anywhere it fails open to the nearest pool. Also computes the ECS scope (RFC 7871
// 7.2.1) the answer depended on. Reads an immutable GeoMap and edge-state vector; any thread
// (each caller brings its own Rng).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dns-scheduler/cidr_map.h"
#include "dns-scheduler/geo_db.h"
#include "dns-scheduler/geo_map.h"

namespace cdn::sched {

// What the health monitor last learned about one edge.
struct EdgeState {
  bool up = true;           // false after `fall` failed probes
  bool draining = false;    // the edge said so: dropped at once
  bool overloaded = false;  // egress at or over capacity
  uint64_t egress_bps = 0;
  uint64_t capacity_bps = 0;
  uint64_t connections = 0;
};

// xorshift64*: cheap, per-thread, good enough for weighted choice.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed ? seed : 0x9e3779b97f4a7c15ull) {}
  uint64_t Next() {
    s_ ^= s_ >> 12;
    s_ ^= s_ << 25;
    s_ ^= s_ >> 27;
    return s_ * 0x2545f4914f6cdd1dull;
  }
  uint64_t Below(uint64_t n) { return n == 0 ? 0 : Next() % n; }

 private:
  uint64_t s_;
};

inline constexpr int kMaxAnswers = 16;

struct Decision {
  enum class Source : uint8_t { kRule, kGeoIp, kDefault };
  enum class Tier : uint8_t { kHealthy, kOverloaded, kFailOpen, kNone };
  Source source = Source::kDefault;
  Tier tier = Tier::kNone;
  int rule = -1;  // index into GeoMap::rule_prefixes()
  int pool = -1;  // pool the answer came from
  int scope = 0;  // ECS scope prefix length
  int count = 0;
  int edges[kMaxAnswers] = {};
};

// Optional detail for the explain API (slow path only).
struct Explain {
  GeoRecord geo;
  bool geo_used = false;
  struct PoolRank {
    int pool;
    double distance_km;  // < 0: unknown
  };
  std::vector<PoolRank> order;
  struct Drop {
    int edge;
    std::string reason;
  };
  std::vector<Drop> dropped;
};

// `want_v6`: choose among edges with IPv6 addresses (AAAA); else IPv4 (A).
void Decide(const GeoMap& map, const std::vector<EdgeState>& states, const IpAddr& client, bool want_v6,
            Rng* rng, Decision* out, Explain* explain = nullptr);

const char* SourceName(Decision::Source s);
const char* TierName(Decision::Tier t);

}  // namespace cdn::sched
