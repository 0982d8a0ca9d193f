// Tests for lib/net/domain_policy: signatures enforced per domain (push required, pull when
// configured) on RTMP publish and play (token on the stream name or the tcUrl), FLV and HLS
// (playlist token on segments and renditions), types B and C recovering the real path, refusal
// reasons as metric labels, upstream tokens between edge and central. Fake clock.
#include "lib/net/domain_policy.h"

#include <doctest/doctest.h>

#include <string>

#include "lib/auth/url_signer.h"
#include "lib/rtmp/stream_name.h"

namespace cdn::net {
namespace {

constexpr int64_t kNow = 1700000000;

auth::Domain MakeDomain(std::string name, auth::Domain::Type type, std::string source, std::string auth_type,
                        std::string key, std::string key2, bool required) {
  auth::Domain d;
  d.name = std::move(name);
  d.type = type;
  d.source = std::move(source);
  d.auth.type = std::move(auth_type);
  d.auth.key = std::move(key);
  d.auth.key2 = std::move(key2);
  d.auth.required = required;
  return d;
}

DomainPolicy MakePolicy(std::string push_type = "A", std::string pull_type = "A") {
  auto push = MakeDomain("push.test", auth::Domain::Type::kPush, "", push_type, "push-key", "push-key-old", true);
  push.transcode = {"sd"};
  DomainPolicy p(auth::DomainTable({
      push,
      MakeDomain("pull.test", auth::Domain::Type::kPull, "push.test", pull_type, "pull-key", "pull-key-old", true),
      MakeDomain("open.test", auth::Domain::Type::kPull, "push.test", "A", "", "", false),
  }));
  p.SetClock([] { return kNow; });
  return p;
}

// An RTMP publish as ffmpeg sends it for rtmp://127.0.0.1/<app>/<stream_and_query>.
Admission Publish(DomainPolicy& p, const std::string& app, const std::string& stream_and_query,
                  const std::string& tc_query = "vhost=push.test") {
  rtmp::ConnectInfo info;
  info.app = app;
  info.tc_url = "rtmp://127.0.0.1/" + app + (tc_query.empty() ? "" : "?" + tc_query);
  rtmp::ResolveConnect(&info);
  rtmp::StreamRequest req;
  rtmp::ResolveStreamName(stream_and_query, &req, &info);
  return p.AdmitPublish(info, req);
}

Admission Play(DomainPolicy& p, PlayProtocol protocol, const std::string& path, const std::string& query,
               const std::string& vhost = "pull.test") {
  PlayRequest r;
  r.protocol = protocol;
  r.vhost = vhost;
  r.path = path;
  r.query = query;
  r.segment_of = [](std::string_view path, std::string* app, std::string* stream) {
    // central's layout: /<app>/<stream>/<file>.ts
    size_t f = path.rfind('/');
    if (f == std::string_view::npos || f == 0) return false;
    size_t s = path.rfind('/', f - 1);
    if (s == std::string_view::npos) return false;
    *app = std::string(path.substr(1, s - 1));
    *stream = std::string(path.substr(s + 1, f - s - 1));
    return true;
  };
  return p.AdmitPlay(r);
}

std::string A(const std::string& key, const std::string& uri, int64_t expiry = kNow + 600) {
  return auth::Sign(auth::SignType::kA, key, uri, expiry).query;
}

TEST_CASE("RTMP publish on a push domain that requires type A") {
  DomainPolicy p = MakePolicy();
  Admission a = Publish(p, "live", "room?vhost=push.test&" + A("push-key", "/live/room"));
  REQUIRE_MESSAGE(a.ok(), a.status.message());
  CHECK(a.key == live::StreamKey{"push.test", "live", "room"});
  CHECK(Publish(p, "live", "room?" + A("push-key-old", "/live/room")).ok());  // secondary key
  // The auth_key may come with the tcUrl instead of the stream name.
  CHECK(Publish(p, "live", "room", "vhost=push.test&" + A("push-key", "/live/room")).ok());

  struct Bad {
    const char* name;
    std::string stream;
    const char* reason;
  };
  for (const Bad& b : {
           Bad{"missing", "room?vhost=push.test", "missing"},
           Bad{"expired", "room?" + A("push-key", "/live/room", kNow - 1), "expired"},
           Bad{"other stream's token", "room2?" + A("push-key", "/live/room"), "bad_hash"},
           Bad{"wrong key", "room?" + A("pull-key", "/live/room"), "bad_hash"},
           Bad{"malformed", "room?auth_key=123-abc", "malformed"},
       }) {
    CAPTURE(b.name);
    Admission r = Publish(p, "live", b.stream);
    REQUIRE_FALSE(r.ok());
    CHECK(r.reason == b.reason);
    CHECK(r.status.code() == base::Status::Code::kDenied);
    CHECK(r.status.message().find(b.reason) != std::string::npos);
  }
  Admission unknown = Publish(p, "live", "room?vhost=evil.test");
  CHECK(unknown.reason == "unknown_domain");
  CHECK(unknown.status.code() == base::Status::Code::kNotFound);
  CHECK(Publish(p, "live", "room?vhost=pull.test").reason == "publish_denied");
  // Names are still checked once the signature is good.
  CHECK(Publish(p, "live", "ro..om?" + A("push-key", "/live/ro..om")).reason == "publish_denied");
  // Invalid UTF-8 would reach logs, JSON and metric labels as is.
  CHECK(Publish(p, "live", "ro\xff\xfeom?" + A("push-key", "/live/ro\xff\xfeom")).reason == "publish_denied");
  CHECK(Publish(p, "live", "r\xc3\xa9sum\xc3\xa9?" + A("push-key", "/live/r\xc3\xa9sum\xc3\xa9")).ok());
}

TEST_CASE("play: RTMP, FLV and HLS each sign their own URI on the pull domain") {
  DomainPolicy p = MakePolicy();
  Admission rtmp = Play(p, PlayProtocol::kRtmp, "/live/room", A("pull-key", "/live/room"));
  REQUIRE_MESSAGE(rtmp.ok(), rtmp.status.message());
  CHECK(rtmp.key == live::StreamKey{"push.test", "live", "room"});
  Admission flv = Play(p, PlayProtocol::kFlv, "/live/room.flv", "vhost=pull.test&" + A("pull-key", "/live/room.flv"));
  REQUIRE(flv.ok());
  CHECK(flv.key == live::StreamKey{"push.test", "live", "room"});
  CHECK(flv.path == "/live/room.flv");
  REQUIRE(flv.token);
  CHECK(Play(p, PlayProtocol::kFlv, "/live/room.flv", A("pull-key", "/live/room")).reason == "bad_hash");
  CHECK(Play(p, PlayProtocol::kFlv, "/live/room.flv", A("pull-key", "/live/room.flv", kNow - 1)).reason == "expired");
  CHECK(Play(p, PlayProtocol::kFlv, "/live/room.flv", "").reason == "missing");
  CHECK(Play(p, PlayProtocol::kFlv, "/live/room.flv", A("push-key", "/live/room.flv")).reason == "bad_hash");
  // A pull domain without required auth plays freely; unknown domains are 404.
  CHECK(Play(p, PlayProtocol::kFlv, "/live/room.flv", "", "open.test").ok());
  Admission unknown = Play(p, PlayProtocol::kFlv, "/live/room.flv", "", "evil.test");
  CHECK(unknown.reason == "unknown_domain");
  CHECK(unknown.status.code() == base::Status::Code::kNotFound);
  // RTMP: the token may be on the tcUrl (connect) query.
  PlayRequest r;
  r.vhost = "pull.test";
  r.path = "/live/room";
  r.query = "vhost=pull.test";
  r.connect_query = A("pull-key", "/live/room");
  CHECK(p.AdmitPlay(r).ok());
  // Playing on the push domain itself needs the push domain's signature.
  CHECK(Play(p, PlayProtocol::kRtmp, "/live/room", A("pull-key", "/live/room"), "push.test").reason == "bad_hash");
  CHECK(Play(p, PlayProtocol::kRtmp, "/live/room", A("push-key", "/live/room"), "push.test").ok());
}

TEST_CASE("HLS: the playlist's token plays its segments, renditions and adaptive master") {
  DomainPolicy p = MakePolicy();
  const std::string tok = A("pull-key", "/live/room.m3u8");
  Admission pl = Play(p, PlayProtocol::kHls, "/live/room.m3u8", tok);
  REQUIRE_MESSAGE(pl.ok(), pl.status.message());
  REQUIRE(pl.token);
  const std::string seg_uri = auth::CarryToken(*pl.token, "room/s1-7.ts");
  const std::string seg_query = seg_uri.substr(seg_uri.find('?') + 1);
  Admission seg = Play(p, PlayProtocol::kHlsSegment, "/live/room/s1-7.ts", seg_query);
  REQUIRE_MESSAGE(seg.ok(), seg.status.message());
  CHECK(seg.key == live::StreamKey{"push.test", "live", "room"});
  CHECK(Play(p, PlayProtocol::kHlsSegment, "/live/other/s1-7.ts", seg_query).reason == "bad_hash");
  CHECK(Play(p, PlayProtocol::kHlsSegment, "/live/room/s1-7.ts", "").reason == "missing");
  CHECK(Play(p, PlayProtocol::kHlsSegment, "/nosegment", tok).reason == "play_denied");
  // Adaptive: the master's token plays the renditions (templates of the push domain) and the source.
  const std::string master = A("pull-key", "/live/room_abr.m3u8");
  CHECK(Play(p, PlayProtocol::kHls, "/live/room_abr.m3u8", master).ok());
  CHECK(Play(p, PlayProtocol::kHls, "/live/room_sd.m3u8", master).ok());
  CHECK(Play(p, PlayProtocol::kHls, "/live/room.m3u8", master).ok());
  CHECK(Play(p, PlayProtocol::kHlsSegment, "/live/room_sd/s1-3.ts", master).ok());
  // ... but not a stream that merely shares a prefix, nor FLV.
  CHECK(Play(p, PlayProtocol::kHls, "/live/room_backup.m3u8", master).reason == "bad_hash");
  CHECK(Play(p, PlayProtocol::kFlv, "/live/room.flv", tok).reason == "bad_hash");
}

TEST_CASE("types B and C: the token prefix is stripped to find the stream") {
  DomainPolicy p = MakePolicy("B", "C");
  // ffmpeg: rtmp://host/<time>/<hash>/live/room -> app "<time>", stream "<hash>/live/room".
  auth::SignedUri b = auth::Sign(auth::SignType::kB, "push-key", "/live/room", kNow);
  const size_t cut = b.path.find('/', 1);
  Admission a = Publish(p, b.path.substr(1, cut - 1), b.path.substr(cut + 1) + "?vhost=push.test");
  REQUIRE_MESSAGE(a.ok(), a.status.message());
  CHECK(a.key == live::StreamKey{"push.test", "live", "room"});
  CHECK(Publish(p, "live", "room?vhost=push.test").reason == "missing");
  CHECK(Publish(p, "live", "room?vhost=push.test&" + A("pull-key", "/live/room")).reason == "bad_hash");

  auth::SignedUri c = auth::Sign(auth::SignType::kC, "pull-key", "/live/room.flv", kNow);
  Admission flv = Play(p, PlayProtocol::kFlv, c.path, "vhost=pull.test");
  REQUIRE_MESSAGE(flv.ok(), flv.status.message());
  CHECK(flv.key == live::StreamKey{"push.test", "live", "room"});
  CHECK(flv.path == "/live/room.flv");
  CHECK(Play(p, PlayProtocol::kFlv, "/live/room.flv", A("pull-key", "/live/room.flv")).reason == "wrong_type");
  p.SetClock([] { return kNow + auth::kDefaultTtlSeconds + 1; });
  CHECK(Play(p, PlayProtocol::kFlv, c.path, "").reason == "expired");
}

TEST_CASE("upstream tokens: what an edge signs, central accepts") {
  DomainPolicy edge = MakePolicy("B");
  DomainPolicy central = MakePolicy("B");
  const live::StreamKey key{"push.test", "live", "room"};
  const std::string q = edge.UpstreamAuthQuery(key, "/live/room");
  REQUIRE_FALSE(q.empty());
  // The relayed publish and the pull, both on the push domain, with a type A token on a B domain.
  CHECK(Publish(central, "live", "room?vhost=push.test&" + q).ok());
  CHECK(Play(central, PlayProtocol::kRtmp, "/live/room", "vhost=push.test&" + q, "push.test").ok());
  // Only push domains take it, and only with their keys.
  CHECK(Play(central, PlayProtocol::kRtmp, "/live/room2", q, "push.test").reason == "bad_hash");
  DomainPolicy open(auth::DomainTable{});
  CHECK(open.UpstreamAuthQuery(key, "/live/room").empty());
  CHECK(open.AdmitPlay(PlayRequest{PlayProtocol::kRtmp, "any.test", "/live/room", "", "", nullptr}).ok());
}

}  // namespace
}  // namespace cdn::net
