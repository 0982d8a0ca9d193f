#include "dns-scheduler/cidr_map.h"

#include <doctest/doctest.h>

using namespace cdn::sched;

namespace {
CidrMap::Match Look(const CidrMap& m, const char* ip) { return m.Lookup(*ParseIp(ip)); }
}  // namespace

TEST_CASE("prefix parsing") {
  CHECK(ParsePrefix("10.0.0.0/8")->len == 8);
  CHECK(ParsePrefix("192.0.2.1")->len == 32);
  CHECK(ParsePrefix("2001:db8::/32")->len == 32);
  CHECK_FALSE(ParsePrefix("10.0.0.1/8").ok());  // host bits
  CHECK_FALSE(ParsePrefix("10.0.0.0/33").ok());
  CHECK_FALSE(ParsePrefix("10.0.0.0/x").ok());
  CHECK_FALSE(ParsePrefix("nope/8").ok());
  CHECK(ParseIp("::ffff:192.0.2.1")->family == 4);
  CHECK(ParseIp("::ffff:192.0.2.1")->ToString() == "192.0.2.1");
}

TEST_CASE("longest prefix wins and the scope is what the match depended on") {
  CidrMap m;
  m.Insert(*ParsePrefix("10.0.0.0/8"), 1);
  m.Insert(*ParsePrefix("10.1.0.0/16"), 2);
  m.Insert(*ParsePrefix("10.1.2.0/24"), 3);
  struct Case {
    const char* ip;
    int value;
    int rule_len;
    int scope;
  } cases[] = {
      {"10.1.2.3", 3, 24, 24},   // leaf
      {"10.1.3.3", 2, 16, 24},   // must exclude 10.1.2/24: bit 23 tells them apart
      {"10.2.0.0", 1, 8, 15},    // 10.0/15 holds no other rule... bit 14 differs from 10.1
      {"11.0.0.0", -1, 0, 8},    // siblings of 10/8 share 7 bits; bit 7 decides
      {"192.0.2.1", -1, 0, 1},
  };
  for (const auto& c : cases) {
    CAPTURE(c.ip);
    auto r = Look(m, c.ip);
    CHECK(r.value == c.value);
    CHECK(r.rule_len == c.rule_len);
    CHECK(r.scope == c.scope);
  }
  CHECK(m.size() == 3);
}

TEST_CASE("empty map: no match, scope 0; families are separate") {
  CidrMap m;
  CHECK(Look(m, "1.2.3.4").value == -1);
  CHECK(Look(m, "1.2.3.4").scope == 0);
  m.Insert(*ParsePrefix("2001:db8::/32"), 7);
  CHECK(Look(m, "2001:db8:1::1").value == 7);
  CHECK(Look(m, "2001:db8:1::1").scope == 32);
  CHECK(Look(m, "32.1.13.184").value == -1);  // same leading bits as 2001:db8, other family
  CHECK(Look(m, "32.1.13.184").scope == 0);
  m.Insert(*ParsePrefix("0.0.0.0/0"), 9);
  CHECK(Look(m, "8.8.8.8").value == 9);
  CHECK(Look(m, "8.8.8.8").scope == 0);
  m.Insert(*ParsePrefix("192.0.2.7"), 10);
  CHECK(Look(m, "192.0.2.7").scope == 32);
}
