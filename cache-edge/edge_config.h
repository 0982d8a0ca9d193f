// EdgeConfig: cache-edge.yaml as one typed, validated struct (DESIGN.md "Config"). Loaded once
// at start (and by `-t`); a bad file stops startup with the YAML path. Plain value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lib/auth/domain_table.h"
#include "lib/base/status.h"
#include "lib/config/values.h"
#include "lib/net/live_admin.h"
#include "lib/net/live_server.h"
#include "lib/net/webhook.h"

namespace cdn::edge {

struct EdgeConfig {
  std::string node_id = "edge-1";
  std::string region;
  config::HostPort rtmp_listen{"127.0.0.1", 1935};
  config::HostPort http_listen{"127.0.0.1", 8080};
  config::HostPort admin_listen{"127.0.0.1", 8081};
  std::string admin_token;
  std::string data_dir = "./data/edge";
  std::vector<config::HostPort> origins;  // central RTMP, rendezvous-hashed per stream
  std::vector<config::HostPort> origins_http;
  std::string central_api;
  std::string central_token;
  int64_t domains_poll_ms = 1000;        // central.poll: domain table sync interval
  uint64_t cache_memory = 256ull << 20;
  uint64_t cache_disk = 4ull << 30;
  std::vector<auth::Domain> domains;
  bool gop_cache = true;
  int64_t reconnect_grace_ms = 10000;
  int64_t takeover_idle_ms = 5000;
  int64_t play_idle_timeout_ms = 30000;  // play.idle_timeout: upstream pull stops after the last viewer
  int64_t play_hls_session_ms = 15000;   // play.hls_session_timeout: an HLS viewer quiet this long has left
  int64_t upstream_timeout_ms = 5000;    // connect/handshake bound per origin attempt
  int64_t drain_timeout_ms = 30000;      // drain_timeout: SIGTERM waits this long for viewers
  uint64_t capacity_bps = 10'000'000'000ULL;
  size_t metrics_max_streams = net::kDefaultMaxStreamSeries;  // metrics.max_streams
  std::string log_level = "info";
  int64_t workers = 1;  // event-loop threads; >1: workers 1..N-1 share the RTMP and HTTP ports
  net::LiveServerOptions live;
  net::WebhookConfig hooks;  // hooks: play_stop of this edge's viewers (billing), publish/unpublish

  static base::Result<EdgeConfig> Load(const std::string& file);
  static base::Result<EdgeConfig> Parse(std::string_view yaml);
};

}  // namespace cdn::edge
