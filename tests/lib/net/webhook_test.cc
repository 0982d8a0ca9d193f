// Tests for lib/net/webhook: the `hooks:` config (validation with YAML paths), and delivery on a
// real loop to an HttpServer on port 0: the signature covers "<timestamp>.<body>", a 500 is
// retried with backoff and then succeeds, a dead receiver gives up after 1 + retries attempts,
// and a full queue drops (all counted by event and result).
#include "lib/net/webhook.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "lib/base/crypto.h"
#include "lib/base/json.h"
#include "lib/config/node.h"
#include "lib/net/http_server.h"

namespace cdn::net {
namespace {

base::Status Parse(const std::string& yaml, WebhookConfig* c) {
  auto root = config::Node::LoadString(yaml);
  REQUIRE(root.ok());
  return ReadWebhookConfig(*root, c);
}

TEST_CASE("hooks config") {
  WebhookConfig c;
  REQUIRE(Parse("hooks: {urls: ['http://127.0.0.1:9000/x'], secret: s, timeout: 1s, retries: 1, backoff: 100ms, "
                "queue: 5, events: [publish, play_stop]}",
                &c)
              .ok());
  CHECK(c.urls.size() == 1);
  CHECK(c.timeout_ms == 1000);
  CHECK(c.retries == 1);
  CHECK(c.backoff_ms == 100);
  CHECK(c.queue == 5);
  CHECK(c.events.size() == 2);
  WebhookConfig none;
  CHECK(Parse("node_id: x", &none).ok());
  CHECK(none.urls.empty());
  WebhookConfig bad;
  auto st = Parse("hooks: {urls: ['https://hooks.invalid/x']}", &bad);
  CHECK(!st.ok());
  CHECK(st.message().find("hooks.urls") != std::string::npos);
  CHECK(!Parse("hooks: {urls: [], events: [nope]}", &bad).ok());
  CHECK(!Parse("hooks: {urls: [], retries: 99}", &bad).ok());
  CHECK(!Parse("hooks: {urlz: []}", &bad).ok());
}

struct Received {
  std::string event, timestamp, signature, body;
};

double Count(const Webhooks& w, const std::string& event, const std::string& result) {
  metrics::Exposition e;
  w.AddMetrics(&e);
  const std::string text = e.Render();
  const std::string key = "livecdn_webhook_requests_total{event=\"" + event + "\",result=\"" + result + "\"} ";
  const size_t at = text.find(key);
  return at == std::string::npos ? 0 : std::stod(text.substr(at + key.size()));
}

TEST_CASE("webhooks: signed, retried after a 500, then delivered") {
  EventLoop loop;
  std::vector<Received> got;
  int fail = 1;
  auto server = HttpServer::Listen(&loop, config::HostPort{"127.0.0.1", 0}, [&](std::unique_ptr<HttpExchange> ex) {
    if (fail-- > 0) {
      ex->Reply(500, "text/plain", "try later\n");
      return;
    }
    got.push_back({ex->header("X-LiveCDN-Event"), ex->header("X-LiveCDN-Timestamp"), ex->header("X-LiveCDN-Signature"),
                   ex->body()});
    ex->Reply(204, "", "");
  });
  REQUIRE(server.ok());
  WebhookConfig c;
  c.urls = {"http://127.0.0.1:" + std::to_string((*server)->port()) + "/hook"};
  c.secret = "k";
  c.backoff_ms = 50;
  Webhooks w(&loop, c, "node-1");
  w.Emit("publish", {{"stream", base::JsonQuote("room")}, {"bytes", "42"}});
  Timer poll(&loop, [&] {
    if (Count(w, "publish", "ok") == 1) loop.Stop();
  });
  poll.Start(10, true);
  Timer guard(&loop, [&] { loop.Stop(); });
  guard.Start(5000);
  loop.Run();
  REQUIRE(got.size() == 1);
  CHECK(got[0].event == "publish");
  CHECK(got[0].signature == "sha256=" + base::HexEncode(base::HmacSha256("k", got[0].timestamp + "." + got[0].body)));
  auto j = base::JsonValue::Parse(got[0].body);
  REQUIRE(j.ok());
  CHECK((*j)["event"].str() == "publish");
  CHECK((*j)["node_id"].str() == "node-1");
  CHECK((*j)["stream"].str() == "room");
  CHECK((*j)["bytes"].number() == 42);
  CHECK(Count(w, "publish", "error") == 1);
  CHECK(Count(w, "publish", "ok") == 1);
}

TEST_CASE("webhooks: a dead receiver gives up; a full queue drops") {
  EventLoop loop;
  // A port with nothing listening: bind a server, note its port, close it.
  uint16_t port = 0;
  {
    auto s = HttpServer::Listen(&loop, config::HostPort{"127.0.0.1", 0}, [](std::unique_ptr<HttpExchange>) {});
    REQUIRE(s.ok());
    port = (*s)->port();
  }
  WebhookConfig c;
  c.urls = {"http://127.0.0.1:" + std::to_string(port) + "/"};
  c.retries = 2;
  c.backoff_ms = 20;
  c.queue = 3;
  c.concurrency = 1;
  Webhooks w(&loop, c, "node-1");
  for (int i = 0; i < 5; ++i) w.Emit("play_stop", {});
  CHECK(Count(w, "play_stop", "dropped") == 1);  // 1 in flight + 3 queued; the fifth is dropped
  Timer poll(&loop, [&] {
    if (Count(w, "play_stop", "gave_up") == 4) loop.Stop();
  });
  poll.Start(10, true);
  Timer guard(&loop, [&] { loop.Stop(); });
  guard.Start(5000);
  loop.Run();
  CHECK(Count(w, "play_stop", "gave_up") == 4);
  CHECK(Count(w, "play_stop", "error") == 12);  // 4 deliveries x 3 attempts
  CHECK(w.queued() == 0);
}

}  // namespace
}  // namespace cdn::net
