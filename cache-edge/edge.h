// Edge: one cache-edge node. Owns its hub, the RTMP and HTTP-FLV servers clients use, the
// upstream pulls and relays to central, and the admin listener; drains on SIGTERM (health says
// draining at once, viewers finish or the drain timeout ends them cleanly). Runs on the main
// loop's thread; with `workers: N` it also owns N-1 EdgeWorker threads that serve clients on the
// same ports and reach the hub, upstreams and HLS cache through the WorkerHost.
#pragma once

#include <functional>
#include <set>
#include <memory>
#include <vector>

#include "cache-edge/edge_config.h"
#include "cache-edge/edge_worker.h"
#include "cache-edge/hls_proxy.h"
#include "cache-edge/object_cache.h"
#include "lib/store/kv_store.h"
#include "cache-edge/upstream.h"
#include "cache-edge/worker_host.h"
#include "lib/live/stream_hub.h"
#include "lib/net/domain_policy.h"
#include "lib/net/domain_sync.h"
#include "lib/net/event_loop.h"
#include "lib/net/flv_server.h"
#include "lib/net/http_server.h"
#include "lib/net/live_admin.h"
#include "lib/net/resolver.h"
#include "lib/net/rtmp_server.h"

namespace cdn::edge {

class EdgePolicy;

class Edge {
 public:
  Edge(net::EventLoop* loop, EdgeConfig config);
  ~Edge();

  base::Status Start();
  // SIGTERM: report draining, let viewers finish, call `done` when empty or at the timeout.
  void Drain(std::function<void()> done);
  void Shutdown();
  // After Shutdown: `done` runs once queued webhooks are delivered or hooks.drain has passed.
  void DrainWebhooks(std::function<void()> done);

 private:
  void OnAdmin(std::unique_ptr<net::HttpExchange> ex);
  void OnTick();
  void OnHls(std::unique_ptr<net::HttpExchange> ex);
  base::Status ApplyTable(const std::string& body);
  base::Status StartWorkers();
  void StopWorkers();
  // The node's counters: the main loop's plus the workers' last reports.
  net::LiveStats TotalStats() const;
  // Viewers per stream across the main loop and the workers (null without workers).
  net::ViewerCount StreamViewers() const;

  net::EventLoop* loop_;
  EdgeConfig config_;
  live::StreamHub hub_;
  net::LiveStats stats_;
  std::unique_ptr<Upstreams> upstreams_;
  std::unique_ptr<EdgePolicy> policy_;
  std::unique_ptr<net::Webhooks> webhooks_;
  std::unique_ptr<net::RtmpServer> rtmp_;
  std::unique_ptr<net::FlvServer> flv_;
  std::unique_ptr<net::HttpServer> admin_;
  std::unique_ptr<store::KvStore> disk_;
  std::unique_ptr<ObjectCache> cache_;
  std::unique_ptr<HlsProxy> hls_;
  std::unique_ptr<net::HlsSessions> hls_sessions_;  // the node's HLS viewers (workers report theirs)
  std::unique_ptr<net::DomainSync> sync_;
  std::unique_ptr<net::HostCache> hosts_;
  std::unique_ptr<net::Resolver> resolver_;
  std::unique_ptr<WorkerHost> worker_host_;
  // max_connections across the main loop and the workers.
  std::shared_ptr<net::ConnectionBudget> budget_;
  std::vector<std::unique_ptr<EdgeWorker>> workers_;  // index k-1: worker k
  std::set<uint64_t> kicks_done_;
  net::Timer tick_;
  net::RateMeter egress_;
  bool draining_ = false;
  int64_t drain_deadline_ms_ = 0;
  std::function<void()> drain_done_;
};

}  // namespace cdn::edge
