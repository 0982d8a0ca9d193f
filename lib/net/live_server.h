// What the RTMP and HTTP-FLV servers of central and edge share: the policy that names and
// admits streams (domain table now, signatures and upstream pulls later), the knobs, and the
// counters the admin endpoints read. Single-threaded with the servers that use them.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "lib/base/status.h"
#include "lib/live/stream.h"
#include "lib/rtmp/stream_name.h"

namespace cdn::net {

struct LiveServerOptions {
  int64_t play_wait_ms = 5000;
  size_t play_queue_bytes = 8 << 20;
  int64_t play_max_skips = 8;
  int64_t play_stall_ms = 15000;            // a viewer whose socket takes nothing this long is cut
  size_t write_high_watermark = 512 << 10;  // bytes handed to the socket layer at most
  int64_t handshake_timeout_ms = 10000;
  int64_t publish_idle_ms = 15000;
  uint32_t max_message_size = 8 << 20;
  int64_t max_connections = 10000;
};

// Decisions about who may publish or play what. The edge adds upstream pulls on top.
class LivePolicy {
 public:
  virtual ~LivePolicy() = default;
  // Checks the vhost at connect time (unknown domain: rejected).
  virtual base::Status AdmitConnect(const rtmp::ConnectInfo& info) = 0;
  // Names the stream a publisher writes to, or says why not.
  virtual base::Result<live::StreamKey> AdmitPublish(const rtmp::ConnectInfo& info, const rtmp::StreamRequest& req) = 0;
  // Names the stream a viewer plays (vhost, app, name, query from the URL), or says why not.
  virtual base::Result<live::StreamKey> AdmitPlay(const std::string& vhost, const std::string& app,
                                                  const std::string& name, const std::string& query) = 0;
  // A viewer is waiting for a stream that has no publisher here (the edge starts a pull).
  virtual void OnViewerWaiting(live::Stream* stream) {}
  // A publisher was accepted on `stream` (the edge starts its relay upstream).
  virtual void OnPublishStarted(live::Stream* stream) {}
};

// Counters and gauges kept by the servers; read by /healthz and /metrics.
struct LiveStats {
  int64_t rtmp_connections = 0;
  int64_t flv_connections = 0;
  int64_t publishers = 0;
  int64_t players = 0;
  uint64_t rtmp_bytes_in = 0, rtmp_bytes_out = 0, flv_bytes_out = 0;
  std::map<std::string, uint64_t> rejections;  // reason -> count
  std::map<std::string, uint64_t> closes;      // close reason class -> count
  std::map<std::pair<std::string, std::string>, uint64_t> upstream;  // (kind, result) -> count
  uint64_t publish_accepted = 0, play_accepted = 0;
  uint64_t slow_viewer_skips = 0, slow_viewer_kicks = 0;
  // first-frame latency histogram buckets (ms upper bounds) per protocol
  std::map<std::string, std::map<int, uint64_t>> first_frame_ms;
  std::map<std::string, double> first_frame_sum_s;
  std::map<std::string, uint64_t> first_frame_count;
  void Reject(const std::string& reason) { ++rejections[reason]; }
  void FirstFrame(const std::string& protocol, int64_t ms);
};

}  // namespace cdn::net
