// HlsProxy: the edge's HLS caching proxy. A request for a playlist or segment is answered
// from the ObjectCache (memory, then disk) when fresh; otherwise exactly one request goes to
// central's HTTP (however many viewers miss at once: they wait for it, request collapsing).
// A playlist refresh that fails upstream serves the last good copy for a while (stale-if-error).
// Playlists are rewritten per viewer so segment URIs carry the viewer's own query (vhost and
// token); segments answer Range and HEAD; CORS everywhere. Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include "cache-edge/object_cache.h"
#include "lib/config/values.h"
#include "lib/net/event_loop.h"
#include "lib/net/http_client.h"
#include "lib/net/http_server.h"
#include "lib/net/hls_sessions.h"
#include "lib/net/live_server.h"

namespace cdn::edge {

struct HlsRequest {
  std::string cache_key;      // push-domain + path, no auth parameters
  std::string upstream_path;  // path + "?vhost=<push domain>" asked of central
  std::string viewer_query;   // carried onto segment URIs of a playlist
  std::string order_key;      // the stream key: picks the central (rendezvous order)
  bool playlist = false;
  std::string domain;  // the vhost the viewer named (byte totals by domain)
  net::HlsViewer viewer;  // whose request: HLS sessions (viewer counts, play_stop)
};

// What a lookup found: an object and the tier it came from, or the error status to answer.
struct HlsResult {
  ObjectPtr obj;     // null: answer `status`
  std::string tier;  // memory, disk, upstream, stale
  int status = 200;
};

class HlsProxy {
 public:
  using Done = std::function<void(const HlsResult&)>;

  HlsProxy(net::EventLoop* loop, std::vector<config::HostPort> origins_http, ObjectCache* cache, net::LiveStats* stats,
           int64_t timeout_ms, int64_t stale_ms);
  ~HlsProxy();

  void Serve(std::unique_ptr<net::HttpExchange> ex, HlsRequest req);
  // Serve for a request whose exchange lives on another loop (an edge worker): `done` gets the
  // result on this loop; the object is immutable and shared, so it may cross threads.
  void Lookup(HlsRequest req, Done done);
  // Answers an exchange with a result (playlists rewritten with `viewer_query`; Range, HEAD).
  // Returns the body bytes sent (for LiveStats::CountHlsOut).
  static size_t Respond(net::HttpExchange* ex, const HlsResult& r, bool playlist, const std::string& viewer_query);
  // Maps an origin host to its current address (c-ares); unset: hosts are used as they are.
  void set_lookup(std::function<std::optional<std::string>(const std::string&)> f) { lookup_ = std::move(f); }
  uint64_t upstream_requests() const { return upstream_requests_; }
  // HLS sessions of the viewers this loop answers (and the workers report); may be null.
  void set_sessions(net::HlsSessions* s) { sessions_ = s; }
  net::HlsSessions* sessions() const { return sessions_; }
  size_t inflight() const { return inflight_.size(); }

  // Rewrites each URI line of a playlist: drops its query and appends `query` (if any).
  static std::string RewritePlaylist(const std::string& body, const std::string& query);

 private:
  struct Waiter {
    std::unique_ptr<net::HttpExchange> ex;  // or, for a remote request, `done`
    std::string viewer_query;
    Done done;
    std::string domain;
    net::HlsViewer viewer;
  };
  void Start(Waiter w, HlsRequest req);
  void Deliver(Waiter& w, const HlsResult& r, bool playlist);
  struct Fetch {
    HlsRequest req;
    std::vector<Waiter> waiters;
    std::vector<config::HostPort> order;
    size_t attempt = 0;
  };
  void StartFetch(const std::string& key);
  void OnFetched(const std::string& key, const net::HttpResponse& r);

  net::EventLoop* loop_;
  std::vector<config::HostPort> origins_;
  ObjectCache* cache_;
  net::LiveStats* stats_;
  int64_t timeout_ms_;
  int64_t stale_ms_;
  net::HttpClient client_;
  std::map<std::string, Fetch> inflight_;
  std::map<std::string, ObjectPtr> last_good_playlist_;
  uint64_t upstream_requests_ = 0;
  std::function<std::optional<std::string>(const std::string&)> lookup_;
  net::HlsSessions* sessions_ = nullptr;
};

}  // namespace cdn::edge
