// HlsServer over real HTTP on loopback (port 0): a hub stream fed with hand-made packets, a
// signed pull domain (type A), and an HttpClient on the same loop. Covers the playlist wait,
// the token and vhost carried onto segment URIs and checked on segments, content types and
// cache headers, Range/HEAD, 404/403/405/416, stream end with ENDLIST, and the linger.
#include "central/hls_server.h"

#include <doctest/doctest.h>

#include <string>

#include "lib/auth/url_signer.h"
#include "lib/base/bytes.h"
#include "lib/base/clock.h"
#include "lib/net/domain_policy.h"
#include "lib/net/hls_request.h"
#include "lib/net/http_client.h"
#include "tests/lib/media/media_test_data.h"

namespace cdn::central {
namespace {

using live::PacketType;

std::vector<auth::Domain> Domains() {
  auth::Domain push;
  push.name = "push.test";
  auth::Domain pull;
  pull.name = "pull.test";
  pull.type = auth::Domain::Type::kPull;
  pull.source = "push.test";
  pull.auth.key = "pull-key";
  pull.auth.required = true;
  return {push, pull};
}

std::string AvcFrame(bool key) {
  std::string s;
  s.push_back(static_cast<char>(key ? 0x17 : 0x27));
  s.push_back(1);
  base::PutU24(&s, 0);
  base::PutU32(&s, 1001);
  s.push_back(static_cast<char>(key ? 0x65 : 0x41));
  s.append(1000, 'v');
  return s;
}

struct Fixture {
  net::EventLoop loop;
  live::StreamHub hub{live::HubOptions{}};
  net::DomainPolicy policy{auth::DomainTable(Domains())};
  net::LiveStats stats;
  std::unique_ptr<HlsServer> hls;
  std::unique_ptr<net::HttpServer> http;
  std::unique_ptr<net::HttpClient> client;
  live::Stream* stream = nullptr;
  uint64_t publisher = 0;
  int64_t next_ts = 0;

  Fixture() {
    HlsServerOptions o;
    o.packager.fragment_ms = 2000;
    o.packager.window = 3;
    o.wait_ms = 300;
    o.linger_ms = 1000;
    hls = std::make_unique<HlsServer>(&loop, &hub, &policy, o, &stats);
    auto h = net::HttpServer::Listen(&loop, {"127.0.0.1", 0}, [this](std::unique_ptr<net::HttpExchange> ex) {
      hls->Handle(std::move(ex));
    });
    REQUIRE(h.ok());
    http = std::move(*h);
    client = std::make_unique<net::HttpClient>(&loop);
  }
  ~Fixture() {
    hls->CloseAll();
    // One more loop turn: HttpClient frees its finished connections on the next turn.
    loop.Defer([this] { loop.Stop(); });
    loop.Run();
  }

  std::string Url(const std::string& path_and_query) {
    return "http://127.0.0.1:" + std::to_string(http->port()) + path_and_query;
  }
  net::HttpResponse Do(const std::string& method, const std::string& path_and_query,
                       net::HttpClient::RequestHeaders headers = {}) {
    net::HttpResponse out;
    bool done = false;
    client->Request(method, Url(path_and_query), headers, "", 5000, [&](const net::HttpResponse& r) {
      out = r;
      done = true;
      loop.Stop();
    });
    while (!done) loop.Run();
    return out;
  }
  void Publish() {
    publisher = hub.NextPublisherId();
    auto s = hub.Publish({"push.test", "live", "room"}, publisher, base::MonoMs());
    REQUIRE(s.ok());
    stream = *s;
    hls->OnPublishStarted(stream);
    stream->OnMessage(PacketType::kVideo, 0, media::testing::kAvcTag640, base::MonoMs());
  }
  // Video at 25 fps, a key frame each second, up to (not including) `end`.
  void Feed(int64_t end) {
    for (; next_ts < end; next_ts += 40) stream->OnMessage(PacketType::kVideo, static_cast<uint32_t>(next_ts),
                                                           AvcFrame(next_ts % 1000 == 0), base::MonoMs());
  }
};

std::string Token(const std::string& uri) {
  return auth::Sign(auth::SignType::kA, "pull-key", uri, base::WallSeconds() + 3600).query;
}

TEST_CASE("HLS over HTTP: playlist, segments, ranges, auth, end") {
  Fixture f;
  const std::string q = "vhost=pull.test&" + Token("/live/room.m3u8");

  // No publisher: the request waits wait_ms, then 404.
  int64_t t0 = base::MonoMs();
  auto r = f.Do("GET", "/live/room.m3u8?" + q);
  CHECK(r.status == 404);
  CHECK(base::MonoMs() - t0 >= 250);
  CHECK(r.header("Access-Control-Allow-Origin") == "*");

  // Publishing, no segment yet: the request is answered when the first segment is cut.
  f.Publish();
  f.Feed(1960);
  net::Timer later(&f.loop, [&] { f.Feed(2040); });
  later.Start(50);
  r = f.Do("GET", "/live/room.m3u8?" + q);
  REQUIRE(r.status == 200);
  CHECK(r.header("Content-Type") == "application/vnd.apple.mpegurl");
  CHECK(r.header("Cache-Control") == "max-age=1");
  CHECK(r.header("Access-Control-Allow-Origin") == "*");
  const std::string session_uri = "room/";
  const size_t at = r.body.find(session_uri);
  REQUIRE(at != std::string::npos);
  const size_t eol = r.body.find('\n', at);
  const std::string uri = r.body.substr(at, eol - at);  // "room/<session>-0.ts?<q>"
  CHECK(uri.size() > q.size());
  CHECK(uri.substr(uri.size() - q.size() - 1) == "?" + q);
  const std::string seg_path = "/live/" + uri;  // resolved against /live/room.m3u8

  SUBCASE("segment: whole, ranges, HEAD") {
    r = f.Do("GET", seg_path);
    REQUIRE(r.status == 200);
    CHECK(r.header("Content-Type") == "video/mp2t");
    CHECK(r.header("Cache-Control") == "max-age=3600, immutable");
    CHECK(r.header("Accept-Ranges") == "bytes");
    CHECK(r.header("Access-Control-Allow-Origin") == "*");
    const std::string whole = r.body;
    REQUIRE(whole.size() % 188 == 0);
    CHECK(whole[0] == 0x47);
    const std::string n = std::to_string(whole.size());

    r = f.Do("GET", seg_path, {{"Range", "bytes=188-375"}});
    CHECK(r.status == 206);
    CHECK(r.header("Content-Range") == "bytes 188-375/" + n);
    CHECK(r.body == whole.substr(188, 188));
    r = f.Do("GET", seg_path, {{"Range", "bytes=-100"}});
    CHECK(r.status == 206);
    CHECK(r.body == whole.substr(whole.size() - 100));
    r = f.Do("GET", seg_path, {{"Range", "bytes=" + n + "-"}});
    CHECK(r.status == 416);
    CHECK(r.header("Content-Range") == "bytes */" + n);
    r = f.Do("HEAD", seg_path);
    CHECK(r.status == 200);
    CHECK(r.header("Content-Length") == n);
    CHECK(r.body.empty());
    CHECK(f.hls->stats().requests.at({"segment", "ok"}) == 2);
    CHECK(f.hls->stats().requests.at({"segment", "partial"}) == 2);
  }

  SUBCASE("auth: segments need the playlist's token; refusals are 403 with a reason") {
    const std::string bare = seg_path.substr(0, seg_path.find('?'));
    r = f.Do("GET", bare + "?vhost=pull.test");
    CHECK(r.status == 403);
    CHECK(f.stats.rejections.count({"play", "missing"}) == 1);
    r = f.Do("GET", "/live/room.m3u8?vhost=pull.test&" + Token("/live/other.m3u8"));
    CHECK(r.status == 403);
    CHECK(f.stats.rejections.count({"play", "bad_hash"}) == 1);
    r = f.Do("GET", "/live/room.m3u8?vhost=nowhere.test");
    CHECK(r.status == 404);
    CHECK(f.stats.rejections.count({"play", "unknown_domain"}) == 1);
  }

  SUBCASE("not found, bad method") {
    r = f.Do("GET", "/live/room/zzz-0.ts?" + q);
    CHECK(r.status == 404);
    r = f.Do("GET", "/favicon.ico");
    CHECK(r.status == 404);
    r = f.Do("DELETE", "/live/room.m3u8?" + q);
    CHECK(r.status == 405);
  }

  SUBCASE("the window moves; stream end adds ENDLIST; the packager is freed after the linger") {
    f.Feed(10040);  // segments 0..4; the playlist shows 2..4
    r = f.Do("GET", "/live/room.m3u8?" + q);
    CHECK(r.body.find("#EXT-X-MEDIA-SEQUENCE:2\n") != std::string::npos);
    CHECK(f.Do("GET", seg_path).status == 200);  // segment 0: past the window, still held (extra 2)
    f.Feed(12040);
    CHECK(f.Do("GET", seg_path).status == 404);  // now dropped
    f.hub.Unpublish(f.stream, f.publisher, base::MonoMs());
    f.hub.Tick(base::MonoMs() + 60000);  // the grace expires: the stream ends
    r = f.Do("GET", "/live/room.m3u8?" + q);
    CHECK(r.body.find("#EXT-X-ENDLIST\n") != std::string::npos);
    CHECK(f.hub.size() == 0);
    const int64_t now = base::MonoMs();
    f.hls->Tick(now);
    CHECK(f.hls->packager_count() == 1);
    f.hls->Tick(now + 1000);
    CHECK(f.hls->packager_count() == 0);
    CHECK(f.Do("GET", "/live/room.m3u8?" + q).status == 404);
  }
}

TEST_CASE("segment paths (net::SplitSegmentPath, which routes them)") {
  std::string app, stream, file;
  CHECK(net::SplitSegmentPath("/live/room/ab-7.ts", &app, &stream, &file));
  CHECK(app == "live");
  CHECK(stream == "room");
  CHECK(file == "ab-7.ts");
  CHECK(net::SplitSegmentPath("/a/b/r%20x/ab-7.ts", &app, &stream, &file));
  CHECK(app == "a/b");
  CHECK(stream == "r x");
  for (const char* bad : {"/live/ab-7.ts", "/room/ab-7.ts", "//room/ab-7.ts", "/live//ab-7.ts", "/live/room/.ts",
                          "/live/room/ab-7.tsx", "live/room/ab-7.ts", "/live/r%zz/ab-7.ts"}) {
    CAPTURE(bad);
    CHECK_FALSE(net::SplitSegmentPath(bad, &app, &stream, &file));
  }
}

}  // namespace
}  // namespace cdn::central
