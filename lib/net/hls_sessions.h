// HlsSessions: HLS viewers as sessions. HLS has no connection per viewer: a player fetches its
// playlist every target duration and each new segment, possibly over new connections. A viewer is
// named by what its requests share, client IP + User-Agent + the query it plays with (a signed
// URL's token, carried onto every segment URI of its playlist), per stream. Its session starts
// with its first answered request, adds the bytes of each, and ends `idle_ms` after the last one:
// then the policy gets OnSessionEnded (the play_stop webhook, protocol "hls"). Viewers behind one
// NAT with the same player and the same URL count as one. Bounded: past `max_sessions` new
// viewers are not tracked (their bytes still count by domain). Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <unordered_map>

#include "lib/live/stream.h"
#include "lib/net/live_server.h"

namespace cdn::net {

class HttpExchange;

struct HlsViewer {
  std::string id;       // client IP, User-Agent and query
  std::string peer;     // ip:port of the request that started it (the event's "client")
  std::string domain;   // the vhost the viewer named
  live::StreamKey key;  // the stream, under its push domain
  bool relay = false;   // an edge filling its cache (User-Agent kEdgeClientId): not a viewer
};

HlsViewer MakeHlsViewer(const HttpExchange& ex, std::string domain, live::StreamKey key);

class HlsSessions {
 public:
  static constexpr int64_t kDefaultIdleMs = 15000;
  static constexpr size_t kDefaultMaxSessions = 100000;

  // `policy` gets every ended session (may be null).
  HlsSessions(LiveStats* stats, LivePolicy* policy, int64_t idle_ms = kDefaultIdleMs,
              size_t max_sessions = kDefaultMaxSessions);
  HlsSessions(const HlsSessions&) = delete;
  HlsSessions& operator=(const HlsSessions&) = delete;

  // An answered request of `viewer` that sent `bytes` (body bytes); relays are not sessions.
  void Count(const HlsViewer& viewer, uint64_t bytes, int64_t now_ms);
  // Ends the sessions idle for `idle_ms`.
  void Tick(int64_t now_ms);
  // Ends every session (shutdown).
  void EndAll();

  size_t viewers(const live::StreamKey& key) const;
  size_t size() const { return sessions_.size(); }
  uint64_t untracked() const { return untracked_; }
  // Streams with HLS viewers: key and count.
  void ForEachStream(const std::function<void(const live::StreamKey&, size_t)>& fn) const;

 private:
  struct Entry {
    Session session;
    int64_t last_ms = 0;
  };
  void End(std::unordered_map<std::string, Entry>::iterator it);

  LiveStats* stats_;
  LivePolicy* policy_;
  int64_t idle_ms_;
  size_t max_sessions_;
  std::unordered_map<std::string, Entry> sessions_;  // viewer id + stream -> session
  struct PerStream {
    live::StreamKey key;
    size_t viewers = 0;
  };
  std::map<std::string, PerStream> streams_;  // StreamKey::ToString -> viewers
  uint64_t untracked_ = 0;
};

}  // namespace cdn::net
