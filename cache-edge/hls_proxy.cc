#include "cache-edge/hls_proxy.h"

#include "cache-edge/upstream.h"
#include "lib/base/clock.h"
#include "lib/base/log.h"
#include "lib/http/range.h"

namespace cdn::edge {

namespace {
const net::Headers kCors = {{"Access-Control-Allow-Origin", "*"},
                            {"Access-Control-Allow-Methods", "GET, HEAD, OPTIONS"},
                            {"Access-Control-Allow-Headers", "Range, Origin, Accept"},
                            {"Access-Control-Expose-Headers", "Content-Length, Content-Range"}};

int64_t MaxAgeMs(const std::string& cache_control, int64_t def) {
  size_t p = cache_control.find("max-age=");
  if (p == std::string::npos) return def;
  int64_t v = 0;
  for (size_t i = p + 8; i < cache_control.size() && isdigit(static_cast<unsigned char>(cache_control[i])); ++i)
    v = v * 10 + (cache_control[i] - '0');
  return v * 1000;
}
}  // namespace

HlsProxy::HlsProxy(net::EventLoop* loop, std::vector<config::HostPort> origins_http, ObjectCache* cache,
                   net::LiveStats* stats, int64_t timeout_ms, int64_t stale_ms)
    : loop_(loop),
      origins_(std::move(origins_http)),
      cache_(cache),
      stats_(stats),
      timeout_ms_(timeout_ms),
      stale_ms_(stale_ms),
      client_(loop, 64 << 20) {}

HlsProxy::~HlsProxy() = default;

std::string HlsProxy::RewritePlaylist(const std::string& body, const std::string& query) {
  // Runs per playlist request (each viewer's signed query differs): views, no per-line strings.
  std::string out;
  out.reserve(body.size() + 64 * (query.size() + 1));
  std::string_view rest(body);
  while (!rest.empty()) {
    const size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty() && line[0] != '#') {
      out.append(line.substr(0, line.find('?')));
      if (!query.empty()) {
        out += '?';
        out += query;
      }
    } else {
      out.append(line);
    }
    out += '\n';
  }
  return out;
}

void HlsProxy::Serve(std::unique_ptr<net::HttpExchange> ex, HlsRequest req) {
  Waiter w{std::move(ex), req.viewer_query, nullptr, req.domain, req.viewer};
  Start(std::move(w), std::move(req));
}

void HlsProxy::Lookup(HlsRequest req, Done done) {
  Waiter w{nullptr, req.viewer_query, std::move(done), req.domain, {}};
  Start(std::move(w), std::move(req));
}

void HlsProxy::Deliver(Waiter& w, const HlsResult& r, bool playlist) {
  if (w.done) {
    w.done(r);
  } else if (w.ex) {
    const size_t n = Respond(w.ex.get(), r, playlist, w.viewer_query);
    stats_->CountHlsOut(w.domain, n);
    if (sessions_ && n > 0 && !w.viewer.id.empty()) sessions_->Count(w.viewer, n, base::MonoMs());
  }
}

void HlsProxy::Start(Waiter w, HlsRequest req) {
  const int64_t now = base::MonoMs();
  std::string tier;
  ObjectPtr obj = cache_->Get(req.cache_key, now, &tier);
  if (obj && obj->Fresh(now)) {
    ++stats_->cache[{tier, "hit"}];
    stats_->cache_bytes[tier] += obj->body->size();
    Deliver(w, HlsResult{obj, tier, 200}, req.playlist);
    return;
  }
  auto it = inflight_.find(req.cache_key);
  if (it != inflight_.end()) {  // collapsed onto the request already on its way
    ++stats_->cache[{"memory", "collapsed"}];
    it->second.waiters.push_back(std::move(w));
    return;
  }
  ++stats_->cache[{"memory", "miss"}];
  const std::string key = req.cache_key;
  Fetch f;
  f.order = RendezvousOrder(origins_, req.order_key);
  f.waiters.push_back(std::move(w));
  f.req = std::move(req);
  inflight_.emplace(key, std::move(f));
  StartFetch(key);
}

void HlsProxy::StartFetch(const std::string& key) {
  Fetch& f = inflight_.at(key);
  config::HostPort origin = f.order[f.attempt % f.order.size()];
  if (lookup_) {
    auto ip = lookup_(origin.host);
    if (!ip) {
      net::HttpResponse r;
      r.error = "central " + origin.host + " not resolved yet";
      loop_->Defer([this, key, r] { OnFetched(key, r); });
      return;
    }
    origin.host = *ip;
  }
  ++upstream_requests_;
  // Named as an edge: central counts the fill as a relay, not an HLS viewer.
  client_.Get("http://" + origin.ToString() + f.req.upstream_path, {{"User-Agent", std::string(net::kEdgeClientId)}},
              timeout_ms_,
              [this, key](const net::HttpResponse& r) { OnFetched(key, r); });
}

void HlsProxy::OnFetched(const std::string& key, const net::HttpResponse& r) {
  auto it = inflight_.find(key);
  if (it == inflight_.end()) return;
  Fetch& f = it->second;
  const bool transport_error = !r.ok() || r.status >= 500;
  if (transport_error && f.attempt + 1 < f.order.size()) {
    ++stats_->upstream[{"hls", "fail"}];
    LOG(WARN) << "hls " << key << ": " << (r.ok() ? "HTTP " + std::to_string(r.status) : r.error) << " from "
              << f.order[f.attempt % f.order.size()].ToString() << ", trying the next central";
    ++f.attempt;
    StartFetch(key);
    return;
  }
  Fetch done = std::move(f);
  inflight_.erase(it);
  const int64_t now = base::MonoMs();
  if (r.ok() && r.status == 200) {
    ++stats_->upstream[{"hls", "ok"}];
    auto obj = std::make_shared<CachedObject>();
    obj->body = base::MakeShared(r.body);
    obj->content_type = r.header("Content-Type");
    if (obj->content_type.empty()) obj->content_type = done.req.playlist ? "application/vnd.apple.mpegurl" : "video/mp2t";
    obj->fetched_ms = now;
    const std::string cc = r.header("Cache-Control");
    obj->immutable = !done.req.playlist && cc.find("immutable") != std::string::npos;
    obj->max_age_ms = MaxAgeMs(cc, done.req.playlist ? 1000 : 60000);
    if (done.req.playlist) last_good_playlist_[key] = obj;
    cache_->Put(key, obj);
    stats_->cache_bytes["upstream"] += obj->body->size() * done.waiters.size();
    for (auto& w : done.waiters) Deliver(w, HlsResult{obj, "upstream", 200}, done.req.playlist);
    return;
  }
  ++stats_->upstream[{"hls", r.ok() && r.status == 404 ? "not_found" : "fail"}];
  // stale-if-error: a playlist refresh that fails serves the last good copy for a while.
  if (done.req.playlist && (!r.ok() || r.status >= 500)) {
    auto lg = last_good_playlist_.find(key);
    if (lg != last_good_playlist_.end() && now - lg->second->fetched_ms < stale_ms_) {
      ++stats_->cache[{"stale", "hit"}];
      stats_->cache_bytes["stale"] += lg->second->body->size() * done.waiters.size();
      for (auto& w : done.waiters) Deliver(w, HlsResult{lg->second, "stale", 200}, true);
      return;
    }
  }
  const int status = r.ok() ? (r.status == 404 ? 404 : 502) : 504;
  LOG(INFO) << "hls " << key << ": upstream " << (r.ok() ? "HTTP " + std::to_string(r.status) : r.error) << " -> " << status;
  for (auto& w : done.waiters) Deliver(w, HlsResult{nullptr, "", status}, done.req.playlist);
}

size_t HlsProxy::Respond(net::HttpExchange* ex, const HlsResult& r, bool playlist, const std::string& viewer_query) {
  if (!r.obj) {
    ex->Reply(r.status, "text/plain", r.status == 404 ? "not found\n" : "upstream unavailable\n", kCors);
    return 0;
  }
  const bool head = ex->method() == "HEAD";
  const CachedObject& obj = *r.obj;
  const std::string& tier = r.tier;
  net::Headers h = kCors;
  h.emplace_back("X-Cache", tier == "upstream" ? "MISS" : "HIT from " + tier);
  if (playlist) {
    h.emplace_back("Cache-Control", "max-age=1");
    const std::string body = RewritePlaylist(*obj.body, viewer_query);
    ex->Reply(200, obj.content_type, body, h);
    return head ? 0 : body.size();
  }
  h.emplace_back("Cache-Control", "max-age=3600, immutable");
  h.emplace_back("Accept-Ranges", "bytes");
  const std::string& body = *obj.body;
  http::ByteRange range = http::ParseRange(ex->header("Range"), body.size());
  if (range.kind == http::ByteRange::Kind::kUnsatisfiable) {
    h.emplace_back("Content-Range", range.ContentRange(body.size()));
    ex->Reply(416, "text/plain", "range not satisfiable\n", h);
    return 0;
  }
  if (range.kind == http::ByteRange::Kind::kRange) {
    h.emplace_back("Content-Range", range.ContentRange(body.size()));
    ex->ReplyShared(206, obj.content_type, obj.body, range.first, range.length(), h);
    return head ? 0 : range.length();
  }
  ex->ReplyShared(200, obj.content_type, obj.body, 0, body.size(), h);
  return head ? 0 : body.size();
}

}  // namespace cdn::edge
