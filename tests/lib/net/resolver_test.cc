// Tests for lib/net/resolver: HostCache re-resolves a name when its TTL runs out, against a
// DNS responder on loopback whose answer the test changes; a failing server leaves the last good
// address in use, and the next good answer replaces it. Real EventLoop, bounded waits.
#include "lib/net/resolver.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "lib/base/clock.h"
#include "tests/lib/net/scripted_dns.h"

namespace cdn::net {
namespace {

using testing::ScriptedDns;

// Runs `loop`, ticking `cache` every 50 ms, until `done()` or `timeout_ms`; true when done.
bool RunUntil(EventLoop* loop, HostCache* cache, int64_t timeout_ms, const std::function<bool()>& done) {
  const int64_t deadline = base::MonoMs() + timeout_ms;
  bool ok = false;
  Timer tick(loop, [&] {
    cache->Tick(base::MonoMs());
    if (done()) {
      ok = true;
      loop->Stop();
    } else if (base::MonoMs() >= deadline) {
      loop->Stop();
    }
  });
  tick.Start(50, true);
  loop->Run();
  return ok;
}

}  // namespace

TEST_CASE("HostCache re-resolves on TTL and keeps the last good address while DNS fails") {
  const std::string host = "central.livecdn-test";
  ScriptedDns dns(host, 1);  // TTL 1 s; the cache's minimum is lowered to match
  dns.Answer("127.0.0.21");
  EventLoop loop;
  auto resolver = std::make_unique<Resolver>(&loop, "127.0.0.1:" + std::to_string(dns.port()));
  HostCache::Limits limits;
  limits.min_ttl_s = 1;
  limits.retry_ms = 500;
  HostCache cache(&loop, resolver.get(), limits);
  auto address = [&] { return cache.Lookup(host).value_or(""); };

  CHECK(!cache.Lookup(host));  // unresolved until the first answer
  cache.Track(host);
  REQUIRE(RunUntil(&loop, &cache, 3000, [&] { return address() == "127.0.0.21"; }));
  const int64_t first = base::MonoMs();

  // The answer changes: the cache serves the old one until the TTL runs out, then the new one.
  dns.Answer("127.0.0.22");
  CHECK(RunUntil(&loop, &cache, 3000, [&] { return address() == "127.0.0.22"; }));
  const int64_t switched_after = base::MonoMs() - first;
  CHECK(switched_after >= 800);   // not before the 1 s TTL (less the first lookup's round trip)
  CHECK(switched_after <= 2000);  // and soon after it

  // The server fails (SERVFAIL): lookups go out and fail, the last good address stays.
  dns.Set(ScriptedDns::Mode::kServFail);
  const int before_fail = dns.queries();
  CHECK(RunUntil(&loop, &cache, 3000, [&] { return dns.queries() >= before_fail + 3; }));
  CHECK(address() == "127.0.0.22");

  // The server stops answering at all: still the last good address.
  dns.Set(ScriptedDns::Mode::kSilent);
  const int before_silent = dns.queries();
  CHECK(RunUntil(&loop, &cache, 2500, [&] { return dns.queries() > before_silent; }));
  CHECK(address() == "127.0.0.22");

  // Back with a new answer: picked up when c-ares retransmits the pending query (2 s).
  dns.Answer("127.0.0.23");
  CHECK(RunUntil(&loop, &cache, 5000, [&] { return address() == "127.0.0.23"; }));

  // Numeric hosts pass straight through, without DNS.
  CHECK(cache.Lookup("10.1.2.3").value_or("") == "10.1.2.3");
  resolver.reset();  // before the cache its pending answers write to
}

TEST_CASE("HostCache clamps TTLs to its minimum (default 5 s)") {
  const std::string host = "origin2.livecdn-test";
  ScriptedDns dns(host, 1);
  dns.Answer("127.0.0.31");
  EventLoop loop;
  auto resolver = std::make_unique<Resolver>(&loop, "127.0.0.1:" + std::to_string(dns.port()));
  HostCache::Limits limits;
  limits.min_ttl_s = 2;
  HostCache cache(&loop, resolver.get(), limits);
  cache.Track(host);
  REQUIRE(RunUntil(&loop, &cache, 3000, [&] { return cache.Lookup(host).value_or("") == "127.0.0.31"; }));
  const int queries = dns.queries();
  dns.Answer("127.0.0.32");
  // The 1 s TTL is raised to 2 s: nothing is asked again within 1.5 s.
  RunUntil(&loop, &cache, 1500, [] { return false; });
  CHECK(dns.queries() == queries);
  CHECK(cache.Lookup(host).value_or("") == "127.0.0.31");
  CHECK(RunUntil(&loop, &cache, 2000, [&] { return cache.Lookup(host).value_or("") == "127.0.0.32"; }));
  resolver.reset();
}

}  // namespace cdn::net
