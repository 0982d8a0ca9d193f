// Tests for lib/net/http_client: a URL with a host name is looked up through c-ares on the loop
// (here against a tiny DNS responder on loopback that knows one name) and reaches a local server
// with the name in Host; a name that does not resolve fails with a clear error, not a hang.
#include "lib/net/http_client.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <atomic>
#include <string>
#include <thread>

#include "lib/net/http_server.h"
#include "lib/net/resolver.h"

namespace cdn::net {
namespace {

// Answers A queries for `name` with 127.0.0.1 and everything else with NXDOMAIN, on a thread.
class TinyDns {
 public:
  explicit TinyDns(std::string name) : name_(std::move(name)) {
    fd_ = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    timeval tv{0, 100000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    thread_ = std::thread([this] { Run(); });
  }
  ~TinyDns() {
    stop_ = true;
    thread_.join();
    close(fd_);
  }
  uint16_t port() const { return port_; }

 private:
  void Run() {
    while (!stop_) {
      unsigned char q[512];
      sockaddr_in from{};
      socklen_t flen = sizeof from;
      ssize_t n = recvfrom(fd_, q, sizeof q, 0, reinterpret_cast<sockaddr*>(&from), &flen);
      if (n < 17) continue;
      // QNAME as text.
      std::string qname;
      size_t i = 12;
      while (i < size_t(n) && q[i] != 0) {
        if (!qname.empty()) qname += '.';
        qname.append(reinterpret_cast<char*>(q) + i + 1, q[i]);
        i += q[i] + 1;
      }
      const size_t qend = i + 5;  // root label, QTYPE, QCLASS
      if (qend > size_t(n)) continue;
      const bool hit = qname == name_ && q[i + 1] == 0 && q[i + 2] == 1;
      std::string r(reinterpret_cast<char*>(q), qend);
      r[2] = char(0x81);
      r[3] = char(hit ? 0x80 : 0x83);  // RA; NOERROR or NXDOMAIN
      r[6] = 0;
      r[7] = hit ? 1 : 0;
      r[8] = r[9] = r[10] = r[11] = 0;
      if (hit) r += std::string("\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x7f\x00\x00\x01", 16);
      sendto(fd_, r.data(), r.size(), 0, reinterpret_cast<sockaddr*>(&from), flen);
    }
  }
  std::string name_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace

TEST_CASE("HttpClient resolves host names with c-ares and keeps the name in Host") {
  TinyDns dns("origin.livecdn-test");
  EventLoop loop;
  Resolver resolver(&loop, "127.0.0.1:" + std::to_string(dns.port()));
  std::string seen_host;
  auto server = HttpServer::Listen(&loop, config::HostPort{"127.0.0.1", 0}, [&](std::unique_ptr<HttpExchange> ex) {
    seen_host = ex->header("Host");
    ex->Reply(200, "text/plain", "hello");
  });
  REQUIRE(server.ok());
  HttpClient client(&loop, 1 << 20, &resolver);
  HttpResponse got, missing;
  int done = 0;
  const std::string port = std::to_string((*server)->port());
  client.Get("http://origin.livecdn-test:" + port + "/x", {}, 3000, [&](const HttpResponse& r) {
    got = r;
    if (++done == 2) loop.Stop();
  });
  client.Get("http://nowhere.livecdn-test:" + port + "/x", {}, 3000, [&](const HttpResponse& r) {
    missing = r;
    if (++done == 2) loop.Stop();
  });
  Timer guard(&loop, [&] { loop.Stop(); });
  guard.Start(8000);
  loop.Run();
  INFO(got.error);
  CHECK(got.ok());
  CHECK(got.status == 200);
  CHECK(got.body == "hello");
  CHECK(seen_host == "origin.livecdn-test:" + port);
  CHECK(!missing.ok());
  CHECK(missing.error.find("cannot resolve nowhere.livecdn-test") == 0);
}

}  // namespace cdn::net
