// Resolver: c-ares driven from the EventLoop (DESIGN.md: DNS lookups the services make go
// through c-ares on the event loop): A lookups with TTLs, /etc/hosts first, never blocking the
// loop. HostCache keeps the answers for the hostnames a node talks to (central's origins) and
// re-resolves them when their TTL runs out; numeric addresses pass straight through.
// Loop thread only. Destroying a Resolver cancels pending lookups without calling them back.
#pragma once

#include <ares.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lib/net/event_loop.h"

struct event;

namespace cdn::net {

class Resolver {
 public:
  struct Answer {
    std::vector<std::string> addresses;  // dotted IPv4
    int ttl_seconds = 0;
    std::string error;  // empty on success
  };
  using Callback = std::function<void(const Answer&)>;

  // `servers`: "ip:port,..." to override /etc/resolv.conf (tests); empty for the system's.
  explicit Resolver(EventLoop* loop, const std::string& servers = "");
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  void Resolve(const std::string& host, Callback cb);

 private:
  struct Query;
  static void OnSockState(void* data, ares_socket_t fd, int readable, int writable);
  static void OnSocketEvent(int fd, short what, void* arg);
  static void OnAddrInfo(void* arg, int status, int timeouts, struct ares_addrinfo* res);
  void ArmTimer();

  EventLoop* loop_;
  ares_channel channel_ = nullptr;
  std::map<int, struct event*> events_;
  Timer timer_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// The owner calls Tick() periodically and destroys the Resolver before the HostCache (pending
// answers write into it).
class HostCache {
 public:
  struct Limits {
    int min_ttl_s = 5;          // answers' TTLs are clamped to [min_ttl_s, max_ttl_s]
    int max_ttl_s = 300;
    int64_t retry_ms = 2000;    // after a failed lookup (the last good address stays in use)
  };
  HostCache(EventLoop* loop, Resolver* resolver) : HostCache(loop, resolver, Limits{}) {}
  HostCache(EventLoop* loop, Resolver* resolver, Limits limits) : loop_(loop), resolver_(resolver), limits_(limits) {}
  // Starts resolving `host` (no-op for IP literals or hosts already tracked).
  void Track(const std::string& host);
  // The current address for `host`: itself when numeric, nullopt while unresolved.
  std::optional<std::string> Lookup(const std::string& host) const;
  // Re-resolves entries whose TTL ran out (answers stay in use until replaced).
  void Tick(int64_t now_ms);

 private:
  struct Entry {
    std::string address;
    int64_t expires_ms = 0;
    bool in_flight = false;
    std::string last_error;
  };
  void Refresh(const std::string& host);
  EventLoop* loop_;
  Resolver* resolver_;
  Limits limits_;
  std::map<std::string, Entry> entries_;
};

}  // namespace cdn::net
