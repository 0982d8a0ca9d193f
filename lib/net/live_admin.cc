#include "lib/net/live_admin.h"

#include <sstream>
#include <vector>

namespace cdn::net {

std::string JsonEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string HealthJson(const NodeInfo& node, const LiveStats& stats, const live::StreamHub& hub) {
  std::ostringstream o;
  const int64_t conns = stats.rtmp_connections + stats.flv_connections;
  o << "{\"status\": \"" << (node.draining ? "draining" : "ok") << "\", \"node_id\": \"" << JsonEscape(node.node_id)
    << "\", \"connections\": " << conns << ", \"connections_by_protocol\": {\"rtmp\": " << stats.rtmp_connections
    << ", \"flv\": " << stats.flv_connections << "}, \"egress_bps\": " << node.egress_bps
    << ", \"capacity_bps\": " << node.capacity_bps << ", \"streams\": " << hub.live_count()
    << ", \"publishers\": " << stats.publishers << ", \"players\": " << stats.players << "}\n";
  return o.str();
}

std::string StreamsJson(const live::StreamHub& hub) {
  std::ostringstream o;
  o << "{\"streams\": [";
  bool first = true;
  hub.ForEach([&](const live::Stream& s) {
    if (!first) o << ", ";
    first = false;
    o << "{\"vhost\": \"" << JsonEscape(s.key().vhost) << "\", \"app\": \"" << JsonEscape(s.key().app)
      << "\", \"stream\": \"" << JsonEscape(s.key().name) << "\", \"publishing\": " << (s.has_publisher() ? "true" : "false")
      << ", \"viewers\": " << s.viewer_count() << ", \"bytes_in\": " << s.bytes_in() << "}";
  });
  o << "]}\n";
  return o.str();
}

void AddLiveMetrics(const LiveStats& stats, const live::StreamHub& hub, metrics::Exposition* e) {
  e->Gauge("livecdn_connections", "Open client connections", {{"protocol", "rtmp"}}, double(stats.rtmp_connections));
  e->Gauge("livecdn_connections", "Open client connections", {{"protocol", "flv"}}, double(stats.flv_connections));
  e->Gauge("livecdn_streams", "Streams with a live publisher", {}, double(hub.live_count()));
  e->Counter("livecdn_bytes_received_total", "Bytes received from clients", {{"protocol", "rtmp"}},
             double(stats.rtmp_bytes_in));
  e->Counter("livecdn_bytes_sent_total", "Bytes sent to clients", {{"protocol", "rtmp"}}, double(stats.rtmp_bytes_out));
  e->Counter("livecdn_bytes_sent_total", "Bytes sent to clients", {{"protocol", "flv"}}, double(stats.flv_bytes_out));
  e->Counter("livecdn_publish_accepted_total", "Publishes accepted", {}, double(stats.publish_accepted));
  e->Counter("livecdn_play_accepted_total", "Plays accepted", {}, double(stats.play_accepted));
  for (const auto& [reason, n] : stats.rejections)
    e->Counter("livecdn_auth_rejections_total", "Connections, publishes and plays refused, by reason",
               {{"reason", reason}}, double(n));
  for (const auto& [key, n] : stats.upstream)
    e->Counter("livecdn_upstream_requests_total", "Upstream relays and pulls, by kind and result",
               {{"kind", key.first}, {"result", key.second}}, double(n));
  for (const auto& [key, n] : stats.cache)
    e->Counter("livecdn_cache_requests_total", "HLS cache lookups, by tier and result", {{"tier", key.first}, {"result", key.second}},
               double(n));
  e->Counter("livecdn_slow_viewer_skips_total", "Times a viewer fell behind and skipped to the next key frame", {},
             double(stats.slow_viewer_skips));
  e->Counter("livecdn_slow_viewer_kicks_total", "Viewers disconnected for staying behind", {},
             double(stats.slow_viewer_kicks));
  for (const auto& [proto, buckets] : stats.first_frame_ms) {
    std::vector<double> bounds, counts;
    for (const auto& [ms, n] : buckets) {
      bounds.push_back(ms / 1000.0);
      counts.push_back(double(n));
    }
    e->Histogram("livecdn_first_frame_seconds", "Time from play request to the first video frame sent",
                 {{"protocol", proto}}, bounds, counts, stats.first_frame_sum_s.at(proto),
                 double(stats.first_frame_count.at(proto)));
  }
}

void RateMeter::Sample(uint64_t total_bytes, int64_t now_ms) {
  if (last_ms_ >= 0 && now_ms > last_ms_) {
    bps_ = (total_bytes - last_bytes_) * 8000 / static_cast<uint64_t>(now_ms - last_ms_);
  }
  last_bytes_ = total_bytes;
  last_ms_ = now_ms;
}

}  // namespace cdn::net
