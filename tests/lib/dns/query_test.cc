#include "lib/dns/query.h"

#include <doctest/doctest.h>

#include "lib/dns/wire.h"
#include "tests/lib/dns/test_message.h"

using namespace cdn::dns;
using cdn::dns::testing::MakeQuery;
using cdn::dns::testing::QueryOptions;

TEST_CASE("parses a plain query and keeps the 0x20 case") {
  QueryParser p;
  Query q;
  std::string wire = MakeQuery("PuLL.example.COM.livecdn.test", kTypeA, QueryOptions().Id(7).Rd());
  REQUIRE(p.Parse(wire, &q) == ParseResult::kOk);
  CHECK(q.id == 7);
  CHECK(q.rd);
  CHECK(q.qtype == kTypeA);
  CHECK(q.qclass == kClassIn);
  CHECK_FALSE(q.edns);
  CHECK(q.qname == testing::WireName("pull.example.com.livecdn.test"));
  CHECK(q.qname_original == testing::WireName("PuLL.example.COM.livecdn.test"));
}

TEST_CASE("parses EDNS and client subnet") {
  QueryParser p;
  Query q;
  QueryOptions o;
  o.edns = true;
  o.payload = 4096;
  o.ecs = true;
  o.ecs_address = "203.0.113.0";
  o.ecs_source = 24;
  REQUIRE(p.Parse(MakeQuery("a.test", kTypeAaaa, o), &q) == ParseResult::kOk);
  CHECK(q.edns);
  CHECK(q.edns_payload == 4096);
  CHECK(q.has_ecs);
  CHECK(q.ecs.family == kEcsFamilyIpv4);
  CHECK(q.ecs.source_prefix == 24);
  CHECK(q.ecs.address[0] == 203);
  CHECK(q.ecs.address[2] == 113);

  o.ecs_family = 2;
  o.ecs_address = "2001:db8:abcd::";
  o.ecs_source = 48;
  REQUIRE(p.Parse(MakeQuery("a.test", kTypeA, o), &q) == ParseResult::kOk);
  CHECK(q.ecs.family == kEcsFamilyIpv6);
  CHECK(q.ecs.address[0] == 0x20);
  CHECK(q.ecs.address[5] == 0xcd);
}

TEST_CASE("malformed client subnet is FORMERR") {
  QueryParser p;
  Query q;
  QueryOptions o;
  o.edns = true;
  o.ecs = true;
  o.ecs_address = "203.0.113.0";
  o.ecs_source = 33;  // longer than IPv4
  CHECK(p.Parse(MakeQuery("a.test", kTypeA, o), &q) == ParseResult::kFormErr);
  // Bits set past the source prefix (RFC 7871 6).
  std::string wire = MakeQuery("a.test", kTypeA, QueryOptions().Ecs("203.0.112.0", 20));
  wire[wire.size() - 1] = static_cast<char>(0x7f);
  CHECK(p.Parse(wire, &q) == ParseResult::kFormErr);
  CHECK(q.id == 0x1234);
}

TEST_CASE("drops responses and runts, refuses other opcodes") {
  QueryParser p;
  Query q;
  CHECK(p.Parse("", &q) == ParseResult::kDrop);
  CHECK(p.Parse(std::string(11, '\0'), &q) == ParseResult::kDrop);
  std::string wire = MakeQuery("a.test", kTypeA);
  std::string resp = wire;
  resp[2] = static_cast<char>(resp[2] | 0x80);
  CHECK(p.Parse(resp, &q) == ParseResult::kDrop);
  std::string notify = wire;
  notify[2] = static_cast<char>(4 << 3);
  CHECK(p.Parse(notify, &q) == ParseResult::kNotImp);
  std::string two = wire;
  two[5] = 2;  // QDCOUNT 2
  CHECK(p.Parse(two, &q) == ParseResult::kFormErr);
  std::string zero = wire;
  zero[5] = 0;
  CHECK(p.Parse(zero, &q) == ParseResult::kFormErr);
}

TEST_CASE("every truncation of a valid query is handled") {
  QueryParser p;
  Query q;
  QueryOptions o;
  o.edns = true;
  o.ecs = true;
  o.ecs_address = "198.51.100.0";
  std::string wire = MakeQuery("www.example.com", kTypeA, o);
  for (size_t n = 0; n < wire.size(); ++n) {
    ParseResult r = p.Parse(std::string_view(wire.data(), n), &q);
    CHECK(r != ParseResult::kOk);
  }
  CHECK(p.Parse(wire, &q) == ParseResult::kOk);
  // Trailing garbage.
  CHECK(p.Parse(wire + "x", &q) == ParseResult::kFormErr);
}

TEST_CASE("compression loops and forward pointers in the question are rejected") {
  QueryParser p;
  Query q;
  std::string wire = MakeQuery("a.test", kTypeA);
  std::string loop = wire.substr(0, 12) + std::string("\xc0\x0c", 2) + std::string("\0\1\0\1", 4);
  CHECK(p.Parse(loop, &q) == ParseResult::kFormErr);
  std::string fwd = wire.substr(0, 12) + std::string("\xc0\x20", 2) + std::string("\0\1\0\1", 4);
  CHECK(p.Parse(fwd, &q) == ParseResult::kFormErr);
  std::string badlabel = wire.substr(0, 12) + std::string("\x50", 1) + std::string("abc\0\0\1\0\1", 8);
  CHECK(p.Parse(badlabel, &q) == ParseResult::kFormErr);
}

TEST_CASE("duplicate OPT is FORMERR") {
  QueryParser p;
  Query q;
  std::string wire = MakeQuery("a.test", kTypeA, QueryOptions().Edns());
  std::string opt = wire.substr(wire.size() - 11);
  std::string dup = wire + opt;
  dup[11] = 2;  // ARCOUNT
  CHECK(p.Parse(dup, &q) == ParseResult::kFormErr);
}
