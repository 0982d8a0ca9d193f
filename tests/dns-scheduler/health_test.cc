#include <doctest/doctest.h>

#include "dns-scheduler/domain_names.h"
#include "dns-scheduler/health_monitor.h"
#include "lib/base/json.h"

using namespace cdn::sched;

namespace {
cdn::net::HttpResponse Resp(int status, std::string body) {
  cdn::net::HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}
ProbeResult Ok(uint64_t egress = 0) {
  ProbeResult p;
  p.kind = ProbeResult::Kind::kOk;
  p.egress_bps = egress;
  return p;
}
ProbeResult Fail() { return ProbeResult(); }
}  // namespace

TEST_CASE("parsing /healthz") {
  auto p = ParseHealthResponse(Resp(200, R"({"status":"ok","node_id":"e1","connections":5,"egress_bps":1000,"capacity_bps":5000,"streams":2,"extra":[1,{}]})"));
  CHECK(p.kind == ProbeResult::Kind::kOk);
  CHECK(p.egress_bps == 1000);
  CHECK(p.capacity_bps == 5000);
  CHECK(p.connections == 5);
  CHECK(p.node_id == "e1");
  CHECK(ParseHealthResponse(Resp(503, R"({"status":"draining"})")).kind == ProbeResult::Kind::kDraining);
  CHECK(ParseHealthResponse(Resp(503, "")).kind == ProbeResult::Kind::kDraining);
  CHECK(ParseHealthResponse(Resp(200, R"({"status":"draining"})")).kind == ProbeResult::Kind::kDraining);
  CHECK(ParseHealthResponse(Resp(200, "OK")).kind == ProbeResult::Kind::kOk);  // plain health check
  CHECK(ParseHealthResponse(Resp(200, "{broken")).kind == ProbeResult::Kind::kFailed);
  CHECK(ParseHealthResponse(Resp(500, "{}")).kind == ProbeResult::Kind::kFailed);
  CHECK(ParseHealthResponse(Resp(200, R"({"status":"sick"})")).kind == ProbeResult::Kind::kFailed);
  cdn::net::HttpResponse timeout;
  timeout.error = "timeout";
  auto t = ParseHealthResponse(timeout);
  CHECK(t.kind == ProbeResult::Kind::kFailed);
  CHECK(t.error == "timeout");
}

TEST_CASE("fall and rise") {
  ProbeState s;
  const int fall = 2, rise = 3;
  CHECK(s.state.up);
  CHECK_FALSE(s.Apply(Fail(), fall, rise, 0));
  CHECK(s.state.up);
  CHECK(s.Apply(Fail(), fall, rise, 0));  // second failure: down
  CHECK_FALSE(s.state.up);
  CHECK_FALSE(s.Apply(Ok(), fall, rise, 0));
  CHECK_FALSE(s.Apply(Ok(), fall, rise, 0));
  CHECK_FALSE(s.Apply(Fail(), fall, rise, 0));  // a failure restarts the rise count
  CHECK_FALSE(s.Apply(Ok(), fall, rise, 0));
  CHECK_FALSE(s.Apply(Ok(), fall, rise, 0));
  CHECK(s.Apply(Ok(), fall, rise, 0));  // third good probe in a row: up
  CHECK(s.state.up);
  CHECK(s.failures == 3);
}

TEST_CASE("draining at once, load against configured or reported capacity") {
  ProbeState s;
  ProbeResult d;
  d.kind = ProbeResult::Kind::kDraining;
  CHECK(s.Apply(d, 2, 2, 0));
  CHECK(s.state.draining);
  CHECK(s.Apply(Ok(), 2, 2, 0));
  CHECK_FALSE(s.state.draining);
  CHECK(s.Apply(Ok(2000), 2, 2, 1000));  // configured capacity 1000 bps
  CHECK(s.state.overloaded);
  ProbeResult reported = Ok(10);
  reported.capacity_bps = 100;
  CHECK(s.Apply(reported, 2, 2, 0));
  CHECK_FALSE(s.state.overloaded);
  CHECK(s.state.capacity_bps == 100);
}

TEST_CASE("json reader") {
  auto j = cdn::base::JsonValue::Parse(R"( {"a": [1, -2.5e1, "x\u00e9\n", true, null], "b": {"c": "d"}} )");
  REQUIRE(j.ok());
  CHECK((*j)["a"].items().size() == 5);
  CHECK((*j)["a"].items()[1].number() == -25);
  CHECK((*j)["a"].items()[2].str() == "x\xc3\xa9\n");
  CHECK((*j)["b"]["c"].str() == "d");
  CHECK((*j)["missing"].type() == cdn::base::JsonValue::Type::kNull);
  for (const char* bad : {"", "{", "[1,]", "{\"a\" 1}", "\"abc", "01x", "[1] 2", "{\"a\":tru}", "\"\\q\""}) {
    CAPTURE(bad);
    CHECK_FALSE(cdn::base::JsonValue::Parse(bad).ok());
  }
  CHECK_FALSE(cdn::base::JsonValue::Parse(std::string(100, '[') + std::string(100, ']')).ok());  // depth cap
  CHECK(cdn::base::JsonQuote("a\"b\\\n\x01") == "\"a\\\"b\\\\\\n\\u0001\"");
}

TEST_CASE("domain table JSON") {
  auto d = ParseDomainTable(R"({"domains":[{"name":"Pull.Example.com.","type":"pull","source":"push.example.com"},{"name":"push.example.com","type":"push"},"plain.example.org"]})");
  REQUIRE(d.ok());
  CHECK(*d == std::vector<std::string>{"pull.example.com", "push.example.com", "plain.example.org"});
  CHECK_FALSE(ParseDomainTable(R"({"domains":[{"type":"pull"}]})").ok());
  CHECK_FALSE(ParseDomainTable(R"({"domains":[{"name":"bad..name"}]})").ok());
  CHECK_FALSE(ParseDomainTable(R"({"nope":[]})").ok());
  CHECK(ParseDomainTable(R"({"domains":[]})")->empty());
}
