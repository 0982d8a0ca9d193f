// Hostile input through the whole answer path: every truncation, every single-bit flip and
// seeded random garbage around real queries. Never a crash, never an oversized answer, and
// whatever is answered parses.
#include <doctest/doctest.h>

#include <random>

#include "tests/dns-scheduler/scheduler_harness.h"

using namespace cdn::sched::testing;
using cdn::dns::testing::MakeQuery;
using cdn::dns::testing::QueryOptions;
namespace dns = cdn::dns;

TEST_CASE("truncations and bit flips of real queries") {
  Harness h(kLocalConfig);
  std::vector<std::string> seeds = {
      MakeQuery("pull.example.com.livecdn.test", dns::kTypeA),
      MakeQuery("pull.example.com", dns::kTypeA, QueryOptions().Ecs("127.0.2.0", 24)),
      MakeQuery("livecdn.test", dns::kTypeNs, QueryOptions().Edns(4096)),
      MakeQuery("loop1.example.com", dns::kTypeAny, QueryOptions().Ecs("2001:db8::", 32)),
  };
  size_t answered = 0, total = 0;
  for (const auto& seed : seeds) {
    for (size_t n = 0; n <= seed.size(); ++n) {
      h.AskRaw(seed.substr(0, n), "127.0.1.5");
      CHECK(h.last_size() <= 512);
      answered += h.last_size() > 0;
      ++total;
    }
    for (size_t bit = 0; bit < seed.size() * 8; ++bit) {
      std::string m = seed;
      m[bit / 8] = static_cast<char>(m[bit / 8] ^ (1 << (bit % 8)));
      for (bool tcp : {false, true}) {
        h.AskRaw(m, "127.0.2.5", tcp);  // AskRaw REQUIREs that any answer decodes
        CHECK(h.last_size() <= (tcp ? dns::kMaxMessage : 1232));
        ++total;
      }
    }
  }
  CHECK(answered > 0);
  CHECK(total > 1000);
}

TEST_CASE("seeded random garbage") {
  Harness h(kLocalConfig);
  std::mt19937 rng(12345);
  std::string base = MakeQuery("pull.example.com.livecdn.test", dns::kTypeA, QueryOptions().Ecs("127.0.1.0", 24));
  for (int i = 0; i < 20000; ++i) {
    std::string m;
    if (i % 2 == 0) {
      m.resize(rng() % 300);
      for (char& c : m) c = static_cast<char>(rng());
    } else {
      m = base;
      int edits = 1 + rng() % 6;
      for (int e = 0; e < edits; ++e) m[rng() % m.size()] = static_cast<char>(rng());
      if (rng() % 4 == 0) m.resize(rng() % (m.size() + 1));
    }
    h.AskRaw(m, "127.0.1.5", i % 3 == 0);
  }
  CHECK(h.stats().dropped.value() > 0);
}
