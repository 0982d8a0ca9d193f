#include "central/central_config.h"

#include "lib/config/domains.h"
#include "lib/config/node.h"

namespace cdn::central {

namespace {

using config::Node;

base::Result<CentralConfig> FromNode(const Node& root) {
  CentralConfig c;
  CDN_RETURN_IF_ERROR(config::CheckKnownKeys(
      root, {"node_id", "rtmp", "http", "admin", "data_dir", "gop_cache", "hls", "transcode", "record", "domains",
             "publish", "play", "log_level", "max_connections", "capacity", "cdn_zone", "metrics", "hooks",
             "dashboard"}));
  CDN_RETURN_IF_ERROR(ReadDashboardConfig(root, &c.dashboard));
  CDN_RETURN_IF_ERROR(net::ReadMetricsConfig(root, &c.metrics_max_streams));
  CDN_RETURN_IF_ERROR(net::ReadWebhookConfig(root, &c.hooks));
  CDN_RETURN_IF_ERROR(config::ReadString(root, "node_id", &c.node_id));
  Node rtmp = root["rtmp"];
  CDN_RETURN_IF_ERROR(config::CheckKnownKeys(rtmp, {"listen", "max_message_size", "handshake_timeout"}));
  CDN_RETURN_IF_ERROR(config::ReadHostPort(rtmp, "listen", &c.rtmp_listen));
  CDN_RETURN_IF_ERROR(config::ReadSize(rtmp, "max_message_size", &c.max_message_size));
  if (c.max_message_size < 1024 || c.max_message_size > 0xFFFFFF)
    return rtmp["max_message_size"].Error("must be between 1KiB and 16MiB");
  CDN_RETURN_IF_ERROR(config::ReadDurationMs(rtmp, "handshake_timeout", &c.handshake_timeout_ms));
  Node http = root["http"];
  CDN_RETURN_IF_ERROR(config::CheckKnownKeys(http, {"listen"}));
  CDN_RETURN_IF_ERROR(config::ReadHostPort(http, "listen", &c.http_listen));
  Node admin = root["admin"];
  CDN_RETURN_IF_ERROR(config::CheckKnownKeys(admin, {"listen", "token"}));
  CDN_RETURN_IF_ERROR(config::ReadHostPort(admin, "listen", &c.admin_listen));
  CDN_RETURN_IF_ERROR(config::ReadString(admin, "token", &c.admin_token));
  CDN_RETURN_IF_ERROR(config::ReadString(root, "data_dir", &c.data_dir));
  CDN_RETURN_IF_ERROR(config::ReadString(root, "cdn_zone", &c.cdn_zone));
  CDN_RETURN_IF_ERROR(config::ReadBool(root, "gop_cache", &c.gop_cache));
  CDN_RETURN_IF_ERROR(config::ReadString(root, "log_level", &c.log_level));
  if (c.log_level != "debug" && c.log_level != "info" && c.log_level != "warn" && c.log_level != "error")
    return root["log_level"].Error("must be debug, info, warn or error");
  CDN_RETURN_IF_ERROR(config::ReadInt(root, "max_connections", &c.max_connections, 1, 10'000'000));
  CDN_RETURN_IF_ERROR(config::ReadBandwidth(root, "capacity", &c.capacity_bps));

  Node hls = root["hls"];
  CDN_RETURN_IF_ERROR(config::CheckKnownKeys(hls, {"fragment", "window", "linger"}));
  CDN_RETURN_IF_ERROR(config::ReadDurationMs(hls, "linger", &c.hls_linger_ms));
  CDN_RETURN_IF_ERROR(config::ReadDurationMs(hls, "fragment", &c.hls_fragment_ms));
  CDN_RETURN_IF_ERROR(config::ReadInt(hls, "window", &c.hls_window, 2, 100));
  if (c.hls_fragment_ms < 500) return hls["fragment"].Error("must be at least 500ms");

  Node tc = root["transcode"];
  CDN_RETURN_IF_ERROR(config::CheckKnownKeys(tc, {"ffmpeg", "max", "templates"}));
  CDN_RETURN_IF_ERROR(config::ReadString(tc, "ffmpeg", &c.ffmpeg));
  CDN_RETURN_IF_ERROR(config::ReadInt(tc, "max", &c.transcode_max, 0, 256));
  Node templates = tc["templates"];
  if (!templates.is_null()) {
    if (!templates.is_map()) return templates.Error("expected a map of template name -> settings");
    for (const auto& [name, t] : templates.entries()) {
      CDN_RETURN_IF_ERROR(config::CheckKnownKeys(
          t, {"width", "height", "fps", "video_bitrate", "audio_bitrate", "codec", "video_codec", "preset"}));
      TranscodeTemplate tt;
      int64_t v = 0;
      CDN_RETURN_IF_ERROR(config::ReadInt(t, "width", &v, 0, 8192));
      tt.width = static_cast<int>(v);
      v = 0;
      CDN_RETURN_IF_ERROR(config::ReadInt(t, "height", &v, 0, 8192));
      tt.height = static_cast<int>(v);
      v = 0;
      CDN_RETURN_IF_ERROR(config::ReadInt(t, "fps", &v, 0, 240));
      tt.fps = static_cast<int>(v);
      CDN_RETURN_IF_ERROR(config::ReadBandwidth(t, "video_bitrate", &tt.video_bitrate));
      CDN_RETURN_IF_ERROR(config::ReadBandwidth(t, "audio_bitrate", &tt.audio_bitrate));
      CDN_RETURN_IF_ERROR(config::ReadString(t, "codec", &tt.video_codec));
      CDN_RETURN_IF_ERROR(config::ReadString(t, "video_codec", &tt.video_codec));
      CDN_RETURN_IF_ERROR(config::ReadString(t, "preset", &tt.preset));
      c.templates[name] = tt;
    }
  }
  Node rec = root["record"];
  CDN_RETURN_IF_ERROR(config::CheckKnownKeys(rec, {"format", "segment", "path", "renditions"}));
  CDN_RETURN_IF_ERROR(config::ReadString(rec, "path", &c.record_path));
  CDN_RETURN_IF_ERROR(config::ReadBool(rec, "renditions", &c.record_renditions));
  CDN_RETURN_IF_ERROR(config::ReadString(rec, "format", &c.record_format));
  if (c.record_format != "flv" && c.record_format != "mp4") return rec["format"].Error("must be flv or mp4");
  CDN_RETURN_IF_ERROR(config::ReadDurationMs(rec, "segment", &c.record_segment_ms));
  if (c.record_segment_ms < 1000) return rec["segment"].Error("must be at least 1s");

  Node pub = root["publish"];
  CDN_RETURN_IF_ERROR(config::CheckKnownKeys(pub, {"reconnect_grace", "idle_timeout", "takeover_idle"}));
  CDN_RETURN_IF_ERROR(config::ReadDurationMs(pub, "reconnect_grace", &c.reconnect_grace_ms));
  CDN_RETURN_IF_ERROR(config::ReadDurationMs(pub, "idle_timeout", &c.publish_idle_ms));
  CDN_RETURN_IF_ERROR(config::ReadDurationMs(pub, "takeover_idle", &c.takeover_idle_ms));
  Node play = root["play"];
  CDN_RETURN_IF_ERROR(
      config::CheckKnownKeys(play, {"wait", "queue", "max_skips", "stall_timeout", "merge_window", "hls_session_timeout"}));
  CDN_RETURN_IF_ERROR(config::ReadDurationMs(play, "hls_session_timeout", &c.play_hls_session_ms));
  if (c.play_hls_session_ms < 1000) return play["hls_session_timeout"].Error("must be at least 1s");
  CDN_RETURN_IF_ERROR(config::ReadDurationMs(play, "merge_window", &c.play_merge_window_ms));
  if (c.play_merge_window_ms > 1000) return play["merge_window"].Error("must be at most 1s");
  CDN_RETURN_IF_ERROR(config::ReadDurationMs(play, "wait", &c.play_wait_ms));
  CDN_RETURN_IF_ERROR(config::ReadSize(play, "queue", &c.play_queue_bytes));
  if (c.play_queue_bytes < (256 << 10)) return play["queue"].Error("must be at least 256KiB");
  CDN_RETURN_IF_ERROR(config::ReadInt(play, "max_skips", &c.play_max_skips, 1, 1000000));
  CDN_RETURN_IF_ERROR(config::ReadDurationMs(play, "stall_timeout", &c.play_stall_ms));

  CDN_RETURN_IF_ERROR(config::ReadDomains(root, "domains", &c.domains));
  for (const auto& d : c.domains) {
    for (const auto& t : d.transcode) {
      if (!c.templates.count(t)) return root["domains"].Error("domain " + d.name + ": unknown transcode template '" + t + "'");
    }
  }
  return c;
}

}  // namespace

base::Result<CentralConfig> CentralConfig::Load(const std::string& file) {
  auto root = config::Node::LoadFile(file);
  if (!root.ok()) return root.status();
  auto c = FromNode(*root);
  if (!c.ok()) return c.status().WithContext(file);
  return c;
}

base::Result<CentralConfig> CentralConfig::Parse(std::string_view yaml) {
  auto root = config::Node::LoadString(yaml);
  if (!root.ok()) return root.status();
  return FromNode(*root);
}

}  // namespace cdn::central
