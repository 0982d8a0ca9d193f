// The admin views central and edge share: /healthz JSON (DESIGN.md "Health"), the live
// Prometheus series, and /api/v1/streams. Built from LiveStats and the hub on the loop thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "lib/base/status.h"
#include "lib/config/node.h"
#include "lib/live/stream_hub.h"
#include "lib/net/hls_sessions.h"
#include "lib/metrics/exposition.h"
#include "lib/net/live_server.h"

namespace cdn::net {

inline constexpr size_t kDefaultMaxStreamSeries = 50;

struct NodeInfo {
  std::string node_id;
  bool draining = false;
  uint64_t capacity_bps = 0;
  uint64_t egress_bps = 0;
};

// A stream's viewers on this node. Default: the hub's own (Stream::viewer_count); an edge with
// worker threads adds the viewers its workers report for the stream.
using ViewerCount = std::function<size_t(const live::Stream&)>;

std::string HealthJson(const NodeInfo& node, const LiveStats& stats, const live::StreamHub& hub);
// `hls`: HLS viewers (sessions) are added to each stream's viewers; streams only HLS viewers
// watch (an edge's HLS is a cache, not a hub stream) are listed too.
std::string StreamsJson(const live::StreamHub& hub, const ViewerCount& viewers = nullptr,
                        const HlsSessions* hls = nullptr);
// The series central and edge share. Per-stream series (viewers, ingest bitrate, fps, key frame
// interval, codecs and size) cover the `max_streams` streams with the most viewers; the rest are
// summed (viewers, bitrate) under stream="_other" so a scrape stays bounded (DESIGN.md "Metrics").
void AddLiveMetrics(const LiveStats& stats, const live::StreamHub& hub, metrics::Exposition* e,
                    size_t max_streams = kDefaultMaxStreamSeries, const ViewerCount& viewers = nullptr,
                    const HlsSessions* hls = nullptr);
std::string JsonEscape(const std::string& s);
// `metrics: {max_streams: N}` of central and edge configs (absent: kDefaultMaxStreamSeries).
base::Status ReadMetricsConfig(const config::Node& root, size_t* max_streams);

// Egress bits/s from a growing byte counter, sampled by the node's tick.
class RateMeter {
 public:
  void Sample(uint64_t total_bytes, int64_t now_ms);
  uint64_t bits_per_second() const { return bps_; }

 private:
  uint64_t last_bytes_ = 0;
  int64_t last_ms_ = -1;
  uint64_t bps_ = 0;
};

}  // namespace cdn::net
