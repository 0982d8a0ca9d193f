// UdpServer: a bound UDP socket served on an EventLoop in batches: recvmmsg up to kBatch
// datagrams, one handler call each (the reply is written into a per-slot buffer), one
// sendmmsg for all replies. Options cover what a busy DNS server needs: SO_REUSEPORT (one
// socket per worker thread), big receive buffers, kernel drop counting (SO_RXQ_OVFL) and
// replies from the address a query came to when bound to a wildcard (IP_PKTINFO). Single-
// threaded: a server lives on the loop it was created for.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "lib/base/status.h"
#include "lib/config/values.h"
#include "lib/net/event_loop.h"

struct event;

namespace cdn::net {

struct UdpOptions {
  bool reuseport = false;
  size_t rcvbuf = 0;  // 0: system default
  size_t sndbuf = 0;
  size_t max_datagram = 4096;  // larger datagrams are dropped (counted as truncated)
  size_t max_reply = 4096;
};

class UdpServer {
 public:
  static constexpr int kBatch = 64;
  // Writes the reply for `in` (from `peer`) into out[0, out_cap); returns its size, 0 = none.
  using Handler = std::function<size_t(std::string_view in, const sockaddr* peer, uint8_t* out, size_t out_cap)>;

  static base::Result<std::unique_ptr<UdpServer>> Bind(EventLoop* loop, const config::HostPort& addr,
                                                       const UdpOptions& options, Handler handler);
  ~UdpServer();
  UdpServer(const UdpServer&) = delete;
  UdpServer& operator=(const UdpServer&) = delete;

  uint16_t port() const { return port_; }
  size_t rcvbuf() const { return rcvbuf_; }  // as granted by the kernel
  // Counters, readable from any thread.
  uint64_t kernel_drops() const { return kernel_drops_.load(std::memory_order_relaxed); }  // SO_RXQ_OVFL
  uint64_t send_failures() const { return send_failures_.load(std::memory_order_relaxed); }
  uint64_t oversized() const { return oversized_.load(std::memory_order_relaxed); }

 private:
  UdpServer() = default;
  static void OnReadable(int fd, short what, void* arg);
  void Drain();

  int fd_ = -1;
  int family_ = 0;
  bool wildcard_ = false;
  uint16_t port_ = 0;
  size_t rcvbuf_ = 0;
  UdpOptions options_;
  Handler handler_;
  struct event* ev_ = nullptr;
  std::atomic<uint64_t> kernel_drops_{0};
  std::atomic<uint64_t> send_failures_{0};
  std::atomic<uint64_t> oversized_{0};
  struct Slots;
  std::unique_ptr<Slots> slots_;
};

}  // namespace cdn::net
