// ScriptedDns: a DNS responder for tests on 127.0.0.1 UDP, on its own thread. It answers A
// queries for one name with `Answer()`'s address and a fixed TTL, with SERVFAIL, or not at all, as
// the test sets it; other names get NXDOMAIN. Header-only (tests/lib/net only).
#pragma once

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

namespace cdn::net::testing {

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

}  // namespace cdn::net::testing
