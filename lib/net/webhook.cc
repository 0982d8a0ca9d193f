#include "lib/net/webhook.h"

#include <algorithm>

#include "lib/base/clock.h"
#include "lib/base/crypto.h"
#include "lib/base/json.h"
#include "lib/base/log.h"
#include "lib/config/values.h"
#include "lib/http/query.h"

namespace cdn::net {

base::Status ReadWebhookConfig(const config::Node& root, WebhookConfig* out) {
  config::Node h = root["hooks"];
  if (h.is_null()) return base::Status::Ok();
  if (!h.is_map()) return h.Error("expected a map {urls: [...], secret: ...}");
  CDN_RETURN_IF_ERROR(config::CheckKnownKeys(
      h, {"urls", "secret", "timeout", "retries", "backoff", "queue", "concurrency", "drain", "events"}));
  CDN_RETURN_IF_ERROR(config::ReadStringList(h, "urls", &out->urls));
  for (size_t i = 0; i < out->urls.size(); ++i) {
    auto u = http::ParseUrl(out->urls[i]);
    if (!u || u->scheme != "http" || u->host.empty())
      return h["urls"].Error("entry " + std::to_string(i) + ": expected http://<host>[:port]/path");
  }
  CDN_RETURN_IF_ERROR(config::ReadString(h, "secret", &out->secret));
  CDN_RETURN_IF_ERROR(config::ReadDurationMs(h, "timeout", &out->timeout_ms));
  if (out->timeout_ms < 10) return h["timeout"].Error("must be at least 10ms");
  CDN_RETURN_IF_ERROR(config::ReadInt(h, "retries", &out->retries, 0, 20));
  CDN_RETURN_IF_ERROR(config::ReadDurationMs(h, "backoff", &out->backoff_ms));
  CDN_RETURN_IF_ERROR(config::ReadInt(h, "queue", &out->queue, 1, 1'000'000));
  CDN_RETURN_IF_ERROR(config::ReadInt(h, "concurrency", &out->concurrency, 1, 256));
  CDN_RETURN_IF_ERROR(config::ReadDurationMs(h, "drain", &out->drain_ms));
  CDN_RETURN_IF_ERROR(config::ReadStringList(h, "events", &out->events));
  for (const auto& e : out->events) {
    if (e != "publish" && e != "unpublish" && e != "play_stop" && e != "record_done")
      return h["events"].Error("unknown event '" + e + "' (publish, unpublish, play_stop, record_done)");
  }
  return base::Status::Ok();
}

Webhooks::Webhooks(EventLoop* loop, WebhookConfig config, std::string node_id)
    : loop_(loop),
      config_(std::move(config)),
      node_id_(std::move(node_id)),
      client_(loop, 64 << 10),
      retry_timer_(loop, [this] {
        const int64_t now = base::MonoMs();
        while (!waiting_.empty() && waiting_.begin()->first <= now) {
          ready_.push_back(std::move(waiting_.begin()->second));
          waiting_.erase(waiting_.begin());
        }
        Pump();
        ArmTimer();
      }),
      drain_timer_(loop, [this] {
        if (!drained_) return;
        size_t left = in_flight_.size();
        for (const auto& d : ready_) Count(d.event, "abandoned");
        for (const auto& [due, d] : waiting_) Count(d.event, "abandoned");
        for (const auto& [n, event] : in_flight_) Count(event, "abandoned");
        left += queued();
        LOG(WARN) << "webhooks: " << left << " deliveries abandoned at shutdown (hooks.drain " << config_.drain_ms
                  << " ms)";
        auto done = std::move(drained_);
        drained_ = nullptr;
        done();
      }) {}

Webhooks::~Webhooks() = default;

void Webhooks::Emit(const std::string& event, const Fields& fields) {
  if (!enabled()) return;
  if (!config_.events.empty() && std::find(config_.events.begin(), config_.events.end(), event) == config_.events.end())
    return;
  std::string body = "{\"event\": " + base::JsonQuote(event) + ", \"id\": " +
                     base::JsonQuote(node_id_ + "-" + std::to_string(base::WallSeconds()) + "-" + std::to_string(++next_id_)) +
                     ", \"timestamp\": " + std::to_string(base::WallSeconds()) + ", \"node_id\": " + base::JsonQuote(node_id_);
  for (const auto& [k, v] : fields) body += ", " + base::JsonQuote(k) + ": " + v;
  body += "}";
  for (const auto& url : config_.urls) {
    if (static_cast<int64_t>(queued()) >= config_.queue) {
      Count(event, "dropped");
      LOG(WARN) << "webhook " << event << " to " << url << ": dropped, " << queued() << " deliveries queued";
      continue;
    }
    ready_.push_back(Delivery{event, url, body, 0});
  }
  Pump();
}

void Webhooks::EmitPublish(const live::StreamKey& key) {
  Emit("publish", {{"domain", base::JsonQuote(key.vhost)},
                   {"app", base::JsonQuote(key.app)},
                   {"stream", base::JsonQuote(key.name)}});
}

void Webhooks::EmitSessionEnded(const Session& s) {
  const bool play = s.kind == Session::Kind::kPlay;
  if (play && s.relay) return;  // an edge's pull: its viewers are billed at the edge
  Emit(play ? "play_stop" : "unpublish", {{"domain", base::JsonQuote(s.domain)},
                                          {"stream_domain", base::JsonQuote(s.key.vhost)},
                                          {"app", base::JsonQuote(s.key.app)},
                                          {"stream", base::JsonQuote(s.key.name)},
                                          {"protocol", base::JsonQuote(s.protocol)},
                                          {"client", base::JsonQuote(s.peer)},
                                          {"start_time", std::to_string(s.start_unix)},
                                          {"duration_ms", std::to_string((s.end_ms ? s.end_ms : base::MonoMs()) - s.start_ms)},
                                          {play ? "bytes_sent" : "bytes_received", std::to_string(s.bytes)}});
}

void Webhooks::Pump() {
  while (static_cast<int64_t>(in_flight_.size()) < config_.concurrency && !ready_.empty()) {
    Delivery d = std::move(ready_.front());
    ready_.pop_front();
    Send(std::move(d));
  }
}

void Webhooks::Send(Delivery d) {
  ++d.attempt;
  const std::string ts = std::to_string(base::WallSeconds());
  HttpClient::RequestHeaders h{{"Content-Type", "application/json"},
                               {"User-Agent", "livecdn-webhook"},
                               {"X-LiveCDN-Event", d.event},
                               {"X-LiveCDN-Timestamp", ts}};
  if (!config_.secret.empty())
    h.emplace_back("X-LiveCDN-Signature", "sha256=" + base::HexEncode(base::HmacSha256(config_.secret, ts + "." + d.body)));
  const std::string url = d.url, body = d.body;
  const uint64_t n = ++next_request_;
  in_flight_[n] = d.event;
  auto shared = std::make_shared<Delivery>(std::move(d));
  client_.Request("POST", url, h, body, config_.timeout_ms, [this, shared, n](const HttpResponse& r) {
    in_flight_.erase(n);
    Done(std::move(*shared), r);
  });
}

void Webhooks::Done(Delivery d, const HttpResponse& r) {
  if (r.ok() && r.status >= 200 && r.status < 300) {
    Count(d.event, "ok");
  } else {
    Count(d.event, "error");
    const std::string why = r.ok() ? "HTTP " + std::to_string(r.status) : r.error;
    if (d.attempt > config_.retries) {
      Count(d.event, "gave_up");
      LOG(WARN) << "webhook " << d.event << " to " << d.url << ": gave up after " << d.attempt << " attempts: " << why;
    } else {
      const int64_t delay = config_.backoff_ms << std::min(d.attempt - 1, 16);
      LOG(INFO) << "webhook " << d.event << " to " << d.url << ": " << why << "; retry in " << delay << " ms";
      waiting_.emplace(base::MonoMs() + delay, std::move(d));
      ArmTimer();
    }
  }
  Pump();
  CheckDrained();
}

void Webhooks::Drain(std::function<void()> done) {
  if (drained_) return;
  drained_ = std::move(done);
  if (queued() + in_flight_.size() > 0) {
    LOG(INFO) << "webhooks: delivering " << queued() + in_flight_.size() << " queued event(s) before exit (at most "
              << config_.drain_ms << " ms)";
  }
  drain_timer_.Start(config_.drain_ms);
  CheckDrained();
}

void Webhooks::CheckDrained() {
  if (!drained_ || queued() > 0 || !in_flight_.empty()) return;
  drain_timer_.Cancel();
  auto done = std::move(drained_);
  drained_ = nullptr;
  done();
}

void Webhooks::ArmTimer() {
  if (waiting_.empty()) return;
  const int64_t delay = std::max<int64_t>(0, waiting_.begin()->first - base::MonoMs());
  retry_timer_.Start(delay);
}

void Webhooks::AddMetrics(metrics::Exposition* e) const {
  static const char* kHelp = "Webhook deliveries, by event and result (ok, error per failed attempt, gave_up, dropped, abandoned at shutdown)";
  if (results_.empty()) e->Counter("livecdn_webhook_requests_total", kHelp, {{"event", "publish"}, {"result", "ok"}}, 0);
  for (const auto& [k, n] : results_)
    e->Counter("livecdn_webhook_requests_total", kHelp, {{"event", k.first}, {"result", k.second}}, double(n));
  e->Gauge("livecdn_webhook_queue", "Webhook deliveries waiting (ready or backing off)", {}, double(queued()));
  e->Gauge("livecdn_webhook_in_flight", "Webhook requests in flight", {}, double(in_flight_.size()));
}

}  // namespace cdn::net
