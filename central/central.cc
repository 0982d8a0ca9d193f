#include "central/central.h"

#include <algorithm>
#include <sstream>

#include "lib/auth/url_signer.h"
#include "lib/base/crypto.h"
#include "lib/base/clock.h"
#include "lib/base/json.h"
#include "lib/base/log.h"
#include "lib/metrics/exposition.h"
#include "lib/net/live_admin.h"

namespace cdn::central {

namespace {
net::LiveServerOptions ServerOptions(const CentralConfig& c) {
  net::LiveServerOptions o;
  o.play_wait_ms = c.play_wait_ms;
  o.play_queue_bytes = c.play_queue_bytes;
  o.play_max_skips = c.play_max_skips;
  o.play_stall_ms = c.play_stall_ms;
  o.merge_window_ms = c.play_merge_window_ms;
  o.handshake_timeout_ms = c.handshake_timeout_ms;
  o.publish_idle_ms = c.publish_idle_ms;
  o.max_message_size = static_cast<uint32_t>(c.max_message_size);
  o.max_connections = c.max_connections;
  return o;
}
live::HubOptions HubOpts(const CentralConfig& c) {
  live::HubOptions h;
  h.stream.gop_cache = c.gop_cache;
  h.stream.reconnect_grace_ms = c.reconnect_grace_ms;
  h.takeover_idle_ms = c.takeover_idle_ms;
  return h;
}
HlsServerOptions HlsOpts(const CentralConfig& c) {
  HlsServerOptions h;
  h.packager.fragment_ms = c.hls_fragment_ms;
  h.packager.window = c.hls_window;
  h.wait_ms = std::max<int64_t>(2 * c.hls_fragment_ms, 1000);
  h.session_idle_ms = c.play_hls_session_ms;
  h.linger_ms = c.hls_linger_ms >= 0 ? c.hls_linger_ms : std::max<int64_t>(30000, 2 * c.hls_window * c.hls_fragment_ms);
  return h;
}
}  // namespace

Central::Central(net::EventLoop* loop, CentralConfig config)
    : loop_(loop),
      config_(std::move(config)),
      policy_(std::make_unique<CentralPolicy>(auth::DomainTable(config_.domains))),
      hub_(HubOpts(config_)),
      tick_(loop, [this] {
        const int64_t now = base::MonoMs();
        hub_.Tick(now);
        if (hls_) hls_->Tick(now);
        if (transcode_) transcode_->Tick(now);
        if (record_) record_->Tick(now);
        egress_.Sample(stats_.rtmp_bytes_out + stats_.flv_bytes_out + (hls_ ? hls_->stats().bytes_out : 0), now);
      }) {}

Central::~Central() { Shutdown(); }

base::Status Central::Start() {
  auto catalog = store::KvStore::Open(config_.data_dir + "/catalog");
  if (!catalog.ok()) return catalog.status().WithContext("data_dir");
  catalog_ = std::move(*catalog);
  domains_ = std::make_unique<DomainService>(config_.domains, catalog_.get());
  domains_->on_change = [this] { policy_->SetTable(auth::DomainTable(domains_->domains())); };
  CDN_RETURN_IF_ERROR(domains_->Load());
  policy_->SetTable(auth::DomainTable(domains_->domains()));
  AdminApi::Hooks hooks;
  hooks.health = [this] {
    net::NodeInfo node{config_.node_id, draining_, config_.capacity_bps, egress_.bits_per_second()};
    return net::HealthJson(node, stats_, hub_);
  };
  hooks.draining = [this] { return draining_; };
  hooks.metrics = [this] { return Metrics(); };
  hooks.streams = [this] { return net::StreamsJson(hub_, nullptr, hls_ ? &hls_->sessions() : nullptr); };
  hooks.dashboard = [this](std::unique_ptr<net::HttpExchange> ex) { dashboard_->Handle(std::move(ex)); };
  hooks.kick = [this](const KickRequest& k) { Kick(k); };
  hooks.check_domain = [this](const auth::Domain& d) {
    for (const auto& t : d.transcode) {
      if (!config_.templates.count(t)) return base::Status::Invalid("unknown transcode template '" + t + "'");
    }
    return base::Status::Ok();
  };
  api_ = std::make_unique<AdminApi>(domains_.get(), config_.admin_token, config_.cdn_zone, std::move(hooks));

  webhooks_ = std::make_unique<net::Webhooks>(loop_, config_.hooks, config_.node_id);
  policy_->on_publish_event = [this](live::Stream* s) { webhooks_->EmitPublish(s->key()); };
  policy_->on_session_ended = [this](const net::Session& s) { webhooks_->EmitSessionEnded(s); };
  auto opts = ServerOptions(config_);
  rtmp_ = std::make_unique<net::RtmpServer>(loop_, &hub_, policy_.get(), opts, &stats_);
  CDN_RETURN_IF_ERROR(rtmp_->Listen(config_.rtmp_listen).WithContext("rtmp.listen"));
  flv_ = std::make_unique<net::FlvServer>(loop_, &hub_, policy_.get(), opts, &stats_);
  hls_ = std::make_unique<HlsServer>(loop_, &hub_, policy_.get(), HlsOpts(config_), &stats_);
  RecordManager::Options ropts;
  ropts.dir = config_.record_path.empty() ? config_.data_dir + "/record" : config_.record_path;
  ropts.format = config_.record_format;
  ropts.segment_ms = config_.record_segment_ms;
  ropts.ffmpeg = config_.ffmpeg;
  record_ = std::make_unique<RecordManager>(loop_, &hub_, catalog_.get(), std::move(ropts));
  record_->Recover();
  api_->set_records(record_.get());
  record_->on_done = [this](const RecordEntry& e) {
    if (!webhooks_) return;
    webhooks_->Emit("record_done", {{"domain", base::JsonQuote(e.vhost)},
                                    {"app", base::JsonQuote(e.app)},
                                    {"stream", base::JsonQuote(e.stream)},
                                    {"id", base::JsonQuote(e.id)},
                                    {"path", base::JsonQuote(e.path)},
                                    {"format", base::JsonQuote(e.format)},
                                    {"state", base::JsonQuote(e.state)},
                                    {"start_ms", std::to_string(e.start_ms)},
                                    {"end_ms", std::to_string(e.end_ms)},
                                    {"duration_ms", std::to_string(e.duration_ms)},
                                    {"bytes", std::to_string(e.bytes)}});
  };
  TranscodeManager::Options topts;
  topts.ffmpeg = config_.ffmpeg;
  topts.max = config_.transcode_max;
  topts.templates = config_.templates;
  // A rendition is an ordinary publish: it is packaged for HLS like any other, and recorded with
  // record.renditions when its domain records.
  transcode_ = std::make_unique<TranscodeManager>(loop_, &hub_, std::move(topts), [this](live::Stream* s) {
    hls_->OnPublishStarted(s);
    const auth::Domain* d = domains_->Find(s->key().vhost);
    if (config_.record_renditions && d && d->record) record_->OnPublishStarted(s);
  });
  hls_->set_renditions([this](const live::StreamKey& k) { return transcode_->Renditions(k); });
  policy_->on_publish = [this](live::Stream* s) { OnPublishStarted(s); };
  flv_->set_fallback([this](std::unique_ptr<net::HttpExchange> ex) { hls_->Handle(std::move(ex)); });
  CDN_RETURN_IF_ERROR(flv_->Listen(config_.http_listen).WithContext("http.listen"));
  auto admin = net::HttpServer::Listen(loop_, config_.admin_listen,
                                       [this](std::unique_ptr<net::HttpExchange> ex) { api_->Handle(std::move(ex)); });
  if (!admin.ok()) return admin.status().WithContext("admin.listen");
  admin_ = std::move(*admin);
  // A wildcard listen address: the page uses the host it was loaded from.
  const std::string& hls_host = config_.http_listen.host;
  const bool wildcard = hls_host.empty() || hls_host == "0.0.0.0" || hls_host == "::";
  dashboard_ = std::make_unique<Dashboard>(
      loop_, config_.dashboard, wildcard ? ":" + std::to_string(flv_->port())
                                         : "http://" + hls_host + ":" + std::to_string(flv_->port()));
  dashboard_->authorized = [this](const net::HttpExchange& ex) {
    return !config_.admin_token.empty() &&
           base::ConstantTimeEquals(ex.header("Authorization"), "Bearer " + config_.admin_token);
  };
  dashboard_->preview_path = [this](const std::string& vhost, const std::string& app, const std::string& stream,
                                    bool authorized) -> base::Result<std::string> {
    const std::string uri = "/" + app + "/" + stream + ".m3u8";
    const auth::Domain* d = domains_->Find(vhost);
    if (!d || !d->auth.required) return uri + "?vhost=" + vhost;
    if (!authorized) return base::Status::Denied(vhost + " requires signed URLs: the admin token signs the preview");
    const auto type = auth::ParseSignType(d->auth.type).value_or(auth::SignType::kA);
    const int64_t now = base::WallSeconds();
    const auth::SignedUri su = auth::Sign(type, d->auth.key, uri, type == auth::SignType::kA ? now + 3600 : now);
    return su.path + "?vhost=" + vhost + (su.query.empty() ? "" : "&" + su.query);
  };
  dashboard_->Start();
  tick_.Start(250, true);
  LOG(INFO) << "central " << config_.node_id << " up: rtmp " << config_.rtmp_listen.host << ":" << rtmp_->port()
            << ", http " << config_.http_listen.host << ":" << flv_->port() << ", admin "
            << config_.admin_listen.host << ":" << admin_->port() << ", "
            << (domains_->domains().empty() ? std::string("open vhosts") : std::to_string(domains_->domains().size()) + " domains");
  return base::Status::Ok();
}

void Central::OnPublishStarted(live::Stream* stream) {
  hls_->OnPublishStarted(stream);
  const auth::Domain* d = domains_->Find(stream->key().vhost);
  if (d && !d->transcode.empty()) transcode_->OnPublishStarted(stream, d->transcode);
  // Renditions come back through the transcoder's callback (Start), not through here.
  if (d && d->record && !transcode_->IsRendition(stream->key())) record_->OnPublishStarted(stream);
}

void Central::Shutdown() {
  tick_.Cancel();
  if (transcode_) transcode_->CloseAll();
  if (record_) record_->CloseAll();
  if (hls_) hls_->CloseAll();
  if (flv_) flv_->CloseAll();
  if (rtmp_) rtmp_->CloseAll();
  dashboard_.reset();
  admin_.reset();
}

void Central::DrainWebhooks(std::function<void()> done) {
  if (!webhooks_) {
    done();
    return;
  }
  webhooks_->Drain(std::move(done));
}

std::string Central::Metrics() const {
  metrics::Exposition e;
  net::AddLiveMetrics(stats_, hub_, &e, config_.metrics_max_streams, nullptr, hls_ ? &hls_->sessions() : nullptr);
  if (webhooks_) webhooks_->AddMetrics(&e);
  if (hls_) hls_->AddMetrics(&e);
  if (transcode_) transcode_->AddMetrics(&e);
  if (record_) record_->AddMetrics(&e);
  return e.Render();
}

void Central::Kick(const KickRequest& k) {
  const uint64_t publisher = hub_.EndStream(live::StreamKey{k.vhost, k.app, k.stream}, base::MonoMs());
  if (publisher) rtmp_->KickPublisher(publisher);
  transcode_->OnKicked(publisher);
}

}  // namespace cdn::central
