// Tests for cache-edge/edge_config's `workers` knob (1 by default, 1..64).
#include "cache-edge/edge_config.h"

#include <doctest/doctest.h>

namespace cdn::edge {
namespace {

constexpr const char* kBase = "central: {origins: [127.0.0.1:19350]}\n";

TEST_CASE("workers defaults to 1 and accepts 1..64") {
  auto c = EdgeConfig::Parse(kBase);
  REQUIRE(c.ok());
  CHECK(c->workers == 1);
  auto four = EdgeConfig::Parse(std::string(kBase) + "workers: 4\n");
  REQUIRE(four.ok());
  CHECK(four->workers == 4);
  CHECK_FALSE(EdgeConfig::Parse(std::string(kBase) + "workers: 0\n").ok());
  CHECK_FALSE(EdgeConfig::Parse(std::string(kBase) + "workers: 65\n").ok());
}

}  // namespace
}  // namespace cdn::edge
