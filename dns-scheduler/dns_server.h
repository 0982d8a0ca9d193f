// DnsServer: the DNS transport. `workers` threads, each with its own EventLoop, QueryHandler,
// WorkerStats and one SO_REUSEPORT UDP socket per listen address (the kernel spreads queries
// across them); TCP (RFC 7766: 2-octet length framing, pipelined queries answered in order,
// idle timeout, connection cap) is served by worker 0. Query logic lives in QueryHandler; this
// file only moves bytes. Start/Stop from the control thread.
#pragma once

#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "dns-scheduler/config.h"
#include "dns-scheduler/dns_stats.h"
#include "dns-scheduler/routing.h"
#include "lib/base/status.h"

namespace cdn::sched {

class DnsServer {
 public:
  DnsServer(const SchedulerConfig& config, const RoutingHolder* routing);
  ~DnsServer();
  DnsServer(const DnsServer&) = delete;
  DnsServer& operator=(const DnsServer&) = delete;

  // Binds every socket (a port 0 listen address gets one ephemeral port shared by UDP and
  // TCP and all workers), then starts the worker threads.
  base::Status Start();
  void Stop();

  // The bound port of listen address `i`.
  uint16_t port(size_t i) const { return ports_[i]; }
  size_t rcvbuf() const { return rcvbuf_; }
  int workers() const { return static_cast<int>(workers_.size()); }
  // Stats of every worker (read from any thread: relaxed counters).
  std::vector<const WorkerStats*> stats() const;
  // Refreshes the kernel drop counters in the workers' stats.
  void SampleKernelDrops();

 private:
  struct Worker;
  class TcpSession;
  SchedulerConfig config_;
  const RoutingHolder* routing_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<uint16_t> ports_;
  size_t rcvbuf_ = 0;
  bool started_ = false;
};

}  // namespace cdn::sched
