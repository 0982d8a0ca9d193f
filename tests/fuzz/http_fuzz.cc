// libFuzzer target: arbitrary text -> the URL pieces every protocol parses from the network
// (lib/http/query.h: query strings, percent-decoding, URL splitting; lib/http/range.h: Range
// headers) and the RTMP names built on them (lib/rtmp/stream_name.h: tcUrl, app, stream name).
// The last 8 bytes are an object size for ParseRange (FuzzedDataProvider). Properties:
// PercentDecode undoes PercentEncode; a parsed URL has a host, a path from '/', a valid port; a
// satisfiable range lies inside the object.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "lib/http/query.h"
#include "lib/http/range.h"
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
  return 0;
}
