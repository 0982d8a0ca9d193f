// Tests for lib/rtmp/stream_name: how app, host, vhost and query come out of connect's tcUrl and
// app and out of the publish/play stream name (tcUrl host, ?vhost= / ?domain= on the tcUrl, on
// the app and on the stream name), table-driven.
#include "lib/rtmp/stream_name.h"

#include <doctest/doctest.h>

#include <string>

namespace cdn::rtmp {
namespace {

ConnectInfo Resolve(const std::string& app, const std::string& tc_url) {
  ConnectInfo c;
  c.app = app;
  c.tc_url = tc_url;
  ResolveConnect(&c);
  return c;
}

TEST_CASE("connect: app, host, vhost and query") {
  struct Case {
    std::string app, tc_url;
    std::string want_app, want_host, want_vhost, want_query;
  };
  const Case cases[] = {
      // Plain: the vhost is the tcUrl host, lower-cased, without the port.
      {"live", "rtmp://Push.Example.COM:1935/live", "live", "push.example.com", "push.example.com", ""},
      {"live", "rtmp://push.example.com/live", "live", "push.example.com", "push.example.com", ""},
      // By IP with ?vhost= on the tcUrl (SRS style).
      {"live", "rtmp://127.0.0.1:19350/live?vhost=Push.Example.com", "live", "127.0.0.1", "push.example.com",
       "vhost=Push.Example.com"},
      // ?vhost= on the app (ffmpeg puts the query in both; the tcUrl one comes first).
      {"live?vhost=a.com&auth_key=1-2-3-4", "rtmp://1.2.3.4/live", "live", "1.2.3.4", "a.com",
       "vhost=a.com&auth_key=1-2-3-4"},
      {"live?vhost=app.com", "rtmp://1.2.3.4/live?vhost=url.com", "live", "1.2.3.4", "url.com",
       "vhost=url.com&vhost=app.com"},
      // ?domain= is accepted too; vhost wins over domain.
      {"live", "rtmp://1.2.3.4/live?domain=D.com", "live", "1.2.3.4", "d.com", "domain=D.com"},
      {"live", "rtmp://1.2.3.4/live?domain=d.com&vhost=v.com", "live", "1.2.3.4", "v.com", "domain=d.com&vhost=v.com"},
      // Percent-encoded vhost.
      {"live", "rtmp://1.2.3.4/live?vhost=a%2Eb.com", "live", "1.2.3.4", "a.b.com", "vhost=a%2Eb.com"},
      // Trailing slashes on the app are dropped.
      {"live/", "rtmp://h/live/", "live", "h", "h", ""},
      {"live//", "rtmp://h/live", "live", "h", "h", ""},
      // IPv6 host.
      {"live", "rtmp://[::1]:1935/live", "live", "::1", "::1", ""},
      // No usable tcUrl: no host; the app query still names the vhost.
      {"live", "", "live", "", "", ""},
      {"live?vhost=x.com", "not a url", "live", "", "x.com", "vhost=x.com"},
      // Nested app names stay whole.
      {"live/sub", "rtmp://h/live/sub", "live/sub", "h", "h", ""},
  };
  for (const Case& c : cases) {
    CAPTURE(c.app);
    CAPTURE(c.tc_url);
    ConnectInfo got = Resolve(c.app, c.tc_url);
    CHECK(got.app == c.want_app);
    CHECK(got.host == c.want_host);
    CHECK(got.vhost == c.want_vhost);
    CHECK(got.query == c.want_query);
    CHECK(got.tc_url == c.tc_url);
  }
}

TEST_CASE("stream name: name, query, and a vhost that overrides the connect one") {
  struct Case {
    std::string raw;
    std::string want_name, want_query, want_vhost;
  };
  const Case cases[] = {
      {"room", "room", "", "push.example.com"},
      {"room?auth_key=1-2-3-abc", "room", "auth_key=1-2-3-abc", "push.example.com"},
      {"room?vhost=Other.com&auth_key=k", "room", "vhost=Other.com&auth_key=k", "other.com"},
      {"room?domain=ignored.com", "room", "domain=ignored.com", "push.example.com"},
      {"room?", "room", "", "push.example.com"},
      {"a?b?c", "a", "b?c", "push.example.com"},
      {"room_sd", "room_sd", "", "push.example.com"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.raw);
    ConnectInfo conn = Resolve("live", "rtmp://push.example.com/live");
    StreamRequest req;
    ResolveStreamName(c.raw, &req, &conn);
    CHECK(req.raw == c.raw);
    CHECK(req.name == c.want_name);
    CHECK(req.query == c.want_query);
    CHECK(conn.vhost == c.want_vhost);
  }
}

TEST_CASE("stream name without a query inherits the connect query (auth_key on the tcUrl)") {
  ConnectInfo conn = Resolve("live?auth_key=k1", "rtmp://push.example.com/live?auth_key=k1");
  StreamRequest req;
  ResolveStreamName("room", &req, &conn);
  CHECK(req.name == "room");
  CHECK(req.query == conn.query);
  CHECK(req.query.find("auth_key=k1") != std::string::npos);
  // A stream query of its own is kept as is.
  StreamRequest own;
  ResolveStreamName("room?auth_key=k2", &own, &conn);
  CHECK(own.query == "auth_key=k2");
}

TEST_CASE("stream request defaults") {
  StreamRequest r;
  CHECK(r.start == -2);
  CHECK(r.duration == -1);
  CHECK(r.reset);
}

}  // namespace
}  // namespace cdn::rtmp
