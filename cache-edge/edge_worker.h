// EdgeWorker: one extra event-loop thread of an edge with `workers: N` (workers 1..N-1; worker 0
// is the main loop). It runs its own RTMP and HTTP-FLV servers on the edge's ports (SO_REUSEPORT:
// the kernel spreads new connections over the loops) and its own StreamHub, which mirrors the
// main hub's streams: a viewer of stream S here makes the worker ask the main loop for a bridge
// (WorkerHost), which forwards S's shared packets (never copied) and its start/gone/end events;
// they feed the local stream, whose GOP cache and viewer queues work as on a single loop. A
// publisher here is fed into the main hub, where the relay to central runs. HLS requests go to
// the main loop's HlsProxy and come back as shared cache objects.
// Thread contract: constructed, started and destroyed on the main thread; everything else runs
// on the worker's own thread. Post() is the only method callable from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cache-edge/edge_config.h"
#include "cache-edge/hls_proxy.h"
#include "lib/live/stream_hub.h"
#include "lib/net/domain_policy.h"
#include "lib/net/event_loop.h"
#include "lib/net/flv_server.h"
#include "lib/net/rtmp_server.h"

namespace cdn::edge {

class WorkerHost;
class WorkerPolicy;
class PublishTap;

// Checks an HLS request on the HTTP port against the domain table and names what to fetch;
// answers the exchange itself (404/403/405) and returns nullopt when refused.
std::optional<HlsRequest> AdmitHls(net::DomainPolicy* policy, net::LiveStats* stats, net::HttpExchange* ex);

// The RTMP/HTTP-FLV server options of one loop: every loop takes its connections from the node's
// `budget` (max_connections).
net::LiveServerOptions LoopServerOptions(const EdgeConfig& config, std::shared_ptr<net::ConnectionBudget> budget);

// Adds the counters of `from` to `into` (a worker's stats into the node's totals).
void AddStats(net::LiveStats* into, const net::LiveStats& from);

class EdgeWorker {
 public:
  EdgeWorker(int index, const EdgeConfig& config, net::EventLoop* main_loop, WorkerHost* host,
             std::shared_ptr<bool> host_alive, std::shared_ptr<net::ConnectionBudget> budget);
  ~EdgeWorker();  // after Stop(): joins the thread

  // Main thread: listens on the ports the main loop bound (SO_REUSEPORT) and starts the thread.
  base::Status Start(uint16_t rtmp_port, uint16_t http_port);
  // Main thread: closes every client and stops the loop (after a short flush), then joins.
  void StopAndJoin();
  int index() const { return index_; }

  // Any thread: runs `fn` on the worker's loop.
  void Post(std::function<void()> fn) { loop_.RunInLoop(std::move(fn)); }

  // Worker thread (posted by the WorkerHost): events of bridge `id` from the main hub.
  void BridgeStart(uint64_t id);
  void BridgePacket(uint64_t id, const live::PacketPtr& p);
  void BridgeGone(uint64_t id);
  void BridgeEnd(uint64_t id);
  // The main hub refused or replaced the publisher with this local id, or (`end_stream`) an
  // operator kicked its stream.
  void KickPublisher(uint64_t local_id, bool end_stream);
  void HlsDone(uint64_t request_id, const HlsResult& r);
  void SetDomains(std::vector<auth::Domain> domains);

 private:
  friend class WorkerPolicy;
  friend class PublishTap;
  struct Bridge {
    live::StreamKey key;
    uint64_t publisher_id = 0;  // its id as the local stream's publisher
    int64_t idle_since_ms = -1;
  };
  struct HlsWait {
    std::unique_ptr<net::HttpExchange> ex;
    bool playlist = false;
    std::string viewer_query;
    std::string domain;
    net::HlsViewer viewer;
  };
  void EnsureBridge(const live::StreamKey& key);
  void StartPublishTap(live::Stream* stream);
  void EndPublishTap(PublishTap* tap);
  void OnHls(std::unique_ptr<net::HttpExchange> ex);
  void OnTick();
  void ToHost(std::function<void()> fn);

  const int index_;
  const EdgeConfig& config_;
  net::EventLoop* main_loop_;
  WorkerHost* host_;
  std::shared_ptr<bool> host_alive_;  // read on the main thread only
  std::shared_ptr<net::ConnectionBudget> budget_;  // the node's max_connections, shared by every loop
  net::EventLoop loop_;
  live::StreamHub hub_;
  net::LiveStats stats_;
  std::unique_ptr<WorkerPolicy> policy_;
  std::unique_ptr<net::RtmpServer> rtmp_;
  std::unique_ptr<net::FlvServer> flv_;
  net::Timer tick_;
  std::unique_ptr<net::Timer> stop_timer_;
  std::map<uint64_t, Bridge> bridges_;
  std::map<std::string, uint64_t> bridge_of_;  // stream key -> bridge id
  uint64_t next_bridge_ = 0;
  std::map<PublishTap*, std::unique_ptr<PublishTap>> taps_;
  std::map<uint64_t, HlsWait> hls_;
  uint64_t next_hls_ = 0;
  std::thread thread_;
};

}  // namespace cdn::edge
