#include "cache-edge/edge_config.h"

#include "lib/config/domains.h"
#include "lib/config/node.h"

namespace cdn::edge {

namespace {

using config::Node;

base::Status ReadHostPortList(const Node& map, std::string_view key, std::vector<config::HostPort>* out) {
  std::vector<std::string> items;
  CDN_RETURN_IF_ERROR(config::ReadStringList(map, key, &items));
  out->clear();
  for (size_t i = 0; i < items.size(); ++i) {
    auto hp = config::ParseHostPort(items[i]);
    if (!hp.ok()) return map[key].items()[i].Error(hp.status().message());
    out->push_back(*hp);
  }
  return base::Status::Ok();
}

base::Result<EdgeConfig> FromNode(const Node& root) {
  EdgeConfig c;
  CDN_RETURN_IF_ERROR(config::CheckKnownKeys(
      root, {"node_id", "region", "rtmp", "http", "admin", "data_dir", "central", "cache", "domains", "gop_cache",
             "publish", "play", "drain_timeout", "capacity", "log_level", "max_connections", "workers",
             "metrics", "hooks"}));
  CDN_RETURN_IF_ERROR(net::ReadWebhookConfig(root, &c.hooks));
  CDN_RETURN_IF_ERROR(net::ReadMetricsConfig(root, &c.metrics_max_streams));
  CDN_RETURN_IF_ERROR(config::ReadString(root, "node_id", &c.node_id));
  CDN_RETURN_IF_ERROR(config::ReadString(root, "region", &c.region));
  Node rtmp = root["rtmp"];
  CDN_RETURN_IF_ERROR(config::CheckKnownKeys(rtmp, {"listen", "max_message_size", "handshake_timeout"}));
  CDN_RETURN_IF_ERROR(config::ReadHostPort(rtmp, "listen", &c.rtmp_listen));
  uint64_t max_msg = c.live.max_message_size;
  CDN_RETURN_IF_ERROR(config::ReadSize(rtmp, "max_message_size", &max_msg));
  if (max_msg < 1024 || max_msg > 0xFFFFFF) return rtmp["max_message_size"].Error("must be between 1KiB and 16MiB");
  c.live.max_message_size = static_cast<uint32_t>(max_msg);
  CDN_RETURN_IF_ERROR(config::ReadDurationMs(rtmp, "handshake_timeout", &c.live.handshake_timeout_ms));
  Node http = root["http"];
  CDN_RETURN_IF_ERROR(config::CheckKnownKeys(http, {"listen"}));
  CDN_RETURN_IF_ERROR(config::ReadHostPort(http, "listen", &c.http_listen));
  Node admin = root["admin"];
  CDN_RETURN_IF_ERROR(config::CheckKnownKeys(admin, {"listen", "token"}));
  CDN_RETURN_IF_ERROR(config::ReadHostPort(admin, "listen", &c.admin_listen));
  CDN_RETURN_IF_ERROR(config::ReadString(admin, "token", &c.admin_token));
  CDN_RETURN_IF_ERROR(config::ReadString(root, "data_dir", &c.data_dir));
  Node central = root["central"];
  CDN_RETURN_IF_ERROR(config::CheckKnownKeys(central, {"origins", "http", "api", "token", "timeout", "poll"}));
  CDN_RETURN_IF_ERROR(ReadHostPortList(central, "origins", &c.origins));
  if (c.origins.empty()) return central["origins"].Error("at least one central origin is required");
  CDN_RETURN_IF_ERROR(ReadHostPortList(central, "http", &c.origins_http));
  CDN_RETURN_IF_ERROR(config::ReadString(central, "api", &c.central_api));
  CDN_RETURN_IF_ERROR(config::ReadString(central, "token", &c.central_token));
  CDN_RETURN_IF_ERROR(config::ReadDurationMs(central, "timeout", &c.upstream_timeout_ms));
  CDN_RETURN_IF_ERROR(config::ReadDurationMs(central, "poll", &c.domains_poll_ms));
  if (c.domains_poll_ms < 100) return central["poll"].Error("must be at least 100ms");
  if (!c.central_api.empty() && c.central_api.rfind("http://", 0) != 0) return central["api"].Error("must be an http:// URL");
  Node cache = root["cache"];
  CDN_RETURN_IF_ERROR(config::CheckKnownKeys(cache, {"memory", "disk"}));
  CDN_RETURN_IF_ERROR(config::ReadSize(cache, "memory", &c.cache_memory));
  CDN_RETURN_IF_ERROR(config::ReadSize(cache, "disk", &c.cache_disk));
  CDN_RETURN_IF_ERROR(config::ReadBool(root, "gop_cache", &c.gop_cache));
  Node pub = root["publish"];
  CDN_RETURN_IF_ERROR(config::CheckKnownKeys(pub, {"reconnect_grace", "idle_timeout", "takeover_idle"}));
  CDN_RETURN_IF_ERROR(config::ReadDurationMs(pub, "reconnect_grace", &c.reconnect_grace_ms));
  CDN_RETURN_IF_ERROR(config::ReadDurationMs(pub, "idle_timeout", &c.live.publish_idle_ms));
  CDN_RETURN_IF_ERROR(config::ReadDurationMs(pub, "takeover_idle", &c.takeover_idle_ms));
  Node play = root["play"];
  CDN_RETURN_IF_ERROR(
      config::CheckKnownKeys(play, {"wait", "queue", "max_skips", "stall_timeout", "idle_timeout", "merge_window",
                                    "hls_session_timeout"}));
  CDN_RETURN_IF_ERROR(config::ReadDurationMs(play, "hls_session_timeout", &c.play_hls_session_ms));
  if (c.play_hls_session_ms < 1000) return play["hls_session_timeout"].Error("must be at least 1s");
  CDN_RETURN_IF_ERROR(config::ReadDurationMs(play, "merge_window", &c.live.merge_window_ms));
  if (c.live.merge_window_ms > 1000) return play["merge_window"].Error("must be at most 1s");
  CDN_RETURN_IF_ERROR(config::ReadDurationMs(play, "wait", &c.live.play_wait_ms));
  uint64_t queue = c.live.play_queue_bytes;
  CDN_RETURN_IF_ERROR(config::ReadSize(play, "queue", &queue));
  if (queue < (256 << 10)) return play["queue"].Error("must be at least 256KiB");
  c.live.play_queue_bytes = queue;
  CDN_RETURN_IF_ERROR(config::ReadInt(play, "max_skips", &c.live.play_max_skips, 1, 1000000));
  CDN_RETURN_IF_ERROR(config::ReadDurationMs(play, "stall_timeout", &c.live.play_stall_ms));
  CDN_RETURN_IF_ERROR(config::ReadDurationMs(play, "idle_timeout", &c.play_idle_timeout_ms));
  CDN_RETURN_IF_ERROR(config::ReadDurationMs(root, "drain_timeout", &c.drain_timeout_ms));
  CDN_RETURN_IF_ERROR(config::ReadBandwidth(root, "capacity", &c.capacity_bps));
  CDN_RETURN_IF_ERROR(config::ReadString(root, "log_level", &c.log_level));
  CDN_RETURN_IF_ERROR(config::ReadInt(root, "max_connections", &c.live.max_connections, 1, 10'000'000));
  CDN_RETURN_IF_ERROR(config::ReadInt(root, "workers", &c.workers, 1, 64));
  CDN_RETURN_IF_ERROR(config::ReadDomains(root, "domains", &c.domains));
  return c;
}

}  // namespace

base::Result<EdgeConfig> EdgeConfig::Load(const std::string& file) {
  auto root = config::Node::LoadFile(file);
  if (!root.ok()) return root.status();
  auto c = FromNode(*root);
  if (!c.ok()) return c.status().WithContext(file);
  return c;
}

base::Result<EdgeConfig> EdgeConfig::Parse(std::string_view yaml) {
  auto root = config::Node::LoadString(yaml);
  if (!root.ok()) return root.status();
  return FromNode(*root);
}

}  // namespace cdn::edge
