// Webhooks: signed JSON event notifications (publish, unpublish, play_stop, record_done) POSTed
// to the operator's receivers. Emit() only queues: delivery runs on the loop through HttpClient,
// never blocking media; each attempt is signed (HMAC-SHA256 over "<timestamp>.<body>"), retried
// with exponential backoff a bounded number of times, and a full queue drops (and counts) new
// events. Loop thread only. At shutdown Drain() delivers what is queued (the last unpublish and
// play_stop events) within `hooks.drain`; destroying it abandons what is queued or in flight.
//
// Headers: Content-Type: application/json, X-LiveCDN-Event: <event>, X-LiveCDN-Timestamp: <unix s>,
// X-LiveCDN-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")> (no signature
// header when no secret is set). Body: {"event", "id", "timestamp", "node_id", ...fields}.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lib/base/status.h"
#include "lib/config/node.h"
#include "lib/metrics/exposition.h"
#include "lib/net/event_loop.h"
#include "lib/net/http_client.h"
#include "lib/net/live_server.h"

namespace cdn::net {

struct WebhookConfig {
  std::vector<std::string> urls;  // http://<ip>:<port>/<path>
  std::string secret;
  int64_t timeout_ms = 2000;     // per attempt
  int64_t retries = 3;           // attempts after the first
  int64_t backoff_ms = 500;      // before the first retry; doubled for each next one
  int64_t queue = 1000;          // deliveries waiting at most; beyond, new ones are dropped
  int64_t concurrency = 4;       // requests in flight at most
  int64_t drain_ms = 3000;       // at shutdown: how long queued deliveries may still take
  std::vector<std::string> events;  // only these events; empty: all
};

// `hooks:` of a service config: {urls: [...], secret: s, timeout: 2s, retries: 3, backoff: 500ms,
// queue: 1000, concurrency: 4, drain: 3s, events: [publish, ...]}. Absent: no webhooks.
base::Status ReadWebhookConfig(const config::Node& root, WebhookConfig* out);

class Webhooks {
 public:
  // A field's value is JSON already: base::JsonQuote(s) for strings, std::to_string(n) for numbers.
  using Fields = std::vector<std::pair<std::string, std::string>>;

  Webhooks(EventLoop* loop, WebhookConfig config, std::string node_id);
  ~Webhooks();

  bool enabled() const { return !config_.urls.empty(); }
  // Queues `event` for every receiver; returns at once.
  void Emit(const std::string& event, const Fields& fields);
  // "publish": a publisher started on `key` (central and edge alike).
  void EmitPublish(const live::StreamKey& key);
  // "unpublish" / "play_stop" of a session that ended: who, which stream (the domain the client
  // named and the push domain), protocol, start time, duration and bytes (for billing).
  void EmitSessionEnded(const Session& s);
  void AddMetrics(metrics::Exposition* e) const;
  size_t queued() const { return ready_.size() + waiting_.size(); }
  // Shutdown: `done` runs once nothing is queued or in flight, or after `drain_ms` (what is left
  // is abandoned: logged and counted as result="abandoned"). Retries still back off meanwhile.
  void Drain(std::function<void()> done);

 private:
  struct Delivery {
    std::string event, url, body;
    int attempt = 0;
  };
  void Pump();
  void Send(Delivery d);
  void Done(Delivery d, const HttpResponse& r);
  void ArmTimer();
  void Count(const std::string& event, const char* result) { ++results_[{event, result}]; }
  void CheckDrained();

  EventLoop* loop_;
  WebhookConfig config_;
  std::string node_id_;
  HttpClient client_;
  std::deque<Delivery> ready_;
  std::multimap<int64_t, Delivery> waiting_;  // retries by due time (monotonic ms)
  Timer retry_timer_;
  Timer drain_timer_;
  std::function<void()> drained_;  // set while draining
  std::map<uint64_t, std::string> in_flight_;  // request number -> event
  uint64_t next_request_ = 0;
  uint64_t next_id_ = 0;
  std::map<std::pair<std::string, std::string>, uint64_t> results_;  // (event, result) -> count
};

}  // namespace cdn::net
