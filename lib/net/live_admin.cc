#include "lib/net/live_admin.h"

#include <algorithm>
#include <sstream>
#include <vector>

#include "lib/base/clock.h"
#include "lib/config/values.h"

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

namespace {
size_t ViewersOf(const live::Stream& s, const ViewerCount& viewers, const HlsSessions* hls) {
  return (viewers ? viewers(s) : s.viewer_count()) + (hls ? hls->viewers(s.key()) : 0);
}
// Streams only HLS viewers watch here (no hub stream), with their viewers.
template <typename Fn>
void ForEachHlsOnly(const live::StreamHub& hub, const HlsSessions* hls, Fn fn) {
  if (!hls) return;
  hls->ForEachStream([&](const live::StreamKey& key, size_t n) {
    if (!hub.Find(key)) fn(key, n);
  });
}
}  // namespace

std::string StreamsJson(const live::StreamHub& hub, const ViewerCount& viewers, const HlsSessions* hls) {
  std::ostringstream o;
  o << "{\"streams\": [";
  bool first = true;
  ForEachHlsOnly(hub, hls, [&](const live::StreamKey& key, size_t n) {
    if (!first) o << ", ";
    first = false;
    o << "{\"vhost\": \"" << JsonEscape(key.vhost) << "\", \"app\": \"" << JsonEscape(key.app)
      << "\", \"stream\": \"" << JsonEscape(key.name) << "\", \"publishing\": false, \"viewers\": " << n
      << ", \"hls_viewers\": " << n << "}";
  });
  hub.ForEach([&](const live::Stream& s) {
    if (!first) o << ", ";
    first = false;
    o << "{\"vhost\": \"" << JsonEscape(s.key().vhost) << "\", \"app\": \"" << JsonEscape(s.key().app)
      << "\", \"stream\": \"" << JsonEscape(s.key().name) << "\", \"publishing\": " << (s.has_publisher() ? "true" : "false")
      << ", \"viewers\": " << ViewersOf(s, viewers, hls) << ", \"hls_viewers\": " << (hls ? hls->viewers(s.key()) : 0)
      << ", \"relays\": " << s.relay_count() << ", \"bytes_in\": " << s.bytes_in();
    const auto& in = s.ingest();
    const int64_t now = base::MonoMs();
    o << ", \"bitrate_bps\": " << in.bits_per_second(now) << ", \"fps\": " << in.frames_per_second(now)
      << ", \"keyframe_interval_s\": " << in.keyframe_interval_seconds() << ", \"video_codec\": \""
      << JsonEscape(in.video_codec()) << "\", \"audio_codec\": \"" << JsonEscape(in.audio_codec())
      << "\", \"width\": " << in.width() << ", \"height\": " << in.height() << ", \"uptime_s\": "
      << (s.has_publisher() ? (now - s.publish_start_ms()) / 1000 : 0) << "}";
  });
  o << "]}\n";
  return o.str();
}

namespace {

void AddStreamMetrics(const live::StreamHub& hub, size_t max_streams, const ViewerCount& viewers,
                      const HlsSessions* hls, metrics::Exposition* e) {
  struct Row {
    live::StreamKey key;
    const live::Stream* s;  // null: only HLS viewers here
    size_t viewers;
    uint64_t bps;
  };
  const int64_t now = base::MonoMs();
  std::vector<Row> rows;
  hub.ForEach([&](const live::Stream& s) {
    const size_t n = ViewersOf(s, viewers, hls);
    if (s.has_publisher() || n > 0) rows.push_back({s.key(), &s, n, s.ingest().bits_per_second(now)});
  });
  ForEachHlsOnly(hub, hls, [&](const live::StreamKey& key, size_t n) { rows.push_back({key, nullptr, n, 0}); });
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    if (a.viewers != b.viewers) return a.viewers > b.viewers;
    if (a.bps != b.bps) return a.bps > b.bps;
    return a.key.ToString() < b.key.ToString();
  });
  double other_viewers = 0, other_bps = 0, other_streams = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i >= max_streams) {
      other_viewers += double(rows[i].viewers);
      other_bps += double(rows[i].bps);
      ++other_streams;
      continue;
    }
    const live::StreamKey& key = rows[i].key;
    const metrics::Labels id{{"domain", key.vhost}, {"app", key.app}, {"stream", key.name}};
    e->Gauge("livecdn_viewers", "Viewers per stream, RTMP, HTTP-FLV and HLS (top streams by viewers; the rest under "
             "stream=\"_other\")", id, double(rows[i].viewers));
    if (!rows[i].s || !rows[i].s->has_publisher()) continue;
    const live::Stream& s = *rows[i].s;
    const auto& in = s.ingest();
    e->Gauge("livecdn_stream_ingest_bitrate_bps", "Bits per second the stream's publisher sends", id,
             double(rows[i].bps));
    e->Gauge("livecdn_stream_ingest_fps", "Video frames per second the stream's publisher sends", id,
             in.frames_per_second(now));
    e->Gauge("livecdn_stream_keyframe_interval_seconds", "Media time between the last two key frames", id,
             in.keyframe_interval_seconds());
    metrics::Labels info = id;
    info["video_codec"] = in.video_codec().empty() ? "none" : in.video_codec();
    info["audio_codec"] = in.audio_codec().empty() ? "none" : in.audio_codec();
    info["resolution"] = std::to_string(in.width()) + "x" + std::to_string(in.height());
    e->Gauge("livecdn_stream_info", "Codecs and picture size of a published stream (value 1)", info, 1);
  }
  if (other_streams > 0) {
    const metrics::Labels other{{"domain", "_other"}, {"app", "_other"}, {"stream", "_other"}};
    e->Gauge("livecdn_viewers", "Viewers per stream, RTMP, HTTP-FLV and HLS (top streams by viewers; the rest under "
             "stream=\"_other\")", other, other_viewers);
    e->Gauge("livecdn_stream_ingest_bitrate_bps", "Bits per second the stream's publisher sends", other, other_bps);
  }
  e->Gauge("livecdn_stream_series_overflow", "Streams summed under stream=\"_other\" (over metrics.max_streams)", {},
           other_streams);
}

void AddDomainBytes(const char* name, const char* help, const std::map<std::pair<std::string, std::string>, uint64_t>& by_domain,
                    const std::map<std::string, uint64_t>& totals, metrics::Exposition* e) {
  std::map<std::string, uint64_t> attributed;
  for (const auto& [k, n] : by_domain) {
    e->Counter(name, help, {{"protocol", k.first}, {"domain", k.second}}, double(n));
    attributed[k.first] += n;
  }
  // Bytes no stream session carried (handshakes, commands, refused clients).
  for (const auto& [proto, total] : totals) {
    const uint64_t rest = total - std::min(total, attributed[proto]);
    e->Counter(name, help, {{"protocol", proto}, {"domain", "_none"}}, double(rest));
  }
}

}  // namespace

void AddLiveMetrics(const LiveStats& stats, const live::StreamHub& hub, metrics::Exposition* e, size_t max_streams,
                    const ViewerCount& viewers, const HlsSessions* hls) {
  e->Gauge("livecdn_connections", "Open client connections", {{"protocol", "rtmp"}}, double(stats.rtmp_connections));
  e->Gauge("livecdn_connections", "Open client connections", {{"protocol", "flv"}}, double(stats.flv_connections));
  e->Gauge("livecdn_streams", "Streams with a live publisher", {}, double(hub.live_count()));
  size_t relays = 0;
  hub.ForEach([&](const live::Stream& s) { relays += s.relay_count(); });
  e->Gauge("livecdn_relays", "Stream copies to other CDN nodes: edges pulling from central, an edge's relays up",
           {}, double(relays));
  AddDomainBytes("livecdn_bytes_received_total", "Bytes received from clients, by protocol and domain",
                 stats.domain_bytes_in, {{"rtmp", stats.rtmp_bytes_in}}, e);
  std::map<std::string, uint64_t> sent{{"rtmp", stats.rtmp_bytes_out}, {"flv", stats.flv_bytes_out}};
  if (stats.hls_bytes_out) sent["hls"] = stats.hls_bytes_out;
  AddDomainBytes("livecdn_bytes_sent_total", "Bytes sent to clients, by protocol and domain", stats.domain_bytes_out,
                 sent, e);
  AddStreamMetrics(hub, max_streams, viewers, hls, e);
  if (hls) {
    e->Gauge("livecdn_hls_viewers", "HLS viewers (sessions: client, player and URL; ended after a quiet spell)", {},
             double(hls->size()));
    e->Counter("livecdn_hls_untracked_total", "HLS requests of viewers past the session table's bound", {},
               double(hls->untracked()));
  }
  // The common series exist from the start (zero), so rates and alerts see them at once.
  auto accepted = stats.accepted;
  for (const char* p : {"rtmp"}) accepted.emplace(std::pair<std::string, std::string>{"publish", p}, 0);
  for (const char* p : {"rtmp", "flv", "hls"}) accepted.emplace(std::pair<std::string, std::string>{"play", p}, 0);
  for (const auto& [key, n] : accepted) {
    if (key.first == "publish")
      e->Counter("livecdn_publish_accepted_total", "Publishes accepted, by protocol", {{"protocol", key.second}}, double(n));
    else
      e->Counter("livecdn_play_accepted_total", "Plays accepted, by protocol (HLS: viewer sessions)",
                 {{"protocol", key.second}}, double(n));
  }
  auto rejections = stats.rejections;
  for (const auto& [action, reason] : {std::pair{"connect", "unknown_domain"}, std::pair{"play", "unknown_domain"},
                                       std::pair{"play", "stream_not_found"}, std::pair{"publish", "stream_busy"}})
    rejections.emplace(std::pair<std::string, std::string>{action, reason}, 0);
  for (const auto& [key, n] : rejections)
    e->Counter("livecdn_auth_rejections_total", "Connections, publishes and plays refused, by action and reason",
               {{"action", key.first}, {"reason", key.second}}, double(n));
  for (const auto& [key, n] : stats.upstream)
    e->Counter("livecdn_upstream_requests_total", "Upstream relays and pulls, by kind and result",
               {{"kind", key.first}, {"result", key.second}}, double(n));
  for (const auto& [key, n] : stats.cache)
    e->Counter("livecdn_cache_requests_total", "HLS cache lookups, by tier and result", {{"tier", key.first}, {"result", key.second}},
               double(n));
  for (const auto& [tier, n] : stats.cache_bytes)
    e->Counter("livecdn_cache_served_bytes_total",
               "HLS object bytes served, by where they came from (memory, disk, stale, upstream)", {{"tier", tier}},
               double(n));
  e->Counter("livecdn_slow_viewer_dropped_frames_total",
             "Media frames (audio and video messages) dropped from slow viewers' queues", {},
             double(stats.slow_viewer_dropped));
  e->Counter("livecdn_slow_viewer_skips_total", "Times a viewer fell behind and skipped to the next key frame", {},
             double(stats.slow_viewer_skips));
  e->Counter("livecdn_slow_viewer_kicks_total", "Viewers disconnected for staying behind", {},
             double(stats.slow_viewer_kicks));
  for (const char* proto : {"rtmp", "flv"}) {
    // Every bucket, also before the first play, so rate() and histogram_quantile() see a series.
    std::vector<double> bounds, counts;
    auto h = stats.first_frame_ms.find(proto);
    for (int ms : LiveStats::kFirstFrameBoundsMs) {
      bounds.push_back(ms / 1000.0);
      uint64_t n = 0;
      if (h != stats.first_frame_ms.end()) {
        auto b = h->second.find(ms);
        if (b != h->second.end()) n = b->second;
      }
      counts.push_back(double(n));
    }
    auto sum = stats.first_frame_sum_s.find(proto);
    auto count = stats.first_frame_count.find(proto);
    e->Histogram("livecdn_first_frame_seconds", "Time from play request to the first video frame sent",
                 {{"protocol", proto}}, bounds, counts, sum == stats.first_frame_sum_s.end() ? 0 : sum->second,
                 count == stats.first_frame_count.end() ? 0 : double(count->second));
  }
}

base::Status ReadMetricsConfig(const config::Node& root, size_t* max_streams) {
  config::Node m = root["metrics"];
  CDN_RETURN_IF_ERROR(config::CheckKnownKeys(m, {"max_streams"}));
  int64_t n = static_cast<int64_t>(*max_streams);
  CDN_RETURN_IF_ERROR(config::ReadInt(m, "max_streams", &n, 0, 100000));
  *max_streams = static_cast<size_t>(n);
  return base::Status::Ok();
}

void RateMeter::Sample(uint64_t total_bytes, int64_t now_ms) {
  if (last_ms_ >= 0 && now_ms > last_ms_) {
    bps_ = (total_bytes - last_bytes_) * 8000 / static_cast<uint64_t>(now_ms - last_ms_);
  }
  last_bytes_ = total_bytes;
  last_ms_ = now_ms;
}

}  // namespace cdn::net
