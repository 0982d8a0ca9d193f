// HlsServer: central's HLS side. Gives every published stream an HlsPackager (OnPublishStarted,
// from the policy hook) and serves what they make on the HTTP listener, as the FlvServer's
// fallback for non-.flv paths:
//   GET|HEAD /<app>/<stream>.m3u8               application/vnd.apple.mpegurl, max-age=1
//   GET|HEAD /<app>/<stream>_abr.m3u8           master playlist: the source and its renditions
//   GET|HEAD /<app>/<stream>/<session>-<seq>.ts  video/mp2t, max-age=3600, immutable; Range
// The vhost comes from Host or ?vhost=; the policy's AdmitPlay maps a pull domain to its push
// domain (and checks signatures). Segment URIs in a playlist carry the playlist request's query,
// so a signed playlist URL plays. A playlist asked for before its stream has a first segment
// waits up to `wait_ms` (a publisher starting, the first segment being cut), then 404.
// Ended packagers are kept `linger_ms` for late readers, then freed. Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "central/hls_packager.h"
#include "lib/live/stream_hub.h"
#include "lib/metrics/exposition.h"
#include "lib/net/event_loop.h"
#include "lib/net/http_server.h"
#include "lib/net/hls_sessions.h"
#include "lib/net/live_server.h"

namespace cdn::central {

struct HlsServerOptions {
  HlsOptions packager;
  int64_t wait_ms = 4000;     // a playlist without segments yet: wait this long, then 404
  int64_t linger_ms = 30000;  // an ended stream's playlist and segments stay this long
  int64_t session_idle_ms = net::HlsSessions::kDefaultIdleMs;  // an HLS viewer quiet this long has left
};

struct HlsStats {
  std::map<std::pair<std::string, std::string>, uint64_t> requests;  // (kind, result) -> count
  uint64_t bytes_out = 0;
};

class HlsServer {
 public:
  // `live_stats` gets the rejections (livecdn_auth_rejections_total), like the other servers.
  HlsServer(net::EventLoop* loop, live::StreamHub* hub, net::LivePolicy* policy, HlsServerOptions options,
            net::LiveStats* live_stats);
  ~HlsServer();

  // A publisher was accepted on `stream`: make sure a packager consumes it.
  void OnPublishStarted(live::Stream* stream);
  // An HTTP request that is not HTTP-FLV.
  void Handle(std::unique_ptr<net::HttpExchange> ex);
  // Frees packagers that ended more than linger_ms ago.
  void Tick(int64_t now_ms);
  // Drops every packager and answers every waiting request (shutdown).
  void CloseAll();

  // Names of the transcoded renditions of a stream (`<stream>_<template>`), for
  // `<stream>_abr.m3u8`, the master playlist across the source and its renditions.
  void set_renditions(std::function<std::vector<std::string>(const live::StreamKey&)> fn) {
    renditions_ = std::move(fn);
  }

  const HlsStats& stats() const { return stats_; }
  const net::HlsSessions& sessions() const { return sessions_; }
  size_t packager_count() const { return packagers_.size(); }
  void AddMetrics(metrics::Exposition* e) const;

 private:
  struct Entry {
    live::StreamKey key;
    std::unique_ptr<HlsPackager> packager;  // attached to the stream until it ends
    int64_t ended_ms = -1;                  // when Tick first saw it ended; -1 while live
  };
  class Waiter;

  // `viewer.key` is the stream; its bytes count under the domain it named and in its session.
  void ServePlaylist(std::unique_ptr<net::HttpExchange> ex, const net::HlsViewer& viewer);
  // `<stream>_abr.m3u8`: false when `key` does not name a master playlist.
  bool ServeMaster(std::unique_ptr<net::HttpExchange>& ex, const net::HlsViewer& viewer);
  void ServeSegment(std::unique_ptr<net::HttpExchange> ex, const std::string& file, const net::HlsViewer& viewer);
  void ReplyPlaylist(net::HttpExchange* ex, const HlsPlaylist& playlist, const net::HlsViewer& viewer);
  // `session`: false for a master playlist (its variants carry the viewer's session).
  void CountOut(const net::HttpExchange& ex, const net::HlsViewer& viewer, uint64_t n, bool session = true);
  void OnPlaylistUpdate(const std::string& key);
  void Count(const std::string& kind, const std::string& result) { ++stats_.requests[{kind, result}]; }
  std::string NewSession();

  net::EventLoop* loop_;
  live::StreamHub* hub_;
  net::LivePolicy* policy_;
  HlsServerOptions options_;
  net::LiveStats* live_stats_;
  HlsStats stats_;
  std::function<std::vector<std::string>(const live::StreamKey&)> renditions_;
  std::map<std::string, Entry> packagers_;  // by StreamKey::ToString()
  std::unordered_map<uint64_t, std::unique_ptr<Waiter>> waiters_;  // by id
  uint64_t next_waiter_id_ = 0;
  uint64_t freed_segments_ = 0;
  net::HlsSessions sessions_;  // HLS viewers: play_stop events and viewer counts
};

}  // namespace cdn::central
