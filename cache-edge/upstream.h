// The edge's two upstream roles, one object per stream, both failing over across the centrals
// in rendezvous-hash order with backoff:
//  - UpstreamPull plays a stream from central and publishes it into the edge's hub, so all the
//    edge's viewers share one upstream connection; it stops `idle_timeout` after the last viewer.
//  - UpstreamRelay is a consumer of a stream published on this edge and republishes it to
//    central; on reconnect it replays metadata, sequence headers and the GOP.
// Single-threaded: they live on the edge's loop and are freed by their owner (Upstreams).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lib/config/values.h"
#include "lib/live/packet_queue.h"
#include "lib/live/stream_hub.h"
#include "lib/net/event_loop.h"
#include "lib/net/live_server.h"
#include "lib/net/rtmp_client.h"

namespace cdn::edge {

// Origins ordered for one stream by rendezvous (highest random weight) hashing, so every edge
// sends a given stream to the same central, and to the same next one when it fails.
std::vector<config::HostPort> RendezvousOrder(const std::vector<config::HostPort>& origins, const std::string& key);

struct UpstreamOptions {
  std::vector<config::HostPort> origins;
  int64_t timeout_ms = 5000;
  int64_t idle_timeout_ms = 30000;
  int64_t backoff_min_ms = 200;
  int64_t backoff_max_ms = 3000;
  size_t queue_bytes = 16 << 20;
  // Query that signs a request for `uri` of the stream to central ("auth_key=..."), or "".
  std::function<std::string(const live::StreamKey&, const std::string& uri)> sign;
  // Current numeric address of an origin host (c-ares, re-resolved on TTL); nullopt while unknown.
  std::function<std::optional<std::string>(const std::string& host)> lookup;
};

// The origin with its host replaced by its current address, or nullopt while unresolved.
std::optional<config::HostPort> ResolveOrigin(const UpstreamOptions& o, config::HostPort origin);

class Upstreams;

class UpstreamPull : public net::RtmpClient::Delegate {
 public:
  UpstreamPull(Upstreams* owner, live::StreamKey key);
  ~UpstreamPull() override;
  void Start();
  // Periodic check: stops the pull after idle_timeout with no viewers. True when finished.
  bool Tick(int64_t now_ms);
  bool attached() const { return publisher_id_ != 0; }

  void OnClientReady() override;
  void OnClientMedia(rtmp::Message&& msg) override;
  void OnClientClosed(const std::string& why) override;

 private:
  void Connect();
  void Detach();
  void Retry();
  Upstreams* owner_;
  live::StreamKey key_;
  std::vector<config::HostPort> order_;
  size_t attempt_ = 0;
  int64_t backoff_ms_;
  std::unique_ptr<net::RtmpClient> client_;
  std::unique_ptr<net::RtmpClient> dead_client_;  // freed on the next attempt, never in its callback
  net::Timer retry_timer_;
  uint64_t publisher_id_ = 0;
  int64_t idle_since_ms_ = -1;
  bool stopping_ = false;
};

class UpstreamRelay : public net::RtmpClient::Delegate, public live::Consumer {
 public:
  UpstreamRelay(Upstreams* owner, live::Stream* stream);
  ~UpstreamRelay() override;
  void Start();
  bool finished() const { return finished_; }

  void OnClientReady() override;
  void OnClientWritable() override { Pump(); }
  void OnClientClosed(const std::string& why) override;
  void OnPacket(const live::PacketPtr& packet) override;
  void OnStreamEnd() override;
  bool is_viewer() const override { return false; }
  bool is_relay() const override { return true; }

 private:
  void Connect();
  void Pump();
  void Retry();
  Upstreams* owner_;
  live::Stream* stream_;
  live::StreamKey key_;
  std::vector<config::HostPort> order_;
  size_t attempt_ = 0;
  int64_t backoff_ms_;
  std::unique_ptr<net::RtmpClient> client_;
  std::unique_ptr<net::RtmpClient> dead_client_;
  net::Timer retry_timer_;
  live::PacketQueue queue_;
  bool finished_ = false;
};

// Owns the pulls and relays of one edge, keyed by stream.
class Upstreams {
 public:
  Upstreams(net::EventLoop* loop, live::StreamHub* hub, net::LiveStats* stats, UpstreamOptions options)
      : loop_(loop), hub_(hub), stats_(stats), options_(std::move(options)) {}
  ~Upstreams();
  void EnsurePull(const live::StreamKey& key);
  void EnsureRelay(live::Stream* stream);
  void Tick(int64_t now_ms);
  size_t pulls() const { return pulls_.size(); }
  size_t relays() const { return relays_.size(); }
  // True while this edge relays `key` to central (its publisher is here, or in its grace).
  bool relaying(const live::StreamKey& key) const;
  void StopAll();
  void set_sign(std::function<std::string(const live::StreamKey&, const std::string&)> f) { options_.sign = std::move(f); }
  void set_lookup(std::function<std::optional<std::string>(const std::string&)> f) { options_.lookup = std::move(f); }

  net::EventLoop* loop() const { return loop_; }
  live::StreamHub* hub() const { return hub_; }
  net::LiveStats* stats() const { return stats_; }
  const UpstreamOptions& options() const { return options_; }

 private:
  net::EventLoop* loop_;
  live::StreamHub* hub_;
  net::LiveStats* stats_;
  UpstreamOptions options_;
  std::map<std::string, std::unique_ptr<UpstreamPull>> pulls_;
  std::map<std::string, std::unique_ptr<UpstreamRelay>> relays_;
};

}  // namespace cdn::edge
