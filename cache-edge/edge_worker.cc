#include "cache-edge/edge_worker.h"

#include <pthread.h>

#include "cache-edge/worker_host.h"
#include "lib/base/clock.h"
#include "lib/base/log.h"
#include "lib/net/hls_request.h"

namespace cdn::edge {

namespace {
// A bridge whose local stream has had no viewer this long is detached (the main hub's upstream
// pull then idles out on its own `play.idle_timeout`).
constexpr int64_t kBridgeLingerMs = 1000;
// The main hub decides when a stream ends (its grace); the mirror waits a little longer so
// that decision (BridgeEnd) arrives first.
constexpr int64_t kMirrorExtraGraceMs = 2000;

live::HubOptions WorkerHubOptions(const EdgeConfig& c) {
  live::HubOptions h;
  h.stream.gop_cache = c.gop_cache;
  h.stream.reconnect_grace_ms = c.reconnect_grace_ms + kMirrorExtraGraceMs;
  h.takeover_idle_ms = c.takeover_idle_ms;
  return h;
}

template <typename M>
void AddMap(M* into, const M& from) {
  for (const auto& [k, v] : from) (*into)[k] += v;
}
}  // namespace

// The domain rules of the node (a copy of the main loop's table, updated by SetDomains); a
// viewer waiting here asks for a bridge, a publisher here is fed into the main hub.
class WorkerPolicy : public net::DomainPolicy {
 public:
  WorkerPolicy(auth::DomainTable table, EdgeWorker* worker) : DomainPolicy(std::move(table)), worker_(worker) {}
  void OnViewerWaiting(live::Stream* stream) override { worker_->EnsureBridge(stream->key()); }
  void OnPublishStarted(live::Stream* stream) override { worker_->StartPublishTap(stream); }
  void OnSessionEnded(const net::Session& session) override {
    net::Session copy = session;
    copy.domain_total = nullptr;  // points into this worker's stats
    WorkerHost* host = worker_->host_;
    worker_->ToHost([host, copy] { host->SessionEnded(copy); });
  }

 private:
  EdgeWorker* worker_;
};

// Feeds a publisher of this worker into the main hub: a non-viewer consumer of the local stream.
class PublishTap : public live::Consumer {
 public:
  PublishTap(EdgeWorker* worker, live::Stream* stream)
      : worker_(worker), stream_(stream), key_(stream->key()), local_id_(stream->publisher()) {}
  uint64_t local_id() const { return local_id_; }
  const live::StreamKey& key() const { return key_; }
  live::Stream* stream() const { return stream_; }

  void OnPacket(const live::PacketPtr& p) override {
    if (done_) return;
    WorkerHost* host = worker_->host_;
    worker_->ToHost([host, w = worker_->index_, id = local_id_, p] { host->PublishPacket(w, id, p); });
  }
  void OnPublisherGone() override { worker_->EndPublishTap(this); }
  void OnStreamEnd() override {
    stream_ = nullptr;
    worker_->EndPublishTap(this);
  }
  bool is_viewer() const override { return false; }

  // Tells the main hub the publisher left and detaches from the local stream (once).
  void Finish() {
    if (done_) return;
    done_ = true;
    WorkerHost* host = worker_->host_;
    worker_->ToHost([host, w = worker_->index_, id = local_id_] { host->Unpublish(w, id); });
    if (stream_) {
      live::Stream* s = stream_;
      stream_ = nullptr;
      worker_->hub_.RemoveConsumer(s, this);
    }
  }

 private:
  EdgeWorker* worker_;
  live::Stream* stream_;
  live::StreamKey key_;
  uint64_t local_id_;
  bool done_ = false;
};

net::LiveServerOptions LoopServerOptions(const EdgeConfig& c, std::shared_ptr<net::ConnectionBudget> budget) {
  net::LiveServerOptions o = c.live;
  o.budget = std::move(budget);
  return o;
}

std::optional<HlsRequest> AdmitHls(net::DomainPolicy* policy, net::LiveStats* stats, net::HttpExchange* ex) {
  bool playlist = false;
  if (!net::IsHlsPath(ex->path(), &playlist)) {
    ex->Reply(404, "text/plain", "not found\n", {{"Access-Control-Allow-Origin", "*"}});
    return std::nullopt;
  }
  if (ex->method() != "GET" && ex->method() != "HEAD") {
    ex->Reply(405, "text/plain", "method not allowed\n");
    return std::nullopt;
  }
  const net::PlayRequest play = net::MakeHlsPlayRequest(*ex, playlist);
  net::Admission a = policy->AdmitPlay(play);
  if (!a.ok()) {
    const bool not_found = a.status.code() == base::Status::Code::kNotFound;
    stats->Reject("play", a.reason);
    LOG(WARN) << "hls " << ex->peer() << " " << ex->path() << ": rejected (" << a.reason << "): " << a.status.message();
    ex->Reply(not_found ? 404 : 403, "text/plain", a.reason + ": " + a.status.message() + "\n",
              {{"Access-Control-Allow-Origin", "*"}});
    return std::nullopt;
  }
  HlsRequest r;
  r.playlist = playlist;
  r.cache_key = a.key.vhost + a.path;  // token-free path: one object for every viewer
  const std::string playlist_uri = "/" + a.key.app + "/" + a.key.name + ".m3u8";
  std::string up = policy->UpstreamAuthQuery(a.key, playlist_uri);
  r.upstream_path = a.path + "?vhost=" + a.key.vhost + (up.empty() ? "" : "&" + up);
  r.viewer_query = ex->query();
  r.order_key = a.key.ToString();
  r.domain = play.vhost;
  if (ex->method() != "HEAD") r.viewer = net::MakeHlsViewer(*ex, play.vhost, a.key);
  return r;
}

void AddStats(net::LiveStats* into, const net::LiveStats& from) {
  into->rtmp_connections += from.rtmp_connections;
  into->flv_connections += from.flv_connections;
  into->publishers += from.publishers;
  into->players += from.players;
  into->rtmp_bytes_in += from.rtmp_bytes_in;
  into->rtmp_bytes_out += from.rtmp_bytes_out;
  into->flv_bytes_out += from.flv_bytes_out;
  into->hls_bytes_out += from.hls_bytes_out;
  AddMap(&into->rejections, from.rejections);
  AddMap(&into->closes, from.closes);
  AddMap(&into->upstream, from.upstream);
  AddMap(&into->cache, from.cache);
  AddMap(&into->cache_bytes, from.cache_bytes);
  AddMap(&into->accepted, from.accepted);
  into->slow_viewer_skips += from.slow_viewer_skips;
  into->slow_viewer_kicks += from.slow_viewer_kicks;
  into->slow_viewer_dropped += from.slow_viewer_dropped;
  for (const auto& [proto, h] : from.first_frame_ms) AddMap(&into->first_frame_ms[proto], h);
  AddMap(&into->first_frame_sum_s, from.first_frame_sum_s);
  AddMap(&into->first_frame_count, from.first_frame_count);
  AddMap(&into->domain_bytes_out, from.domain_bytes_out);
  AddMap(&into->domain_bytes_in, from.domain_bytes_in);
}

EdgeWorker::EdgeWorker(int index, const EdgeConfig& config, net::EventLoop* main_loop, WorkerHost* host,
                       std::shared_ptr<bool> host_alive, std::shared_ptr<net::ConnectionBudget> budget)
    : index_(index),
      config_(config),
      main_loop_(main_loop),
      host_(host),
      host_alive_(std::move(host_alive)),
      budget_(std::move(budget)),
      hub_(WorkerHubOptions(config)),
      policy_(std::make_unique<WorkerPolicy>(auth::DomainTable(config.domains), this)),
      tick_(&loop_, [this] { OnTick(); }) {}

EdgeWorker::~EdgeWorker() {
  if (thread_.joinable()) thread_.join();
  // The thread is gone (its loop no longer runs, queued calls are dropped with it): what is
  // left is freed here, servers before the hub they consume.
  flv_.reset();
  rtmp_.reset();
  taps_.clear();
}

base::Status EdgeWorker::Start(uint16_t rtmp_port, uint16_t http_port) {
  const net::LiveServerOptions opts = LoopServerOptions(config_, budget_);
  rtmp_ = std::make_unique<net::RtmpServer>(&loop_, &hub_, policy_.get(), opts, &stats_);
  CDN_RETURN_IF_ERROR(rtmp_->Listen(config::HostPort{config_.rtmp_listen.host, rtmp_port}, true)
                          .WithContext("worker " + std::to_string(index_) + " rtmp.listen"));
  flv_ = std::make_unique<net::FlvServer>(&loop_, &hub_, policy_.get(), opts, &stats_);
  flv_->set_fallback([this](std::unique_ptr<net::HttpExchange> ex) { OnHls(std::move(ex)); });
  CDN_RETURN_IF_ERROR(flv_->Listen(config::HostPort{config_.http_listen.host, http_port}, true)
                          .WithContext("worker " + std::to_string(index_) + " http.listen"));
  tick_.Start(250, true);
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), ("edge-worker-" + std::to_string(index_)).c_str());
    loop_.Run();
    LOG(DEBUG) << "worker " << index_ << " stopped";
  });
  return base::Status::Ok();
}

void EdgeWorker::StopAndJoin() {
  if (!thread_.joinable()) return;
  Post([this] {
    tick_.Cancel();
    // The servers themselves stay until the thread is joined: their deferred removals may
    // still be queued on this loop.
    if (flv_) flv_->CloseAll();
    if (rtmp_) rtmp_->CloseAll();
    for (auto& [tap, owned] : taps_) tap->Finish();
    hls_.clear();
    // Let ended FLV responses and RTMP closes flush, then leave the loop.
    stop_timer_ = std::make_unique<net::Timer>(&loop_, [this] { loop_.Stop(); });
    stop_timer_->Start(200);
  });
  thread_.join();
}

void EdgeWorker::ToHost(std::function<void()> fn) {
  main_loop_->RunInLoop([alive = host_alive_, fn = std::move(fn)] {
    if (*alive) fn();
  });
}

void EdgeWorker::EnsureBridge(const live::StreamKey& key) {
  const std::string k = key.ToString();
  if (bridge_of_.count(k)) return;
  const uint64_t id = ++next_bridge_;
  bridges_[id] = Bridge{key, hub_.NextPublisherId(), -1};
  bridge_of_[k] = id;
  WorkerHost* host = host_;
  ToHost([host, w = index_, id, key] { host->Attach(w, id, key); });
}

void EdgeWorker::BridgeStart(uint64_t id) {
  auto it = bridges_.find(id);
  if (it == bridges_.end()) return;
  const Bridge& b = it->second;
  live::Stream* s = hub_.FindOrCreate(b.key);
  if (s->has_publisher()) return;  // already ours, or a publisher of this worker feeds it
  auto st = hub_.Publish(b.key, b.publisher_id, base::MonoMs());
  if (!st.ok()) LOG(WARN) << "worker " << index_ << " bridge " << b.key.ToString() << ": " << st.status().message();
}

void EdgeWorker::BridgePacket(uint64_t id, const live::PacketPtr& p) {
  auto it = bridges_.find(id);
  if (it == bridges_.end()) return;
  live::Stream* s = hub_.Find(it->second.key);
  if (s && s->publisher() == it->second.publisher_id) s->Relay(p, base::MonoMs());
}

void EdgeWorker::BridgeGone(uint64_t id) {
  auto it = bridges_.find(id);
  if (it == bridges_.end()) return;
  live::Stream* s = hub_.Find(it->second.key);
  if (s && s->publisher() == it->second.publisher_id) hub_.Unpublish(s, it->second.publisher_id, base::MonoMs());
}

void EdgeWorker::BridgeEnd(uint64_t id) {
  auto it = bridges_.find(id);
  if (it == bridges_.end()) return;
  Bridge b = it->second;
  bridges_.erase(it);
  bridge_of_.erase(b.key.ToString());
  WorkerHost* host = host_;
  ToHost([host, w = index_, id] { host->Detach(w, id); });  // frees the main side
  live::Stream* s = hub_.Find(b.key);
  if (s && (s->publisher() == b.publisher_id || !s->has_publisher())) {
    LOG(INFO) << "worker " << index_ << ": stream " << b.key.ToString() << " ended for " << s->viewer_count()
              << " viewer(s)";
    hub_.EndStream(b.key, base::MonoMs());
  }
}

void EdgeWorker::KickPublisher(uint64_t local_id, bool end_stream) {
  for (auto& [raw, tap] : taps_) {
    if (tap->local_id() == local_id) {
      // An operator's kick ends the stream for this worker's viewers too (as on a single loop).
      if (end_stream && tap->stream()) hub_.EndStream(tap->stream()->key(), base::MonoMs());
      break;
    }
  }
  if (rtmp_) rtmp_->KickPublisher(local_id);
}

void EdgeWorker::StartPublishTap(live::Stream* stream) {
  auto tap = std::make_unique<PublishTap>(this, stream);
  PublishTap* raw = tap.get();
  taps_[raw] = std::move(tap);
  WorkerHost* host = host_;
  ToHost([host, w = index_, id = raw->local_id(), key = stream->key()] { host->Publish(w, id, key); });
  stream->AddConsumer(raw);
}

void EdgeWorker::EndPublishTap(PublishTap* tap) {
  tap->Finish();
  // Never freed inside its own callback. The publisher may come back on any loop: viewers
  // still here follow the main hub's stream from now on (through a bridge).
  loop_.Defer([this, tap, key = tap->key()] {
    taps_.erase(tap);
    live::Stream* s = hub_.Find(key);
    if (s && !s->has_publisher() && s->viewer_count() > 0) EnsureBridge(key);
  });
}

void EdgeWorker::OnHls(std::unique_ptr<net::HttpExchange> ex) {
  auto req = AdmitHls(policy_.get(), &stats_, ex.get());
  if (!req) return;
  const uint64_t id = ++next_hls_;
  hls_[id] = HlsWait{std::move(ex), req->playlist, req->viewer_query, req->domain, req->viewer};
  WorkerHost* host = host_;
  ToHost([host, w = index_, id, r = std::move(*req)]() mutable { host->Hls(w, id, std::move(r)); });
}

void EdgeWorker::HlsDone(uint64_t request_id, const HlsResult& r) {
  auto it = hls_.find(request_id);
  if (it == hls_.end()) return;
  HlsWait wait = std::move(it->second);
  hls_.erase(it);
  const size_t n = HlsProxy::Respond(wait.ex.get(), r, wait.playlist, wait.viewer_query);
  stats_.CountHlsOut(wait.domain, n);
  if (n > 0 && !wait.viewer.id.empty()) {  // the main loop keeps the node's HLS sessions
    WorkerHost* host = host_;
    ToHost([host, v = std::move(wait.viewer), n] { host->HlsSent(v, n); });
  }
}

void EdgeWorker::SetDomains(std::vector<auth::Domain> domains) { policy_->SetTable(auth::DomainTable(std::move(domains))); }

void EdgeWorker::OnTick() {
  const int64_t now = base::MonoMs();
  hub_.Tick(now);
  std::vector<uint64_t> idle;
  for (auto& [id, b] : bridges_) {
    live::Stream* s = hub_.Find(b.key);
    const bool shadowed = s && s->has_publisher() && s->publisher() != b.publisher_id;
    if (s && s->viewer_count() > 0 && !shadowed) {
      b.idle_since_ms = -1;
    } else if (b.idle_since_ms < 0) {
      b.idle_since_ms = now;
    } else if (now - b.idle_since_ms >= kBridgeLingerMs) {
      idle.push_back(id);
    }
  }
  for (uint64_t id : idle) {
    Bridge b = bridges_.at(id);
    bridges_.erase(id);
    bridge_of_.erase(b.key.ToString());
    live::Stream* s = hub_.Find(b.key);
    if (s && s->publisher() == b.publisher_id) hub_.Unpublish(s, b.publisher_id, now);
    WorkerHost* host = host_;
    ToHost([host, w = index_, id] { host->Detach(w, id); });
  }
  // Counters for the node's /healthz and /metrics (the main loop sums the workers').
  std::map<std::string, size_t> viewers;
  hub_.ForEach([&](const live::Stream& s) {
    if (const size_t n = s.viewer_count()) viewers[s.key().ToString()] = n;
  });
  WorkerHost* host = host_;
  ToHost([host, w = index_, stats = stats_, viewers = std::move(viewers)]() mutable {
    host->Report(w, std::move(stats), std::move(viewers));
  });
}

}  // namespace cdn::edge
