#include "cache-edge/edge.h"

#include <filesystem>
#include <tuple>

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
    // A stream relayed from here waits for its own publisher (grace): pulling it back from
    // central would feed the relay's packets back into the stream they came from.
    if (!stream->has_publisher() && !upstreams_->relaying(stream->key())) upstreams_->EnsurePull(stream->key());
  }
  void OnPublishStarted(live::Stream* stream) override {
    upstreams_->EnsureRelay(stream);
    if (webhooks) webhooks->EmitPublish(stream->key());
  }
  // The main loop's sessions and the workers' (posted here by WorkerHost::SessionEnded).
  void OnSessionEnded(const net::Session& session) override {
    if (webhooks) webhooks->EmitSessionEnded(session);
  }
  net::Webhooks* webhooks = nullptr;  // the edge's, when hooks are configured

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
  webhooks_ = std::make_unique<net::Webhooks>(loop_, config_.hooks, config_.node_id);
  if (webhooks_->enabled()) policy_->webhooks = webhooks_.get();
  for (const auto& o : config_.origins) hosts_->Track(o.host);
  for (const auto& o : config_.origins_http) hosts_->Track(o.host);
  auto lookup = [this](const std::string& host) { return hosts_->Lookup(host); };
  upstreams_->set_lookup(lookup);
  upstreams_->set_sign([this](const live::StreamKey& key, const std::string& uri) {
    return policy_->UpstreamAuthQuery(key, uri);
  });
  const bool shared_ports = config_.workers > 1;  // SO_REUSEPORT with the worker threads
  budget_ = std::make_shared<net::ConnectionBudget>(config_.live.max_connections);
  rtmp_ = std::make_unique<net::RtmpServer>(loop_, &hub_, policy_.get(), LoopServerOptions(config_, budget_), &stats_);
  CDN_RETURN_IF_ERROR(rtmp_->Listen(config_.rtmp_listen, shared_ports).WithContext("rtmp.listen"));
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
  hls_sessions_ = std::make_unique<net::HlsSessions>(&stats_, policy_.get(), config_.play_hls_session_ms);
  hls_->set_sessions(hls_sessions_.get());
  flv_ = std::make_unique<net::FlvServer>(loop_, &hub_, policy_.get(), LoopServerOptions(config_, budget_), &stats_);
  flv_->set_fallback([this](std::unique_ptr<net::HttpExchange> ex) { OnHls(std::move(ex)); });
  CDN_RETURN_IF_ERROR(flv_->Listen(config_.http_listen, shared_ports).WithContext("http.listen"));
  CDN_RETURN_IF_ERROR(StartWorkers());
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
            << config_.admin_listen.host << ":" << admin_->port() << ", " << config_.origins.size() << " central(s), "
            << config_.workers << " worker(s)";
  return base::Status::Ok();
}

base::Status Edge::StartWorkers() {
  if (config_.workers <= 1) return base::Status::Ok();
  worker_host_ = std::make_unique<WorkerHost>(&hub_, policy_.get(), hls_.get(),
                                              [this](uint64_t id) { rtmp_->KickPublisher(id); });
  std::vector<EdgeWorker*> slots(static_cast<size_t>(config_.workers), nullptr);
  for (int k = 1; k < config_.workers; ++k) {
    workers_.push_back(std::make_unique<EdgeWorker>(k, config_, loop_, worker_host_.get(), worker_host_->alive(), budget_));
    slots[k] = workers_.back().get();
  }
  worker_host_->SetWorkers(slots);
  for (auto& w : workers_) CDN_RETURN_IF_ERROR(w->Start(rtmp_->port(), flv_->port()));
  return base::Status::Ok();
}

void Edge::StopWorkers() {
  if (worker_host_) worker_host_->Stop();  // no more posts to the workers
  for (auto& w : workers_) w->StopAndJoin();
  workers_.clear();
}

net::ViewerCount Edge::StreamViewers() const {
  if (!worker_host_) return nullptr;
  const WorkerHost* host = worker_host_.get();
  return [host](const live::Stream& s) { return s.viewer_count() + host->worker_viewers(s.key()); };
}

net::LiveStats Edge::TotalStats() const {
  net::LiveStats total = stats_;
  if (worker_host_) {
    for (const auto& w : worker_host_->worker_stats()) AddStats(&total, w);
  }
  return total;
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
  for (auto& w : workers_) {  // each worker checks clients against its own copy
    EdgeWorker* worker = w.get();
    worker->Post([worker, domains = table.domains()] { worker->SetDomains(domains); });
  }
  policy_->SetTable(std::move(table));
  // Kicks travel with the table: apply each once.
  auto json = base::JsonValue::Parse(body);
  if (json.ok() && (*json)["kicks"].is_array()) {
    for (const auto& k : (*json)["kicks"].items()) {
      const uint64_t id = k["id"].uint_or(0);
      if (!k["vhost"].is_string() || !k["app"].is_string() || !k["stream"].is_string() || kicks_done_.count(id)) continue;
      kicks_done_.insert(id);
      live::StreamKey key{k["vhost"].str(), k["app"].str(), k["stream"].str()};
      const uint64_t publisher = hub_.EndStream(key, base::MonoMs());
      if (publisher && worker_host_) worker_host_->KickPublisher(publisher, true);
      else if (publisher) rtmp_->KickPublisher(publisher);
      LOG(INFO) << "kick " << key.ToString() << " (id " << id << ")" << (publisher ? ": publisher closed" : "");
    }
  }
  return base::Status::Ok();
}

void Edge::OnHls(std::unique_ptr<net::HttpExchange> ex) {
  auto r = AdmitHls(policy_.get(), &stats_, ex.get());
  if (r) hls_->Serve(std::move(ex), std::move(*r));
}

void Edge::OnTick() {
  const int64_t now = base::MonoMs();
  hub_.Tick(now);
  upstreams_->Tick(now);
  if (hosts_) hosts_->Tick(now);
  if (hls_sessions_) hls_sessions_->Tick(now);
  const net::LiveStats total = TotalStats();
  egress_.Sample(total.rtmp_bytes_out + total.flv_bytes_out + total.hls_bytes_out, now);
  if (draining_) {
    const int64_t clients = total.rtmp_connections + total.flv_connections;
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
  const net::LiveStats total = TotalStats();
  LOG(INFO) << "draining: up to " << config_.drain_timeout_ms << " ms for "
            << (total.rtmp_connections + total.flv_connections) << " client(s)";
}

void Edge::Shutdown() {
  tick_.Cancel();
  StopWorkers();
  resolver_.reset();  // before the host cache its callbacks write to
  if (flv_) flv_->CloseAll();
  if (rtmp_) rtmp_->CloseAll();
  if (upstreams_) upstreams_->StopAll();
  if (hls_sessions_) hls_sessions_->EndAll();  // their play_stop events (webhooks drain after)
  admin_.reset();
}

void Edge::DrainWebhooks(std::function<void()> done) {
  if (!webhooks_) {
    done();
    return;
  }
  webhooks_->Drain(std::move(done));
}

void Edge::OnAdmin(std::unique_ptr<net::HttpExchange> ex) {
  const std::string& p = ex->path();
  if (p == "/healthz") {
    net::NodeInfo node{config_.node_id, draining_, config_.capacity_bps, egress_.bits_per_second()};
    ex->Reply(draining_ ? 503 : 200, "application/json", net::HealthJson(node, TotalStats(), hub_),
              {{"Cache-Control", "no-cache"}});
  } else if (p == "/metrics") {
    metrics::Exposition e;
    net::AddLiveMetrics(TotalStats(), hub_, &e, config_.metrics_max_streams, StreamViewers(), hls_sessions_.get());
    if (worker_host_) {
      // Per event-loop thread (worker 0: the main loop): is the load spread?
      for (int k = 0; k < config_.workers; ++k) {
        const net::LiveStats& s = k == 0 ? stats_ : worker_host_->worker_stats()[k];
        const std::string w = std::to_string(k);
        const char* help = "Client connections per event-loop worker";
        e.Gauge("livecdn_worker_connections", help, {{"worker", w}, {"protocol", "rtmp"}}, double(s.rtmp_connections));
        e.Gauge("livecdn_worker_connections", help, {{"worker", w}, {"protocol", "flv"}}, double(s.flv_connections));
        e.Counter("livecdn_worker_bytes_out_total", "Bytes sent to clients per event-loop worker", {{"worker", w}},
                  double(s.rtmp_bytes_out + s.flv_bytes_out));
      }
      e.Gauge("livecdn_worker_bridges", "Streams mirrored from the main loop to workers", {},
              double(worker_host_->bridges()));
    }
    for (const auto& [tier, bytes, objects, cap] :
         {std::tuple{"memory", cache_->memory_bytes(), cache_->memory_objects(), config_.cache_memory},
          std::tuple{"disk", cache_->disk_bytes(), cache_->disk_objects(), config_.cache_disk}}) {
      e.Gauge("livecdn_cache_bytes", "HLS cache: bytes stored, by tier", {{"tier", tier}}, double(bytes));
      e.Gauge("livecdn_cache_objects", "HLS cache: objects stored, by tier", {{"tier", tier}}, double(objects));
      e.Gauge("livecdn_cache_capacity_bytes", "HLS cache: configured size, by tier", {{"tier", tier}}, double(cap));
    }
    if (webhooks_) webhooks_->AddMetrics(&e);
    e.Gauge("livecdn_upstream_pulls", "Streams pulled from central", {}, double(upstreams_->pulls()));
    e.Gauge("livecdn_upstream_relays", "Streams relayed to central", {}, double(upstreams_->relays()));
    ex->Reply(200, "text/plain; version=0.0.4", e.Render());
  } else if (p == "/api/v1/streams") {
    ex->Reply(200, "application/json", net::StreamsJson(hub_, StreamViewers(), hls_sessions_.get()));
  } else {
    ex->Reply(404, "text/plain", "not found\n");
  }
}

}  // namespace cdn::edge
