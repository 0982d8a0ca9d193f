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

namespace cdn::net {
namespace {

// Answers A queries for one name on 127.0.0.1 UDP, on a thread: with `address()` and a TTL of
// `ttl_s`, with SERVFAIL, or not at all, as the test sets it.
class ScriptedDns {
 public:
  enum class Mode { kAnswer, kServFail, kSilent };

  ScriptedDns(std::string name, uint32_t ttl_s) : name_(std::move(name)), ttl_s_(ttl_s) {
    fd_ = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    timeval tv{0, 50000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    thread_ = std::thread([this] { Run(); });
  }
  ~ScriptedDns() {
    stop_ = true;
    thread_.join();
    close(fd_);
  }
  uint16_t port() const { return port_; }
  void Answer(const char* ipv4) {
    in_addr a{};
    inet_pton(AF_INET, ipv4, &a);
    address_ = a.s_addr;
    mode_ = Mode::kAnswer;
  }
  void Set(Mode m) { mode_ = m; }
  int queries() const { return queries_; }

 private:
  void Run() {
    while (!stop_) {
      unsigned char q[512];
      sockaddr_in from{};
      socklen_t flen = sizeof from;
      const ssize_t n = recvfrom(fd_, q, sizeof q, 0, reinterpret_cast<sockaddr*>(&from), &flen);
      if (n < 17) continue;
      std::string qname;
      size_t i = 12;
      while (i < size_t(n) && q[i] != 0) {
        if (!qname.empty()) qname += '.';
        qname.append(reinterpret_cast<char*>(q) + i + 1, q[i]);
        i += q[i] + 1;
      }
      const size_t qend = i + 5;  // root label, QTYPE, QCLASS (RFC 1035 4.1.2)
      if (qend > size_t(n)) continue;
      const bool a_query = qname == name_ && q[i + 1] == 0 && q[i + 2] == 1;
      if (a_query) ++queries_;
      const Mode mode = mode_;
      if (mode == Mode::kSilent) continue;
      const bool hit = a_query && mode == Mode::kAnswer;
      // Header (RFC 1035 4.1.1): QR|RD, RA + RCODE 0 (NOERROR), 2 (SERVFAIL) or 3 (NXDOMAIN).
      std::string r(reinterpret_cast<char*>(q), qend);
      r[2] = char(0x81);
      r[3] = char(0x80 | (hit ? 0 : mode == Mode::kServFail ? 2 : 3));
      r[6] = 0;
      r[7] = hit ? 1 : 0;
      r[8] = r[9] = r[10] = r[11] = 0;
      if (hit) {
        // Answer RR (4.1.3): name pointer to the question, A, IN, TTL, RDLENGTH 4, address.
        r += std::string("\xc0\x0c\x00\x01\x00\x01", 6);
        const uint32_t ttl = htonl(ttl_s_);
        r.append(reinterpret_cast<const char*>(&ttl), 4);
        r += std::string("\x00\x04", 2);
        const uint32_t addr = address_;
        r.append(reinterpret_cast<const char*>(&addr), 4);
      }
      sendto(fd_, r.data(), r.size(), 0, reinterpret_cast<sockaddr*>(&from), flen);
    }
  }
  std::string name_;
  uint32_t ttl_s_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<uint32_t> address_{0};
  std::atomic<Mode> mode_{Mode::kSilent};
  std::atomic<int> queries_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

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
