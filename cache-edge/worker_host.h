// WorkerHost: the main loop's side of the bridges to an edge's worker threads (EdgeWorker). For
// each (worker, stream) with viewers it attaches one consumer to the main hub's stream (which
// starts the usual single upstream pull) and posts the stream's shared packets and events to that
// worker's loop; a worker's publisher becomes a publisher of the main hub (so the relay to
// central runs here); HLS lookups go through the main HlsProxy; workers report their counters.
// Thread contract: main loop thread only. Workers reach it by posting to the main loop (the
// calls below run there); it reaches them through EdgeWorker::Post, and never after Stop().
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cache-edge/hls_proxy.h"
#include "lib/live/stream_hub.h"
#include "lib/net/live_server.h"

namespace cdn::edge {

class EdgeWorker;

class WorkerHost {
 public:
  // `kick_main`: closes a publisher of the main loop's own RTMP server by id.
  WorkerHost(live::StreamHub* hub, net::LivePolicy* policy, HlsProxy* hls, std::function<void(uint64_t)> kick_main);
  ~WorkerHost();

  // The workers, indexed by worker number (slot 0, the main loop, stays null).
  void SetWorkers(std::vector<EdgeWorker*> workers);
  // Detaches every bridge and stops posting to workers (before they stop).
  void Stop();
  // Alive while this object is: tasks posted to the main loop check it before running.
  std::shared_ptr<bool> alive() const { return alive_; }

  // Posted by worker `w`.
  void Attach(int w, uint64_t bridge, const live::StreamKey& key);
  void Detach(int w, uint64_t bridge);
  void Publish(int w, uint64_t local_id, const live::StreamKey& key);
  void PublishPacket(int w, uint64_t local_id, const live::PacketPtr& p);
  void Unpublish(int w, uint64_t local_id);
  void Hls(int w, uint64_t request_id, HlsRequest req);
  // A worker answered an HLS request of `viewer` with `bytes`: the node's HLS sessions.
  void HlsSent(const net::HlsViewer& viewer, uint64_t bytes);
  // `viewers`: the worker's viewers per stream (StreamKey::ToString).
  void Report(int w, net::LiveStats stats, std::map<std::string, size_t> viewers);
  void SessionEnded(net::Session session) { policy_->OnSessionEnded(session); }

  // A publisher of the main hub: kicks it wherever it is (a worker's bridged one or a local
  // one); `end_stream`: an operator's kick, the worker's viewers of it are ended too.
  void KickPublisher(uint64_t publisher_id, bool end_stream);
  // The workers' last reported counters (index 0 unused).
  const std::vector<net::LiveStats>& worker_stats() const { return stats_; }
  // The viewers the workers last reported for `key` (a bridge is not a viewer itself).
  size_t worker_viewers(const live::StreamKey& key) const;
  size_t bridges() const { return taps_.size(); }

 private:
  class Tap;
  struct Bridged {
    int worker;
    uint64_t local_id;
    live::StreamKey key;
  };
  void ToWorker(int w, std::function<void(EdgeWorker*)> fn);
  void Remove(Tap* tap);

  live::StreamHub* hub_;
  net::LivePolicy* policy_;
  HlsProxy* hls_;
  std::function<void(uint64_t)> kick_main_;
  std::vector<EdgeWorker*> workers_;
  std::vector<net::LiveStats> stats_;
  std::vector<std::map<std::string, size_t>> viewers_;
  std::map<std::pair<int, uint64_t>, std::unique_ptr<Tap>> taps_;
  std::map<uint64_t, Bridged> publishers_;                  // main hub publisher id -> worker's
  std::map<std::pair<int, uint64_t>, uint64_t> publisher_of_;  // (worker, local id) -> main id
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  bool stopped_ = false;
};

}  // namespace cdn::edge
