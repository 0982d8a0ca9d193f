#include "cache-edge/edge.h"

#include <filesystem>

#include "lib/auth/domain_json.h"
#include "lib/base/clock.h"
#include "lib/base/json.h"
#include "lib/base/log.h"
#include "lib/metrics/exposition.h"
#include "lib/net/hls_request.h"

namespace cdn::edge {

// The domain rules of every node, plus the edge's upstream: a viewer waiting for a stream with
// no local publisher starts (or joins) one pull; a local publisher starts a relay.
class EdgePolicy : public net::DomainPolicy {
 public:
  EdgePolicy(auth::DomainTable table, Upstreams* upstreams) : DomainPolicy(std::move(table)), upstreams_(upstreams) {}
  void OnViewerWaiting(live::Stream* stream) override {
    if (!stream->has_publisher()) upstreams_->EnsurePull(stream->key());
  }
  void OnPublishStarted(live::Stream* stream) override { upstreams_->EnsureRelay(stream); }

 private:
  Upstreams* upstreams_;
};

namespace {
live::HubOptions HubOpts(const EdgeConfig& c) {
  live::HubOptions h;
  h.stream.gop_cache = c.gop_cache;
  h.stream.reconnect_grace_ms = c.reconnect_grace_ms;
  h.takeover_idle_ms = c.takeover_idle_ms;
  return h;
}
UpstreamOptions UpOpts(const EdgeConfig& c) {
  UpstreamOptions u;
  u.origins = c.origins;
  u.timeout_ms = c.upstream_timeout_ms;
  u.idle_timeout_ms = c.play_idle_timeout_ms;
  return u;
}
}  // namespace

Edge::Edge(net::EventLoop* loop, EdgeConfig config)
    : loop_(loop),
      config_(std::move(config)),
      hub_(HubOpts(config_)),
      upstreams_(std::make_unique<Upstreams>(loop, &hub_, &stats_, UpOpts(config_))),
      policy_(std::make_unique<EdgePolicy>(auth::DomainTable(config_.domains), upstreams_.get())),
      tick_(loop, [this] { OnTick(); }) {}

Edge::~Edge() { Shutdown(); }

base::Status Edge::Start() {
  // Hostnames in central.* are resolved with c-ares on the loop and re-resolved on their TTL.
  resolver_ = std::make_unique<net::Resolver>(loop_);
  hosts_ = std::make_unique<net::HostCache>(loop_, resolver_.get());
  for (const auto& o : config_.origins) hosts_->Track(o.host);
  for (const auto& o : config_.origins_http) hosts_->Track(o.host);
  auto lookup = [this](const std::string& host) { return hosts_->Lookup(host); };
  upstreams_->set_lookup(lookup);
  upstreams_->set_sign([this](const live::StreamKey& key, const std::string& uri) {
    return policy_->UpstreamAuthQuery(key, uri);
  });
  rtmp_ = std::make_unique<net::RtmpServer>(loop_, &hub_, policy_.get(), config_.live, &stats_);
  CDN_RETURN_IF_ERROR(rtmp_->Listen(config_.rtmp_listen).WithContext("rtmp.listen"));
  // HLS cache: RocksDB disk tier under data_dir, memory LRU above it.
  auto disk = store::KvStore::Open(config_.data_dir + "/cache");
  if (!disk.ok()) return disk.status().WithContext("data_dir");
  disk_ = std::move(*disk);
  cache_ = std::make_unique<ObjectCache>(config_.cache_memory, config_.cache_disk, disk_.get());
  CDN_RETURN_IF_ERROR(cache_->LoadDiskIndex());
  std::vector<config::HostPort> http_origins = config_.origins_http;
  if (http_origins.empty()) {
    // Default: the same hosts as the RTMP origins, on central's default HTTP port.
    for (const auto& o : config_.origins) http_origins.push_back(config::HostPort{o.host, 8090});
  }
  hls_ = std::make_unique<HlsProxy>(loop_, http_origins, cache_.get(), &stats_, config_.upstream_timeout_ms, 10000);
  hls_->set_lookup(lookup);
  flv_ = std::make_unique<net::FlvServer>(loop_, &hub_, policy_.get(), config_.live, &stats_);
  flv_->set_fallback([this](std::unique_ptr<net::HttpExchange> ex) { OnHls(std::move(ex)); });
  CDN_RETURN_IF_ERROR(flv_->Listen(config_.http_listen).WithContext("http.listen"));
  auto admin = net::HttpServer::Listen(loop_, config_.admin_listen,
                                       [this](std::unique_ptr<net::HttpExchange> ex) { OnAdmin(std::move(ex)); });
  if (!admin.ok()) return admin.status().WithContext("admin.listen");
  admin_ = std::move(*admin);
  tick_.Start(250, true);
  if (!config_.central_api.empty() || !config_.data_dir.empty()) {
    std::string cache;
    if (!config_.data_dir.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(config_.data_dir, ec);
      cache = config_.data_dir + "/domains.json";
    }
    sync_ = std::make_unique<net::DomainSync>(loop_, config_.central_api, config_.central_token, config_.domains_poll_ms,
                                              cache, [this](const std::string& body) { return ApplyTable(body); });
    sync_->Start();
  }
  LOG(INFO) << "edge " << config_.node_id << " (" << config_.region << ") up: rtmp " << config_.rtmp_listen.host << ":"
            << rtmp_->port() << ", http " << config_.http_listen.host << ":" << flv_->port() << ", admin "
            << config_.admin_listen.host << ":" << admin_->port() << ", " << config_.origins.size() << " central(s)";
  return base::Status::Ok();
}

base::Status Edge::ApplyTable(const std::string& body) {
  auto synced = auth::DomainsFromJson(body);
  if (!synced.ok()) return synced.status();
  // Static domains from cache-edge.yaml win over synced ones with the same name.
  std::vector<auth::Domain> merged = config_.domains;
  for (auto& d : *synced) {
    bool shadowed = false;
    for (const auto& s : config_.domains) shadowed = shadowed || s.name == d.name;
    if (!shadowed) merged.push_back(std::move(d));
  }
  auth::DomainTable table(std::move(merged));
  CDN_RETURN_IF_ERROR(table.Validate());
  policy_->SetTable(std::move(table));
  // Kicks travel with the table: apply each once.
  auto json = base::JsonValue::Parse(body);
  if (json.ok() && (*json)["kicks"].is_array()) {
    for (const auto& k : (*json)["kicks"].items()) {
      const uint64_t id = static_cast<uint64_t>(k["id"].number());
      if (!k["vhost"].is_string() || !k["app"].is_string() || !k["stream"].is_string() || kicks_done_.count(id)) continue;
      kicks_done_.insert(id);
      live::StreamKey key{k["vhost"].str(), k["app"].str(), k["stream"].str()};
      const uint64_t publisher = hub_.EndStream(key, base::MonoMs());
      if (publisher) rtmp_->KickPublisher(publisher);
      LOG(INFO) << "kick " << key.ToString() << " (id " << id << ")" << (publisher ? ": publisher closed" : "");
    }
  }
  return base::Status::Ok();
}

void Edge::OnHls(std::unique_ptr<net::HttpExchange> ex) {
  bool playlist = false;
  if (!net::IsHlsPath(ex->path(), &playlist)) {
    ex->Reply(404, "text/plain", "not found\n", {{"Access-Control-Allow-Origin", "*"}});
    return;
  }
  if (ex->method() != "GET" && ex->method() != "HEAD") {
    ex->Reply(405, "text/plain", "method not allowed\n");
    return;
  }
  net::Admission a = policy_->AdmitPlay(net::MakeHlsPlayRequest(*ex, playlist));
  if (!a.ok()) {
    const bool not_found = a.status.code() == base::Status::Code::kNotFound;
    stats_.Reject(a.reason);
    LOG(WARN) << "hls " << ex->peer() << " " << ex->path() << ": rejected (" << a.reason << "): " << a.status.message();
    ex->Reply(not_found ? 404 : 403, "text/plain", a.reason + ": " + a.status.message() + "\n",
              {{"Access-Control-Allow-Origin", "*"}});
    return;
  }
  HlsRequest r;
  r.playlist = playlist;
  r.cache_key = a.key.vhost + a.path;  // token-free path: one object for every viewer
  const std::string playlist_uri = "/" + a.key.app + "/" + a.key.name + ".m3u8";
  std::string up = policy_->UpstreamAuthQuery(a.key, playlist_uri);
  r.upstream_path = a.path + "?vhost=" + a.key.vhost + (up.empty() ? "" : "&" + up);
  r.viewer_query = ex->query();
  r.order_key = a.key.ToString();
  hls_->Serve(std::move(ex), std::move(r));
}

void Edge::OnTick() {
  const int64_t now = base::MonoMs();
  hub_.Tick(now);
  upstreams_->Tick(now);
  if (hosts_) hosts_->Tick(now);
  egress_.Sample(stats_.rtmp_bytes_out + stats_.flv_bytes_out, now);
  if (draining_) {
    const int64_t clients = stats_.rtmp_connections + stats_.flv_connections;
    if (clients == 0 || now >= drain_deadline_ms_) {
      LOG(INFO) << "drain finished with " << clients << " client(s) left";
      draining_ = false;
      auto done = std::move(drain_done_);
      if (done) done();
    }
  }
}

void Edge::Drain(std::function<void()> done) {
  if (draining_) return;
  draining_ = true;
  drain_deadline_ms_ = base::MonoMs() + config_.drain_timeout_ms;
  drain_done_ = std::move(done);
  LOG(INFO) << "draining: up to " << config_.drain_timeout_ms << " ms for " << (stats_.rtmp_connections + stats_.flv_connections)
            << " client(s)";
}

void Edge::Shutdown() {
  tick_.Cancel();
  resolver_.reset();  // before the host cache its callbacks write to
  if (flv_) flv_->CloseAll();
  if (rtmp_) rtmp_->CloseAll();
  if (upstreams_) upstreams_->StopAll();
  admin_.reset();
}

void Edge::OnAdmin(std::unique_ptr<net::HttpExchange> ex) {
  const std::string& p = ex->path();
  if (p == "/healthz") {
    net::NodeInfo node{config_.node_id, draining_, config_.capacity_bps, egress_.bits_per_second()};
    ex->Reply(draining_ ? 503 : 200, "application/json", net::HealthJson(node, stats_, hub_), {{"Cache-Control", "no-cache"}});
  } else if (p == "/metrics") {
    metrics::Exposition e;
    net::AddLiveMetrics(stats_, hub_, &e);
    e.Gauge("livecdn_upstream_pulls", "Streams pulled from central", {}, double(upstreams_->pulls()));
    e.Gauge("livecdn_upstream_relays", "Streams relayed to central", {}, double(upstreams_->relays()));
    ex->Reply(200, "text/plain; version=0.0.4", e.Render());
  } else if (p == "/api/v1/streams") {
    ex->Reply(200, "application/json", net::StreamsJson(hub_));
  } else {
    ex->Reply(404, "text/plain", "not found\n");
  }
}

}  // namespace cdn::edge
