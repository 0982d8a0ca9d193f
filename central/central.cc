#include "central/central.h"

#include <sstream>

#include "lib/base/clock.h"
#include "lib/base/log.h"
#include "lib/http/query.h"
#include "lib/metrics/exposition.h"

namespace cdn::central {

// Names streams by the domain table: publishers on push domains, viewers on pull domains map
// to their source. Signatures come with the domains issue.
class CentralPolicy : public net::LivePolicy {
 public:
  explicit CentralPolicy(auth::DomainTable table) : table_(std::move(table)) {}
  base::Status AdmitConnect(const rtmp::ConnectInfo& info) override {
    if (table_.open()) return base::Status::Ok();
    // Connecting by IP: the vhost may still come with the stream name (`room?vhost=...`, as
    // ffmpeg puts the URL query on the play path), so it is checked at publish/play time.
    if (info.vhost == info.host && http::IsIpLiteral(info.host)) return base::Status::Ok();
    if (!table_.Find(info.vhost)) return base::Status::NotFound("unknown domain '" + info.vhost + "'");
    return base::Status::Ok();
  }
  base::Result<live::StreamKey> AdmitPublish(const rtmp::ConnectInfo& info, const rtmp::StreamRequest& req) override {
    auto d = table_.PublishDomain(info.vhost);
    if (!d.ok()) return d.status();
    CDN_RETURN_IF_ERROR(CheckNames(info.app, req.name));
    return live::StreamKey{*d, info.app, req.name};
  }
  base::Result<live::StreamKey> AdmitPlay(const std::string& vhost, const std::string& app, const std::string& name,
                                          const std::string& query) override {
    auto d = table_.PlayDomain(vhost);
    if (!d.ok()) return d.status();
    CDN_RETURN_IF_ERROR(CheckNames(app, name));
    return live::StreamKey{*d, app, name};
  }

 private:
  static base::Status CheckNames(const std::string& app, const std::string& name) {
    for (const std::string* s : {&app, &name}) {
      if (s->empty() || s->size() > 256) return base::Status::Denied("bad app or stream name length");
      if (*s == "." || *s == ".." || s->find("..") != std::string::npos) return base::Status::Denied("bad app or stream name");
      for (unsigned char c : *s) {
        if (c < 0x20 || c == 0x7f || c == '\\' || (c == '/' && s == &name))
          return base::Status::Denied("control or path characters in app or stream name");
      }
    }
    return base::Status::Ok();
  }
  auth::DomainTable table_;
};

namespace {
net::LiveServerOptions ServerOptions(const CentralConfig& c) {
  net::LiveServerOptions o;
  o.play_wait_ms = c.play_wait_ms;
  o.play_queue_bytes = c.play_queue_bytes;
  o.play_max_skips = c.play_max_skips;
  o.play_stall_ms = c.play_stall_ms;
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
std::string JsonEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\', out += c;
    else if (static_cast<unsigned char>(c) < 0x20) out += ' ';
    else out += c;
  }
  return out;
}
}  // namespace

Central::Central(net::EventLoop* loop, CentralConfig config)
    : loop_(loop),
      config_(std::move(config)),
      policy_(std::make_unique<CentralPolicy>(auth::DomainTable(config_.domains))),
      hub_(HubOpts(config_)),
      tick_(loop, [this] { hub_.Tick(base::MonoMs()); }) {}

Central::~Central() { Shutdown(); }

base::Status Central::Start() {
  auto opts = ServerOptions(config_);
  rtmp_ = std::make_unique<net::RtmpServer>(loop_, &hub_, policy_.get(), opts, &stats_);
  CDN_RETURN_IF_ERROR(rtmp_->Listen(config_.rtmp_listen).WithContext("rtmp.listen"));
  flv_ = std::make_unique<net::FlvServer>(loop_, &hub_, policy_.get(), opts, &stats_);
  CDN_RETURN_IF_ERROR(flv_->Listen(config_.http_listen).WithContext("http.listen"));
  auto admin = net::HttpServer::Listen(loop_, config_.admin_listen,
                                       [this](std::unique_ptr<net::HttpExchange> ex) { OnAdmin(std::move(ex)); });
  if (!admin.ok()) return admin.status().WithContext("admin.listen");
  admin_ = std::move(*admin);
  tick_.Start(250, true);
  LOG(INFO) << "central " << config_.node_id << " up: rtmp " << config_.rtmp_listen.host << ":" << rtmp_->port()
            << ", http " << config_.http_listen.host << ":" << flv_->port() << ", admin "
            << config_.admin_listen.host << ":" << admin_->port() << ", "
            << (config_.domains.empty() ? std::string("open vhosts") : std::to_string(config_.domains.size()) + " domains");
  return base::Status::Ok();
}

void Central::Shutdown() {
  tick_.Cancel();
  if (flv_) flv_->CloseAll();
  if (rtmp_) rtmp_->CloseAll();
  admin_.reset();
}

std::string Central::HealthJson() const {
  std::ostringstream o;
  const int64_t conns = stats_.rtmp_connections + stats_.flv_connections;
  o << "{\"status\": \"" << (draining_ ? "draining" : "ok") << "\", \"node_id\": \"" << JsonEscape(config_.node_id)
    << "\", \"connections\": " << conns << ", \"connections_by_protocol\": {\"rtmp\": " << stats_.rtmp_connections
    << ", \"flv\": " << stats_.flv_connections << "}, \"egress_bps\": 0, \"capacity_bps\": " << config_.capacity_bps
    << ", \"streams\": " << hub_.live_count() << ", \"publishers\": " << stats_.publishers
    << ", \"players\": " << stats_.players << "}\n";
  return o.str();
}

std::string Central::StreamsJson() const {
  std::ostringstream o;
  o << "{\"streams\": [";
  bool first = true;
  hub_.ForEach([&](const live::Stream& s) {
    if (!first) o << ", ";
    first = false;
    o << "{\"vhost\": \"" << JsonEscape(s.key().vhost) << "\", \"app\": \"" << JsonEscape(s.key().app)
      << "\", \"stream\": \"" << JsonEscape(s.key().name) << "\", \"publishing\": " << (s.has_publisher() ? "true" : "false")
      << ", \"viewers\": " << s.consumer_count() << ", \"bytes_in\": " << s.bytes_in() << "}";
  });
  o << "]}\n";
  return o.str();
}

std::string Central::Metrics() const {
  metrics::Exposition e;
  e.Gauge("livecdn_connections", "Open client connections", {{"protocol", "rtmp"}}, double(stats_.rtmp_connections));
  e.Gauge("livecdn_connections", "Open client connections", {{"protocol", "flv"}}, double(stats_.flv_connections));
  e.Gauge("livecdn_streams", "Streams with a live publisher", {}, double(hub_.live_count()));
  e.Counter("livecdn_bytes_received_total", "Bytes received from clients", {{"protocol", "rtmp"}},
            double(stats_.rtmp_bytes_in));
  e.Counter("livecdn_bytes_sent_total", "Bytes sent to clients", {{"protocol", "rtmp"}}, double(stats_.rtmp_bytes_out));
  e.Counter("livecdn_bytes_sent_total", "Bytes sent to clients", {{"protocol", "flv"}}, double(stats_.flv_bytes_out));
  e.Counter("livecdn_publish_accepted_total", "Publishes accepted", {}, double(stats_.publish_accepted));
  e.Counter("livecdn_play_accepted_total", "Plays accepted", {}, double(stats_.play_accepted));
  for (const auto& [reason, n] : stats_.rejections)
    e.Counter("livecdn_rejections_total", "Connections, publishes and plays refused, by reason", {{"reason", reason}}, double(n));
  e.Counter("livecdn_slow_viewer_skips_total", "Times a viewer fell behind and skipped to the next key frame", {},
            double(stats_.slow_viewer_skips));
  e.Counter("livecdn_slow_viewer_kicks_total", "Viewers disconnected for staying behind", {},
            double(stats_.slow_viewer_kicks));
  for (const auto& [proto, buckets] : stats_.first_frame_ms) {
    std::vector<double> bounds, counts;
    for (const auto& [ms, n] : buckets) bounds.push_back(ms / 1000.0), counts.push_back(double(n));
    e.Histogram("livecdn_first_frame_seconds", "Time from play request to the first video frame sent",
                {{"protocol", proto}}, bounds, counts, stats_.first_frame_sum_s.at(proto),
                double(stats_.first_frame_count.at(proto)));
  }
  return e.Render();
}

void Central::OnAdmin(std::unique_ptr<net::HttpExchange> ex) {
  const std::string& p = ex->path();
  if (p == "/healthz") {
    ex->Reply(draining_ ? 503 : 200, "application/json", HealthJson(), {{"Cache-Control", "no-cache"}});
  } else if (p == "/metrics") {
    ex->Reply(200, "text/plain; version=0.0.4", Metrics());
  } else if (p == "/api/v1/streams") {
    ex->Reply(200, "application/json", StreamsJson());
  } else {
    ex->Reply(404, "text/plain", "not found\n");
  }
}

}  // namespace cdn::central
