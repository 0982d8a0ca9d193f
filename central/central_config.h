// CentralConfig: central.yaml as one typed, validated struct (DESIGN.md "Config"). Loaded once
// at start (and by `-t`); a bad file stops startup with the YAML path. Plain value.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "lib/auth/domain_table.h"
#include "lib/base/status.h"
#include "central/dashboard.h"
#include "lib/config/values.h"
#include "lib/net/live_admin.h"
#include "lib/net/webhook.h"

namespace cdn::central {

struct TranscodeTemplate {
  int width = 0, height = 0, fps = 0;
  uint64_t video_bitrate = 0, audio_bitrate = 0;
  std::string video_codec = "libx264", preset = "veryfast";
};

struct CentralConfig {
  std::string node_id = "central-1";
  config::HostPort rtmp_listen{"127.0.0.1", 19350};
  config::HostPort http_listen{"127.0.0.1", 8090};
  config::HostPort admin_listen{"127.0.0.1", 8088};
  std::string admin_token;
  std::string data_dir = "./data/central";
  std::string cdn_zone = "livecdn.test";  // CNAME targets are <domain>.<cdn_zone>
  bool gop_cache = true;
  int64_t hls_fragment_ms = 2000;
  int64_t hls_window = 6;
  int64_t hls_linger_ms = -1;  // hls.linger: how long an ended stream's playlist stays; -1: max(30 s, 2 windows)
  std::string ffmpeg = "ffmpeg";
  int64_t transcode_max = 4;
  std::map<std::string, TranscodeTemplate> templates;
  std::string record_format = "flv";
  int64_t record_segment_ms = 30 * 60 * 1000;
  std::string record_path;  // record.path; empty: <data_dir>/record
  bool record_renditions = false;  // record.renditions: a recorded domain's transcoded renditions too
  std::vector<auth::Domain> domains;

  // Live delivery knobs (add-ons to DESIGN.md's keys).
  int64_t reconnect_grace_ms = 10000;   // publish.reconnect_grace
  int64_t publish_idle_ms = 15000;      // publish.idle_timeout: a silent publisher is dropped
  int64_t takeover_idle_ms = 5000;      // publish.takeover_idle
  int64_t play_wait_ms = 5000;          // play.wait: 404 / StreamNotFound after this
  uint64_t play_queue_bytes = 8 << 20;  // play.queue: per-viewer bound
  int64_t play_max_skips = 8;           // play.max_skips: a viewer that keeps falling behind is cut
  int64_t play_stall_ms = 15000;
  int64_t play_hls_session_ms = 15000;  // play.hls_session_timeout: an HLS viewer quiet this long has left
  int64_t play_merge_window_ms = 50;    // play.merge_window: viewers' writes merged this long        // play.stall_timeout: a viewer whose socket takes nothing is cut
  uint64_t max_message_size = 8 << 20;  // rtmp.max_message_size
  int64_t handshake_timeout_ms = 10000; // rtmp.handshake_timeout
  int64_t max_connections = 10000;
  std::string log_level = "info";
  uint64_t capacity_bps = 10'000'000'000ULL;
  size_t metrics_max_streams = net::kDefaultMaxStreamSeries;  // metrics.max_streams
  net::WebhookConfig hooks;                                   // hooks: signed event webhooks
  DashboardConfig dashboard;                                  // dashboard: what /dashboard shows

  static base::Result<CentralConfig> Load(const std::string& file);
  static base::Result<CentralConfig> Parse(std::string_view yaml);
};

}  // namespace cdn::central
