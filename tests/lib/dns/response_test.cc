#include "lib/dns/response.h"

#include <doctest/doctest.h>

#include <vector>

#include "lib/dns/name.h"
#include "lib/dns/query.h"
#include "lib/dns/rdata.h"
#include "tests/lib/dns/test_message.h"

using namespace cdn::dns;
using cdn::dns::testing::Decode;
using cdn::dns::testing::MakeQuery;
using cdn::dns::testing::QueryOptions;
using cdn::dns::testing::Message;

namespace {

struct Fixture {
  QueryParser parser;
  ResponseWriter writer;
  Query q;
  std::vector<uint8_t> out = std::vector<uint8_t>(kMaxMessage);

  void Start(const std::string& wire, size_t limit = kMaxMessage) {
    REQUIRE(parser.Parse(wire, &q) == ParseResult::kOk);
    writer.Begin(q, out.data(), limit, true);
  }
  Message Done() {
    size_t n = writer.Finish();
    Message m;
    REQUIRE(Decode(std::string_view(reinterpret_cast<char*>(out.data()), n), &m));
    return m;
  }
};

std::string A(const char* text) { return *RdataFromText(kTypeA, text); }

}  // namespace

TEST_CASE("answer echoes the question with its case and compresses the owner") {
  Fixture f;
  f.Start(MakeQuery("PuLL.Example.com", kTypeA, QueryOptions().Id(99).Rd()));
  f.writer.SetAuthoritative();
  CHECK(f.writer.Add(Section::kAnswer, f.q.qname, kTypeA, 30, A("127.0.1.10"), ResponseWriter::kHintQname));
  CHECK(f.writer.Add(Section::kAnswer, f.q.qname, kTypeA, 30, A("127.0.1.11"), ResponseWriter::kHintQname));
  Message m = f.Done();
  CHECK(m.id == 99);
  CHECK(m.qr);
  CHECK(m.aa);
  CHECK(m.rd);
  CHECK_FALSE(m.tc);
  CHECK(m.qname_raw == "PuLL.Example.com.");
  REQUIRE(m.answer.size() == 2);
  CHECK(m.answer[0].name == "pull.example.com.");
  CHECK(m.answer[0].data == "127.0.1.10");
  CHECK(m.answer[1].data == "127.0.1.11");
  CHECK(m.answer[0].ttl == 30);
  CHECK(m.compression_pointers >= 2);
  CHECK_FALSE(m.has_opt);
}

TEST_CASE("CNAME chain: target name is compressed for the next owner") {
  Fixture f;
  f.Start(MakeQuery("pull.example.com", kTypeA));
  auto target = *NameFromText("pull.example.com.livecdn.test");
  CHECK(f.writer.Add(Section::kAnswer, f.q.qname, kTypeCname, 300, target, ResponseWriter::kHintQname));
  uint16_t pos = f.writer.last_rdata_name_pos();
  CHECK(pos > 12);
  CHECK(f.writer.Add(Section::kAnswer, target, kTypeA, 30, A("127.0.1.10"), pos));
  size_t n = f.writer.Finish();
  Message m;
  REQUIRE(Decode(std::string_view(reinterpret_cast<char*>(f.out.data()), n), &m));
  REQUIRE(m.answer.size() == 2);
  CHECK(m.answer[0].data == "pull.example.com.livecdn.test.");
  CHECK(m.answer[1].name == "pull.example.com.livecdn.test.");
  // header 12 + question 22 + CNAME (owner pointer 2 + 10 + 31-octet target) + A (pointer 2 + 10 + 4)
  CHECK(n == 12 + 22 + 43 + 16);
}

TEST_CASE("TC is set when the answer does not fit, additional data is dropped silently") {
  Fixture f;
  f.Start(MakeQuery("big.test", kTypeA), 512);
  int added = 0;
  for (int i = 0; i < 100; ++i) {
    if (!f.writer.Add(Section::kAnswer, f.q.qname, kTypeA, 30, A("10.0.0.1"), ResponseWriter::kHintQname)) break;
    ++added;
  }
  CHECK(added < 100);
  CHECK(f.writer.truncated());
  Message m = f.Done();
  CHECK(m.tc);
  CHECK(m.answer.size() == static_cast<size_t>(added));

  Fixture g;
  g.Start(MakeQuery("big.test", kTypeNs), 512);
  for (int i = 0; i < 100; ++i) g.writer.Add(Section::kAdditional, g.q.qname, kTypeA, 30, A("10.0.0.1"), ResponseWriter::kHintQname);
  CHECK_FALSE(g.writer.truncated());
  Message gm = g.Done();
  CHECK_FALSE(gm.tc);
}

TEST_CASE("OPT is answered with our payload size, ECS echoed with the scope") {
  Fixture f;
  f.Start(MakeQuery("a.test", kTypeA, QueryOptions().Edns(4096).Ecs("192.0.2.0", 24)));
  f.writer.SetEcsScope(16);
  f.writer.Add(Section::kAnswer, f.q.qname, kTypeA, 30, A("127.0.0.1"), ResponseWriter::kHintQname);
  Message m = f.Done();
  CHECK(m.has_opt);
  CHECK(m.opt_payload == kDefaultEdnsPayload);
  CHECK(m.has_ecs);
  CHECK(m.ecs_source == 24);
  CHECK(m.ecs_scope == 16);
  CHECK(m.answer.size() == 1);
  CHECK(m.additional.size() == 1);
}

TEST_CASE("extended rcode BADVERS goes into the OPT") {
  Fixture f;
  f.Start(MakeQuery("a.test", kTypeA, QueryOptions().Version(1)));
  f.writer.SetRcode(kRcodeBadVers);
  Message m = f.Done();
  CHECK(m.has_opt);
  CHECK(m.rcode == kRcodeBadVers);
}

TEST_CASE("the OPT always fits even when the answer fills the limit") {
  Fixture f;
  f.Start(MakeQuery("a.test", kTypeA, QueryOptions().Edns(512)), 512);
  while (f.writer.Add(Section::kAnswer, f.q.qname, kTypeA, 30, A("10.0.0.1"), ResponseWriter::kHintQname)) {
  }
  size_t n = f.writer.Finish();
  CHECK(n <= 512);
  Message m;
  REQUIRE(Decode(std::string_view(reinterpret_cast<char*>(f.out.data()), n), &m));
  CHECK(m.tc);
  CHECK(m.has_opt);
}

TEST_CASE("header-only FORMERR") {
  QueryParser p;
  ResponseWriter w;
  Query q;
  std::string wire = MakeQuery("a.test", kTypeA, QueryOptions().Id(4242));
  wire[5] = 2;
  REQUIRE(p.Parse(wire, &q) == ParseResult::kFormErr);
  std::vector<uint8_t> out(kMaxMessage);
  w.Begin(q, out.data(), 512, false);
  w.SetRcode(kRcodeFormErr);
  size_t n = w.Finish();
  CHECK(n == 12);
  Message m;
  REQUIRE(Decode(std::string_view(reinterpret_cast<char*>(out.data()), n), &m));
  CHECK(m.id == 4242);
  CHECK(m.rcode == kRcodeFormErr);
  CHECK(m.qname.empty());
}
