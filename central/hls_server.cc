#include "central/hls_server.h"

#include <atomic>
#include <cstdio>
#include <random>
#include <vector>

#include "lib/base/clock.h"
#include "lib/base/log.h"
#include "lib/http/query.h"
#include "lib/http/range.h"
#include "lib/media/m3u8.h"
#include "lib/net/hls_request.h"

namespace cdn::central {

namespace {

constexpr char kPlaylistType[] = "application/vnd.apple.mpegurl";  // RFC 8216 4
constexpr char kSegmentType[] = "video/mp2t";

// The same CORS answer as HTTP-FLV: hls.js on any page may read playlists and ranges.
net::Headers Cors() {
  return {{"Access-Control-Allow-Origin", "*"},
          {"Access-Control-Allow-Methods", "GET, HEAD, OPTIONS"},
          {"Access-Control-Allow-Headers", "Range, Origin, Accept"},
          {"Access-Control-Expose-Headers", "Content-Length, Content-Range"}};
}

net::Headers With(net::Headers h, std::initializer_list<std::pair<std::string, std::string>> more) {
  for (const auto& kv : more) h.push_back(kv);
  return h;
}

void ReplyError(net::HttpExchange* ex, int status, const std::string& message) {
  ex->Reply(status, "text/plain", message + "\n", With(Cors(), {{"Cache-Control", "no-cache"}}));
}

}  // namespace

// A playlist request waiting for its stream's first segment.
class HlsServer::Waiter {
 public:
  Waiter(HlsServer* server, uint64_t id, std::unique_ptr<net::HttpExchange> ex, std::string key, net::HlsViewer viewer)
      : server_(server),
        id_(id),
        ex_(std::move(ex)),
        key_(std::move(key)),
        viewer_(std::move(viewer)),
        timer_(server->loop_, [this] { Expire(); }) {
    ex_->set_on_close([this] { Done(); });
    timer_.Start(server->options_.wait_ms);
  }
  const std::string& key() const { return key_; }
  bool done() const { return done_; }
  // Answers with the playlist (the caller erases the waiter).
  void Answer(const HlsPlaylist& playlist) {
    timer_.Cancel();
    done_ = true;
    server_->ReplyPlaylist(ex_.get(), playlist, viewer_);
  }
  // Answers 503 (shutdown).
  void Abort() {
    timer_.Cancel();
    done_ = true;
    ReplyError(ex_.get(), 503, "shutting down");
  }

 private:
  void Expire() {
    if (done_) return;
    server_->Count("playlist", "not_found");
    ReplyError(ex_.get(), 404, "stream not found");
    Done();
  }
  // From the waiter's own callbacks: it is destroyed on the next loop turn, by id.
  void Done() {
    if (done_) return;
    done_ = true;
    timer_.Cancel();
    HlsServer* server = server_;
    const uint64_t id = id_;
    server->loop_->Defer([server, id] { server->waiters_.erase(id); });
  }

  HlsServer* server_;
  uint64_t id_;
  std::unique_ptr<net::HttpExchange> ex_;
  std::string key_;
  net::HlsViewer viewer_;
  net::Timer timer_;
  bool done_ = false;
};

HlsServer::HlsServer(net::EventLoop* loop, live::StreamHub* hub, net::LivePolicy* policy, HlsServerOptions options,
                     net::LiveStats* live_stats)
    : loop_(loop),
      hub_(hub),
      policy_(policy),
      options_(std::move(options)),
      live_stats_(live_stats),
      sessions_(live_stats, policy, options_.session_idle_ms) {}

HlsServer::~HlsServer() { CloseAll(); }

void HlsServer::CloseAll() {
  sessions_.EndAll();
  for (auto& [id, w] : waiters_) {
    if (!w->done()) w->Abort();
  }
  waiters_.clear();
  for (auto& [k, e] : packagers_) {
    if (e.packager->ended()) continue;
    if (live::Stream* s = hub_->Find(e.key)) s->RemoveConsumer(e.packager.get());
  }
  packagers_.clear();
}

std::string HlsServer::NewSession() {
  // Random per process plus a counter: unique across restarts and across centrals, so caches
  // that keep segments as immutable never mix two publishes' segments up.
  static const uint32_t process_salt = std::random_device{}();
  static std::atomic<uint64_t> counter{0};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%08x%llx", process_salt, static_cast<unsigned long long>(counter.fetch_add(1) + 1));
  return buf;
}

void HlsServer::OnPublishStarted(live::Stream* stream) {
  const std::string k = stream->key().ToString();
  auto it = packagers_.find(k);
  // A publisher back within the grace: the packager stayed attached and marks a discontinuity.
  if (it != packagers_.end() && !it->second.packager->ended()) return;
  if (it != packagers_.end()) freed_segments_ += it->second.packager->segments_made();
  Entry e;
  e.key = stream->key();
  e.packager = std::make_unique<HlsPackager>(k, http::PercentEncode(stream->key().name) + "/", NewSession(),
                                             options_.packager);
  HlsPackager* p = e.packager.get();
  p->set_on_update([this, k] { OnPlaylistUpdate(k); });
  // An ended packager of the same stream is replaced; readers keep the segments they hold.
  packagers_[k] = std::move(e);
  LOG(INFO) << "hls " << k << ": packaging (session " << p->session() << ")";
  stream->AddConsumer(p);
}

void HlsServer::Tick(int64_t now_ms) {
  sessions_.Tick(now_ms);
  for (auto it = packagers_.begin(); it != packagers_.end();) {
    Entry& e = it->second;
    if (e.packager->ended() && e.ended_ms < 0) e.ended_ms = now_ms;
    if (e.ended_ms >= 0 && now_ms - e.ended_ms >= options_.linger_ms) {
      LOG(INFO) << "hls " << it->first << ": freed";
      freed_segments_ += e.packager->segments_made();
      it = packagers_.erase(it);
    } else {
      ++it;
    }
  }
}

void HlsServer::Handle(std::unique_ptr<net::HttpExchange> ex) {
  bool playlist = false;
  if (!net::IsHlsPath(ex->path(), &playlist)) {
    Count("other", "not_found");
    ReplyError(ex.get(), 404, "not found");
    return;
  }
  const std::string kind = playlist ? "playlist" : "segment";
  if (ex->method() != "GET" && ex->method() != "HEAD") {
    Count(kind, "bad_method");
    ReplyError(ex.get(), 405, "method not allowed");
    return;
  }
  const net::PlayRequest req = net::MakeHlsPlayRequest(*ex, playlist);
  net::Admission a = policy_->AdmitPlay(req);
  if (!a.ok()) {
    const bool not_found = a.status.code() == base::Status::Code::kNotFound;
    live_stats_->Reject("play", a.reason);
    Count(kind, not_found ? "not_found" : "denied");
    LOG(WARN) << "hls " << ex->peer() << " " << req.vhost << req.path << ": rejected (" << a.reason
              << "): " << a.status.message();
    ReplyError(ex.get(), not_found ? 404 : 403, a.reason + ": " + a.status.message());
    return;
  }
  if (playlist) {
    net::HlsViewer viewer = net::MakeHlsViewer(*ex, req.vhost, a.key);
    ServePlaylist(std::move(ex), viewer);
  } else {
    // The token-free path names the file (type B/C tokens prefix the path).
    net::HlsViewer viewer = net::MakeHlsViewer(*ex, req.vhost, a.key);
    ServeSegment(std::move(ex), a.path.substr(a.path.rfind('/') + 1), viewer);
  }
}

void HlsServer::CountOut(const net::HttpExchange& ex, const net::HlsViewer& viewer, uint64_t n, bool session) {
  if (ex.method() == "HEAD") return;
  stats_.bytes_out += n;
  live_stats_->CountHlsOut(viewer.domain, n);  // livecdn_bytes_sent_total{protocol="hls",domain}
  if (session) sessions_.Count(viewer, n, base::MonoMs());
}

void HlsServer::ReplyPlaylist(net::HttpExchange* ex, const HlsPlaylist& playlist, const net::HlsViewer& viewer) {
  const std::string& q = ex->query();
  const std::string body = q.empty() ? playlist.text : media::SpliceAtOffsets(playlist.text, playlist.uri_ends, "?" + q);
  Count("playlist", "ok");
  CountOut(*ex, viewer, body.size());
  ex->Reply(200, kPlaylistType, body, With(Cors(), {{"Cache-Control", "max-age=1"}}));
}

bool HlsServer::ServeMaster(std::unique_ptr<net::HttpExchange>& ex, const net::HlsViewer& viewer) {
  const live::StreamKey& key = viewer.key;
  constexpr std::string_view kAbr = "_abr";
  if (key.name.size() <= kAbr.size() || key.name.compare(key.name.size() - kAbr.size(), kAbr.size(), kAbr) != 0)
    return false;
  const std::string base = key.name.substr(0, key.name.size() - kAbr.size());
  std::vector<std::string> names = {base};
  if (renditions_) {
    for (auto& n : renditions_(live::StreamKey{key.vhost, key.app, base})) names.push_back(std::move(n));
  }
  const std::string q = ex->query().empty() ? "" : "?" + ex->query();
  std::vector<media::HlsVariant> variants;
  for (const auto& n : names) {
    auto it = packagers_.find(live::StreamKey{key.vhost, key.app, n}.ToString());
    if (it == packagers_.end() || it->second.packager->ended() || !it->second.packager->playlist()) continue;
    const HlsPackager::Variant v = it->second.packager->variant();
    if (v.peak_bps == 0) continue;
    media::HlsVariant hv;
    hv.bandwidth = v.peak_bps;
    hv.average_bandwidth = v.average_bps;
    hv.width = v.width;
    hv.height = v.height;
    hv.codecs = v.codecs;
    hv.uri = http::PercentEncode(n) + ".m3u8" + q;
    variants.push_back(std::move(hv));
  }
  if (variants.empty()) {
    Count("master", "not_found");
    ReplyError(ex.get(), 404, "no rendition of " + base + " is packaged yet");
    return true;
  }
  const std::string body = media::WriteMasterPlaylist(variants);
  Count("master", "ok");
  CountOut(*ex, viewer, body.size(), false);
  ex->Reply(200, kPlaylistType, body, With(Cors(), {{"Cache-Control", "max-age=1"}}));
  return true;
}

void HlsServer::ServePlaylist(std::unique_ptr<net::HttpExchange> ex, const net::HlsViewer& viewer) {
  const live::StreamKey& key = viewer.key;
  const std::string k = key.ToString();
  auto it = packagers_.find(k);
  if (it == packagers_.end() && ServeMaster(ex, viewer)) return;
  if (it != packagers_.end()) {
    const HlsPackager& p = *it->second.packager;
    if (auto pl = p.playlist()) {
      ReplyPlaylist(ex.get(), *pl, viewer);
      return;
    }
    if (p.ended() || p.unsupported()) {
      Count("playlist", "not_found");
      ReplyError(ex.get(), 404, p.unsupported() ? "stream not packaged for HLS (H.264/AAC only)" : "stream not found");
      return;
    }
  }
  // Not published yet, or no segment yet: wait for the first one.
  const uint64_t id = ++next_waiter_id_;
  waiters_.emplace(id, std::make_unique<Waiter>(this, id, std::move(ex), k, viewer));
}

void HlsServer::OnPlaylistUpdate(const std::string& key) {
  auto it = packagers_.find(key);
  if (it == packagers_.end()) return;
  auto pl = it->second.packager->playlist();
  if (!pl) return;
  for (auto w = waiters_.begin(); w != waiters_.end();) {
    if (w->second->key() == key && !w->second->done()) {
      w->second->Answer(*pl);
      w = waiters_.erase(w);
    } else {
      ++w;
    }
  }
}

void HlsServer::ServeSegment(std::unique_ptr<net::HttpExchange> ex, const std::string& file,
                             const net::HlsViewer& viewer) {
  const live::StreamKey& key = viewer.key;
  auto it = packagers_.find(key.ToString());
  base::SharedBytes data = it == packagers_.end() ? nullptr : it->second.packager->segment(file);
  if (!data) {
    Count("segment", "not_found");
    ReplyError(ex.get(), 404, "segment not found");
    return;
  }
  net::Headers h = With(Cors(), {{"Cache-Control", "max-age=3600, immutable"}, {"Accept-Ranges", "bytes"}});
  const uint64_t size = data->size();
  const http::ByteRange r = http::ParseRange(ex->header("Range"), size);
  if (r.kind == http::ByteRange::Kind::kUnsatisfiable) {
    Count("segment", "range_not_satisfiable");
    h.emplace_back("Content-Range", r.ContentRange(size));
    ex->Reply(416, "text/plain", "", h);
    return;
  }
  if (r.kind == http::ByteRange::Kind::kRange) {
    Count("segment", "partial");
    h.emplace_back("Content-Range", r.ContentRange(size));
    CountOut(*ex, viewer, r.length());
    ex->ReplyShared(206, kSegmentType, data, r.first, r.length(), h);
    return;
  }
  Count("segment", "ok");
  CountOut(*ex, viewer, size);
  ex->ReplyShared(200, kSegmentType, data, 0, size, h);
}

void HlsServer::AddMetrics(metrics::Exposition* e) const {
  for (const auto& [k, n] : stats_.requests)
    e->Counter("livecdn_hls_requests_total", "HLS playlist and segment requests, by kind and result",
               {{"kind", k.first}, {"result", k.second}}, double(n));
  size_t live = 0, bytes = 0;
  uint64_t segments = freed_segments_;
  for (const auto& [k, en] : packagers_) {
    live += !en.packager->ended();
    bytes += en.packager->bytes_held();
    segments += en.packager->segments_made();
  }
  e->Counter("livecdn_hls_segments_total", "HLS segments made", {}, double(segments));
  e->Gauge("livecdn_hls_streams", "Streams being packaged for HLS", {}, double(live));
  e->Gauge("livecdn_hls_memory_bytes", "Bytes of HLS segments held in memory", {}, double(bytes));
}

}  // namespace cdn::central
