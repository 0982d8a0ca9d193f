// libFuzzer target: arbitrary text -> the URL pieces every protocol parses from the network
// (lib/http/query.h: query strings, percent-decoding, URL splitting; lib/http/range.h: Range
// headers), the RTMP names built on them (lib/rtmp/stream_name.h: tcUrl, app, stream name) and
// the HTTP-FLV/HLS request path split (FlvServer::SplitStreamPath, then DomainPolicy::AdmitPlay,
// which splits the same path again and decides what is served).
// The last 8 bytes are an object size for ParseRange (FuzzedDataProvider). Properties:
// PercentDecode undoes PercentEncode; a parsed URL has a host, a path from '/', a valid port; a
// satisfiable range lies inside the object; a split path starts with '/', ends in the suffix,
// gives a non-empty app and stream, and is the inverse of joining them percent-encoded; the
// policy agrees with the split (same app/stream, refuses what does not split) and admits only
// names with no '/' in the stream, no "..", no backslash, no control characters, valid UTF-8.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "lib/base/utf8.h"
#include "lib/http/query.h"
#include "lib/http/range.h"
#include "lib/net/domain_policy.h"
#include "lib/net/flv_server.h"
#include "lib/rtmp/stream_name.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

namespace http = cdn::http;

void Query(const std::string& s) {
  const http::QueryParams q = http::ParseQuery(s);
  (void)http::QueryGet(q, "auth_key");
  const std::string without = http::QueryWithout(s, {"auth_key", "vhost"});
  FUZZ_CHECK(without.size() <= s.size());
  for (const auto& [k, v] : http::ParseQuery(without)) {
    (void)k;
    (void)v;
  }
  for (bool plus : {false, true}) {
    if (auto d = http::PercentDecode(s, plus)) FUZZ_CHECK(d->size() <= s.size());
  }
  FUZZ_CHECK(http::PercentDecode(http::PercentEncode(s)) == s);
  (void)http::SplitQuery(s);
}

void Url(const std::string& s) {
  auto u = http::ParseUrl(s);
  (void)http::IsIpLiteral(s);
  if (!u) return;
  FUZZ_CHECK(!u->scheme.empty() && !u->host.empty());
  FUZZ_CHECK(!u->path.empty() && u->path[0] == '/');
  FUZZ_CHECK(u->port >= -1 && u->port <= 65535);
  FUZZ_CHECK(http::ToLower(u->host) == u->host);
  (void)http::IsIpLiteral(u->host);
}

void Range(const std::string& s, uint64_t size) {
  const http::ByteRange r = http::ParseRange(s, size);
  (void)r.ContentRange(size);
  if (r.kind == http::ByteRange::Kind::kRange) {
    FUZZ_CHECK(r.first <= r.last && r.last < size);
    FUZZ_CHECK(r.length() >= 1 && r.length() <= size);
  }
}

void RtmpNames(const std::string& s) {
  // The same text as tcUrl, app and stream name, as a hostile client could send them.
  cdn::rtmp::ConnectInfo conn;
  conn.tc_url = s;
  conn.app = s;
  cdn::rtmp::ResolveConnect(&conn);
  FUZZ_CHECK(conn.app.find('?') == std::string::npos);
  cdn::rtmp::StreamRequest req;
  cdn::rtmp::ResolveStreamName(s, &req, &conn);
  FUZZ_CHECK(req.name.size() <= s.size() && req.name.find('?') == std::string::npos);
}

// What a served name may hold (DomainPolicy::CheckNames): checked on every admitted play.
void CheckServedName(const std::string& s, bool is_stream) {
  FUZZ_CHECK(!s.empty() && s.size() <= 256);
  FUZZ_CHECK(s != "." && s.find("..") == std::string::npos);
  FUZZ_CHECK(cdn::base::IsValidUtf8(s));
  for (unsigned char c : s) {
    FUZZ_CHECK(c >= 0x20 && c != 0x7f && c != '\\');
    FUZZ_CHECK(!is_stream || c != '/');
  }
}

// An open domain table: every vhost is its own push domain, no signatures, so AdmitPlay only
// splits the path and checks the names.
cdn::net::DomainPolicy& Policy() {
  static cdn::net::DomainPolicy policy{cdn::auth::DomainTable{}};
  return policy;
}

void StreamPath(const std::string& path, std::string_view suffix, cdn::net::PlayProtocol protocol) {
  using cdn::net::FlvServer;
  std::string app = "unset", stream = "unset";
  const bool split = FlvServer::SplitStreamPath(path, suffix, &app, &stream);
  cdn::net::PlayRequest req;
  req.protocol = protocol;
  req.vhost = "fuzz.example.com";
  req.path = path;
  const cdn::net::Admission admitted = Policy().AdmitPlay(req);
  if (!split) {
    FUZZ_CHECK(app == "unset" && stream == "unset");  // outputs untouched on failure
    FUZZ_CHECK(!admitted.ok());                        // nothing is served from a path that does not split
    return;
  }
  FUZZ_CHECK(path.size() > suffix.size() + 3 && path.front() == '/');
  FUZZ_CHECK(path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0);
  FUZZ_CHECK(!app.empty() && !stream.empty());
  FUZZ_CHECK(app.size() <= path.size() && stream.size() <= path.size());
  // The raw stream piece (after the last '/') holds no '/'; a decoded one may ("%2F"), and the
  // policy refuses that below.
  // Joining the pieces percent-encoded gives a path that splits back to the same names.
  std::string app2, stream2;
  FUZZ_CHECK(FlvServer::SplitStreamPath("/" + cdn::http::PercentEncode(app) + "/" + cdn::http::PercentEncode(stream) +
                                            std::string(suffix),
                                        suffix, &app2, &stream2));
  FUZZ_CHECK(app2 == app && stream2 == stream);
  // The policy splits the same way and admits exactly the names CheckNames accepts.
  const bool names_ok = cdn::net::DomainPolicy::CheckNames(app, stream).ok();
  FUZZ_CHECK(admitted.ok() == names_ok);
  if (admitted.ok()) {
    FUZZ_CHECK(admitted.key.app == app && admitted.key.name == stream);
    FUZZ_CHECK(admitted.key.vhost == req.vhost);
    CheckServedName(app, false);
    CheckServedName(stream, true);
  }
}

void StreamPaths(const std::string& s) {
  using cdn::net::PlayProtocol;
  StreamPath(s, ".flv", PlayProtocol::kFlv);
  StreamPath(s, ".m3u8", PlayProtocol::kHls);
  // The same text as the inside of a request path, so most inputs reach the split itself.
  StreamPath("/" + s + ".flv", ".flv", PlayProtocol::kFlv);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  FuzzedDataProvider fdp(data, size);
  const uint64_t object_size = fdp.ConsumeIntegral<uint64_t>() >> (data[0] % 64);  // small sizes too
  const std::string s = fdp.ConsumeRemainingBytesAsString();
  Query(s);
  Url(s);
  Range(s, object_size);
  RtmpNames(s);
  StreamPaths(s);
  return 0;
}
