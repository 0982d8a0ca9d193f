// libFuzzer target: what the edge and central do to HLS text and paths they did not write:
// HlsProxy::RewritePlaylist (the per-viewer query on each URI line), auth::CarryTokenInPlaylist
// (a verified token onto every URI, RFC 8216 URI lines and URI="..." attributes), the request
// path split of lib/net/hls_request.h, and DomainPolicy::CheckNames. The first field
// (FuzzedDataProvider) is the viewer query / path, the rest the playlist. Properties: rewriting
// keeps one output line per input line.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "cache-edge/hls_proxy.h"
#include "lib/auth/url_signer.h"
#include "lib/net/domain_policy.h"
#include "lib/net/hls_request.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

namespace auth = cdn::auth;

size_t Lines(std::string_view s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')) + (!s.empty() && s.back() != '\n' ? 1 : 0);
}

// A verified token of each signing type, as DomainPolicy holds after checking a playlist request.
const std::vector<auth::Token>& Tokens() {
  static const std::vector<auth::Token> tokens = [] {
    std::vector<auth::Token> out;
    for (auth::SignType type : {auth::SignType::kA, auth::SignType::kB, auth::SignType::kC}) {
      const auth::SignedUri s = auth::Sign(type, "secret", "/live/room.m3u8", 1700000000, "r-a-n-d", "7");
      auth::Token t;
      FUZZ_CHECK(auth::ParseToken(type, s.path, s.query, &t).ok());
      out.push_back(t);
    }
    return out;
  }();
  return tokens;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider fdp(data, size);
  // A raw HTTP query: the request line ends at LF, so it holds none (RFC 9112 3).
  std::string query = fdp.ConsumeRandomLengthString(512);
  query.erase(std::remove(query.begin(), query.end(), '\n'), query.end());
  const std::string playlist = fdp.ConsumeRemainingBytesAsString();

  const std::string rewritten = cdn::edge::HlsProxy::RewritePlaylist(playlist, query);
  FUZZ_CHECK(static_cast<size_t>(std::count(rewritten.begin(), rewritten.end(), '\n')) == Lines(playlist));

  const auto newlines = std::count(playlist.begin(), playlist.end(), '\n');
  for (const auth::Token& t : Tokens()) {
    const std::string carried = auth::CarryTokenInPlaylist(t, playlist);
    FUZZ_CHECK(std::count(carried.begin(), carried.end(), '\n') == newlines);
    (void)auth::CarryToken(t, query);
  }

  // The query field doubles as a request path.
  std::string app, stream, file;
  if (cdn::net::SplitSegmentPath(query, &app, &stream, &file)) {
    FUZZ_CHECK(!app.empty() && !stream.empty() && file.size() > 3);
  }
  bool is_playlist = false;
  (void)cdn::net::IsHlsPath(query, &is_playlist);
  (void)cdn::net::DomainPolicy::CheckNames(query, playlist.substr(0, 256));
  return 0;
}
