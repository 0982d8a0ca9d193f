// Stream: one live stream (vhost/app/name) in the hub: its publisher slot, cached metadata and
// sequence headers, the GOP cache so a new viewer starts on a key frame at once, and the
// viewers (consumers) the packets fan out to. Timestamps are made continuous across publisher
// reconnects. Single-threaded: owned by the StreamHub, used on the hub's loop thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lib/live/ingest_meter.h"
#include "lib/live/media_packet.h"

namespace cdn::live {

struct StreamKey {
  std::string vhost, app, name;
  std::string ToString() const { return vhost + "/" + app + "/" + name; }
  bool operator==(const StreamKey&) const = default;
};

// A viewer of a stream (an RTMP player, an HTTP-FLV response, a packager, an edge relay).
class Consumer {
 public:
  virtual ~Consumer() = default;
  // The stream has a live publisher now (for viewers that arrived before it or during a grace).
  virtual void OnStreamStart() {}
  virtual void OnPacket(const PacketPtr& packet) = 0;
  // The publisher left; the stream waits `reconnect_grace` for it to come back.
  virtual void OnPublisherGone() {}
  // The stream ended for good (grace expired, or kicked). The consumer is already detached.
  virtual void OnStreamEnd() = 0;
  // Internal sinks (the HLS packager, recorders, relays) answer false: not counted as viewers.
  virtual bool is_viewer() const { return true; }
  // A copy of the stream on its way to another node of the CDN (an edge's pull from central, an
  // edge's relay up to central): not a viewer, counted apart.
  virtual bool is_relay() const { return false; }
};

struct StreamOptions {
  bool gop_cache = true;
  size_t gop_cache_max_bytes = 16 << 20;
  int64_t reconnect_grace_ms = 10000;
};

class Stream {
 public:
  Stream(StreamKey key, StreamOptions options) : key_(std::move(key)), options_(options) {}
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  const StreamKey& key() const { return key_; }
  bool has_publisher() const { return publisher_ != 0; }
  uint64_t publisher() const { return publisher_; }
  bool ever_published() const { return ever_published_; }
  size_t consumer_count() const { return consumers_.size(); }
  size_t viewer_count() const;  // consumers that are viewers (not internal sinks, not relays)
  size_t relay_count() const;   // consumers that are relays to other nodes
  int64_t publish_start_ms() const { return publish_start_ms_; }
  int64_t last_packet_ms() const { return last_packet_ms_; }

  // Adds a viewer: if the stream is live, the viewer gets metadata, sequence headers and the
  // cached GOP immediately (inside this call).
  void AddConsumer(Consumer* c);
  void RemoveConsumer(Consumer* c);

  // Publisher lifecycle (called by StreamHub).
  void AttachPublisher(uint64_t id, int64_t now_ms);
  void DetachPublisher(int64_t now_ms);

  // Ingests one message from the publisher; returns the packet fanned out.
  PacketPtr OnMessage(PacketType type, uint32_t timestamp, std::string payload, int64_t now_ms);
  // Ingests a packet another hub already made and timestamped (the edge's worker threads mirror
  // the main hub's streams): cached and fanned out as it is, shared, never copied or rebased.
  void Relay(const PacketPtr& packet, int64_t now_ms);

  // Ends the stream: every consumer gets OnStreamEnd and is detached.
  void EndAll();
  // Grace handling: true once the publisher has been gone longer than the grace.
  bool GraceExpired(int64_t now_ms) const;
  bool Idle() const { return publisher_ == 0 && consumers_.empty(); }

  // Stats.
  uint64_t bytes_in() const { return bytes_in_; }
  const PacketPtr& video_sequence_header() const { return video_seq_; }
  const PacketPtr& audio_sequence_header() const { return audio_seq_; }
  const PacketPtr& metadata() const { return metadata_; }
  size_t gop_packets() const { return gop_.size(); }
  const IngestMeter& ingest() const { return ingest_; }

 private:
  void SendStart(Consumer* c);
  void CacheAndFanOut(const PacketPtr& p);

  StreamKey key_;
  StreamOptions options_;
  uint64_t publisher_ = 0;
  bool ever_published_ = false;
  int64_t publish_start_ms_ = 0;
  int64_t gone_since_ms_ = -1;
  int64_t last_packet_ms_ = 0;
  PacketPtr metadata_, video_seq_, audio_seq_;
  std::vector<PacketPtr> gop_;
  size_t gop_bytes_ = 0;
  std::vector<Consumer*> consumers_;
  bool fanning_out_ = false;
  std::vector<Consumer*> removed_during_fanout_;
  // Timestamp continuity across publishers: out = in + offset_.
  bool need_rebase_ = false;
  int64_t ts_offset_ = 0;
  int64_t last_out_ts_ = -1;
  uint64_t bytes_in_ = 0;
  IngestMeter ingest_;
};

}  // namespace cdn::live
