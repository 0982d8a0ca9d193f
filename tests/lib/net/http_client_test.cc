// Tests for lib/net/http_client: a URL with a host name is looked up through c-ares on the loop
// (here against a tiny DNS responder on loopback that knows one name) and reaches a local server
// with the name in Host; a name that does not resolve fails with a clear error, not a hang.
#include "lib/net/http_client.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <atomic>
#include <string>
#include <thread>

#include "lib/net/http_server.h"
#include "lib/net/resolver.h"
#include "tests/lib/net/scripted_dns.h"

namespace cdn::net {
namespace {

using testing::ScriptedDns;

}  // namespace

TEST_CASE("HttpClient resolves host names with c-ares and keeps the name in Host") {
  ScriptedDns dns("origin.livecdn-test", 60);
  dns.Answer("127.0.0.1");
  EventLoop loop;
  Resolver resolver(&loop, "127.0.0.1:" + std::to_string(dns.port()));
  std::string seen_host;
  auto server = HttpServer::Listen(&loop, config::HostPort{"127.0.0.1", 0}, [&](std::unique_ptr<HttpExchange> ex) {
    seen_host = ex->header("Host");
    ex->Reply(200, "text/plain", "hello");
  });
  REQUIRE(server.ok());
  HttpClient client(&loop, 1 << 20, &resolver);
  HttpResponse got, missing;
  int done = 0;
  const std::string port = std::to_string((*server)->port());
  client.Get("http://origin.livecdn-test:" + port + "/x", {}, 3000, [&](const HttpResponse& r) {
    got = r;
    if (++done == 2) loop.Stop();
  });
  client.Get("http://nowhere.livecdn-test:" + port + "/x", {}, 3000, [&](const HttpResponse& r) {
    missing = r;
    if (++done == 2) loop.Stop();
  });
  Timer guard(&loop, [&] { loop.Stop(); });
  guard.Start(8000);
  loop.Run();
  INFO(got.error);
  CHECK(got.ok());
  CHECK(got.status == 200);
  CHECK(got.body == "hello");
  CHECK(seen_host == "origin.livecdn-test:" + port);
  CHECK(!missing.ok());
  CHECK(missing.error.find("cannot resolve nowhere.livecdn-test") == 0);
}

}  // namespace cdn::net
