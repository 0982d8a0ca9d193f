// What the RTMP and HTTP-FLV servers of central and edge share: the policy that names and
// admits streams (domain table, signatures; upstream pulls on the edge), the knobs, and the
// counters the admin endpoints read. Single-threaded with the servers that use them.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "lib/auth/url_signer.h"
#include "lib/base/status.h"
#include "lib/live/stream.h"
#include "lib/rtmp/stream_name.h"

namespace cdn::net {

// How an edge names itself to central: the flashVer of its RTMP pulls and relays and the
// User-Agent of its HLS fetches. Central counts those as relays, not viewers (a client could
// claim it too: that only moves it out of the viewer counts, it grants nothing).
inline constexpr std::string_view kEdgeClientId = "LiveCDN-edge/1.0";
inline bool IsEdgeClient(std::string_view id) { return id.starts_with("LiveCDN-edge/"); }

// The node's cap on client connections (max_connections): RTMP connections and HTTP-FLV viewers
// take a slot while they last. Shared by the servers of every event loop of a node (an edge's
// workers), so the cap holds for the node however the kernel spreads connections over the loops.
class ConnectionBudget {
 public:
  explicit ConnectionBudget(int64_t max) : max_(max) {}
  bool TryAcquire() {
    if (used_.fetch_add(1, std::memory_order_relaxed) < max_) return true;
    used_.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }
  void Release() { used_.fetch_sub(1, std::memory_order_relaxed); }
  int64_t max() const { return max_; }
  int64_t used() const { return used_.load(std::memory_order_relaxed); }

 private:
  const int64_t max_;
  std::atomic<int64_t> used_{0};
};

struct LiveServerOptions {
  int64_t play_wait_ms = 5000;
  size_t play_queue_bytes = 8 << 20;
  int64_t play_max_skips = 8;
  int64_t play_stall_ms = 15000;            // a viewer whose socket takes nothing this long is cut
  size_t write_high_watermark = 512 << 10;  // bytes handed to the socket layer at most
  int64_t handshake_timeout_ms = 10000;
  int64_t publish_idle_ms = 15000;
  uint32_t max_message_size = 8 << 20;
  int64_t max_connections = 10000;
  // Shared with the node's other loops; null: the server makes its own of max_connections.
  std::shared_ptr<ConnectionBudget> budget;
  // play.merge_window: after a viewer's first frame, its packets are written at most every this
  // many ms (one write per window instead of one per message: fewer syscalls per GB, at most this
  // much added delay). 0: each packet is written at once.
  int64_t merge_window_ms = 50;
};

// How a viewer asked for a stream; it decides which URI a signature covers (DESIGN.md "URL signing").
enum class PlayProtocol { kRtmp, kFlv, kHls, kHlsSegment };

struct PlayRequest {
  PlayProtocol protocol = PlayProtocol::kRtmp;
  std::string vhost;
  // The path as the client sent it (raw, not percent-decoded), with any type B/C token prefix:
  // RTMP "/<app>/<stream>", FLV "/<app>/<stream>.flv", HLS "/<app>/<stream>.m3u8" (master and
  // variant playlists too), HLS segment: the segment's own path.
  std::string path;
  std::string query;          // without '?'; RTMP: the stream name's query
  std::string connect_query;  // RTMP: the tcUrl/app query (an auth_key may be there instead)
  // kHlsSegment only: names the stream a token-free segment path belongs to
  // ("/live/room-12.ts" -> "live", "room"); false: no stream's segment (404).
  std::function<bool(std::string_view path, std::string* app, std::string* stream)> segment_of;
};

// What AdmitPublish / AdmitPlay answer: the stream, or why not.
struct [[nodiscard]] Admission {
  base::Status status;  // Ok, or the refusal: kNotFound -> 404, others -> 403 / RTMP error
  std::string reason;   // refused: the label of livecdn_auth_rejections_total and the log word
  live::StreamKey key;  // admitted: the stream
  std::string path;     // play: the request path without a token (cache keys, routing)
  std::optional<auth::Token> token;  // play with a checked signature: HLS carries it onto its URIs
  bool ok() const { return status.ok(); }
  static Admission Refuse(std::string reason, base::Status status) {
    Admission a;
    a.reason = std::move(reason);
    a.status = std::move(status);
    return a;
  }
};

// One client's use of one stream (a publish or a play): counted into the node's per-domain byte
// totals while it lasts and handed to LivePolicy::OnSessionEnded when it ends (billing events).
struct Session {
  enum class Kind { kPublish, kPlay };
  Kind kind = Kind::kPlay;
  std::string protocol;  // "rtmp", "flv"
  std::string domain;    // the vhost the client named (a viewer's pull domain)
  live::StreamKey key;   // the stream, under its push domain
  std::string peer;
  int64_t start_ms = 0;    // monotonic
  int64_t start_unix = 0;  // wall clock, seconds
  int64_t end_ms = 0;      // monotonic, when it ended before it was reported (HLS: its last request)
  uint64_t bytes = 0;      // sent to a viewer, received from a publisher
  uint64_t* domain_total = nullptr;  // LiveStats::DomainBytes
  bool relay = false;       // an edge's pull (not a viewer: no play_stop event)
  bool active() const { return start_ms != 0; }
  void Count(uint64_t n) {
    bytes += n;
    if (domain_total) *domain_total += n;
  }
};

// Decisions about who may publish or play what. The edge adds upstream pulls on top.
class LivePolicy {
 public:
  virtual ~LivePolicy() = default;
  // Checks the vhost at connect time (unknown domain: rejected).
  virtual base::Status AdmitConnect(const rtmp::ConnectInfo& info) = 0;
  // Names the stream a publisher writes to (checking its signature), or says why not.
  virtual Admission AdmitPublish(const rtmp::ConnectInfo& info, const rtmp::StreamRequest& req) = 0;
  // Names the stream a viewer plays (checking its signature), or says why not.
  virtual Admission AdmitPlay(const PlayRequest& req) = 0;
  // A viewer is waiting for a stream that has no publisher here (the edge starts a pull).
  virtual void OnViewerWaiting(live::Stream* stream) {}
  // A publisher was accepted on `stream` (the edge starts its relay upstream).
  virtual void OnPublishStarted(live::Stream* stream) {}
  // A publish or a play that had started ended (any cause), with its bytes and start time.
  virtual void OnSessionEnded(const Session& session) {}
};

// Counters and gauges kept by the servers; read by /healthz and /metrics.
struct LiveStats {
  int64_t rtmp_connections = 0;
  int64_t flv_connections = 0;
  int64_t publishers = 0;
  int64_t players = 0;
  uint64_t rtmp_bytes_in = 0, rtmp_bytes_out = 0, flv_bytes_out = 0;
  uint64_t hls_bytes_out = 0;  // HLS responses (no session: CountHlsOut)
  std::map<std::pair<std::string, std::string>, uint64_t> rejections;  // (action, reason) -> count
  std::map<std::string, uint64_t> closes;      // close reason class -> count
  std::map<std::pair<std::string, std::string>, uint64_t> upstream;  // (kind, result) -> count
  std::map<std::pair<std::string, std::string>, uint64_t> cache;     // (tier, result) -> count
  std::map<std::string, uint64_t> cache_bytes;  // tier (memory, disk, stale, upstream) -> object bytes served
  std::map<std::pair<std::string, std::string>, uint64_t> accepted;  // (publish|play, protocol) -> count
  uint64_t slow_viewer_skips = 0, slow_viewer_kicks = 0;
  uint64_t slow_viewer_dropped = 0;  // media frames slow viewers' queues dropped
  // first-frame latency histogram buckets (ms upper bounds) per protocol
  std::map<std::string, std::map<int, uint64_t>> first_frame_ms;
  std::map<std::string, double> first_frame_sum_s;
  std::map<std::string, uint64_t> first_frame_count;
  // (protocol, domain) -> bytes; at most kMaxDomains domains, the rest under "_other".
  std::map<std::pair<std::string, std::string>, uint64_t> domain_bytes_out, domain_bytes_in;
  static constexpr size_t kMaxDomains = 200;
  // `action`: connect, publish or play; `reason`: the log word (unknown_domain, bad_hash, ...).
  void Reject(const std::string& action, const std::string& reason) { ++rejections[{action, reason}]; }
  void Accept(const std::string& action, const std::string& protocol) { ++accepted[{action, protocol}]; }
  // The counter a session adds to (stable for the node's life). Starts `session` now.
  // Bytes of one response with no session (HLS): into hls_bytes_out and the domain's total.
  void CountHlsOut(const std::string& domain, uint64_t n);
  void StartSession(Session* session, Session::Kind kind, std::string protocol, std::string domain,
                    live::StreamKey key, std::string peer);
  void FirstFrame(const std::string& protocol, int64_t ms);
  static constexpr int kFirstFrameBoundsMs[] = {5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000};
};

}  // namespace cdn::net
