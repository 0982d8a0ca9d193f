// libFuzzer target: signed-URL handling (lib/auth/url_signer.h, Alibaba Cloud types A, B, C).
// Arbitrary request paths and queries go through ParseToken / CheckToken / Verify for each
// type and, when a token parses, CarryToken onto arbitrary URIs and playlists. And a
// fuzzer-chosen URI, key and time signed with Sign() must verify at that time, and be refused as
// expired after it and as a bad hash under another key. Fields come from FuzzedDataProvider.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "lib/auth/url_signer.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

namespace auth = cdn::auth;

bool IsLowerHash(const std::string& h) {
  if (h.size() != 32) return false;
  for (char c : h) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

void ParseRequest(auth::SignType type, const std::string& path, const std::string& query, const std::string& key,
                  int64_t now) {
  auth::Token t;
  const auth::AuthStatus st = auth::ParseToken(type, path, query, &t);
  (void)st.label();
  auth::DomainAuth domain;
  domain.type = std::string(auth::SignTypeName(type));
  domain.key = key;
  domain.key2 = "secondary";
  (void)auth::Verify(domain, path, query, now);
  if (!st.ok()) return;
  FUZZ_CHECK(t.type == type && IsLowerHash(t.hash));
  if (type != auth::SignType::kA) FUZZ_CHECK(t.raw + t.path == path);  // the prefix, then the real path
  (void)auth::CheckToken(t, t.path, auth::VerifyKeys{key, "secondary"}, now);
  (void)auth::FormatUnixTime(t.time);
  (void)auth::CarryToken(t, query);
  const std::string carried = auth::CarryTokenInPlaylist(t, query);
  (void)carried;
}

void RoundTrip(auth::SignType type, const std::string& key, std::string uri, int64_t time, const std::string& rand,
               const std::string& uid) {
  if (key.empty()) return;  // an empty key never matches, by design
  const auth::SignedUri s = auth::Sign(type, key, uri, time, rand, uid);
  auth::DomainAuth domain;
  domain.type = std::string(auth::SignTypeName(type));
  domain.key = key;
  auth::Token t;
  const auth::AuthStatus ok = auth::Verify(domain, s.path, s.query, time, &t);
  if (!ok.ok()) std::fprintf(stderr, "%s?%s: %s\n", s.path.c_str(), s.query.c_str(), ok.message().c_str());
  FUZZ_CHECK(ok.ok());
  FUZZ_CHECK(t.path == uri);
  // A: valid until `time`; B, C: until the signing time (to the minute for B) + the TTL.
  const int64_t late = type == auth::SignType::kA ? time + 1 : time + auth::kDefaultTtlSeconds + 60;
  FUZZ_CHECK(auth::Verify(domain, s.path, s.query, late).error() == auth::AuthError::kExpired);
  domain.key = key + "x";
  FUZZ_CHECK(auth::Verify(domain, s.path, s.query, time).error() == auth::AuthError::kBadHash);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider fdp(data, size);
  const auto type = static_cast<auth::SignType>(fdp.ConsumeIntegralInRange<int>(0, 2));
  const int64_t time = fdp.ConsumeIntegralInRange<int64_t>(0, 4102444800);  // up to 2100-01-01
  const std::string key = fdp.ConsumeRandomLengthString(64);
  const std::string rand = fdp.ConsumeRandomLengthString(128);
  const std::string uid = fdp.ConsumeRandomLengthString(128);
  const std::string path = fdp.ConsumeRandomLengthString(1024);
  const std::string query = fdp.ConsumeRemainingBytesAsString();

  for (auth::SignType t : {auth::SignType::kA, auth::SignType::kB, auth::SignType::kC}) {
    ParseRequest(t, path, query, key, time);
  }
  // Sign() takes a URI from '/', without a query.
  std::string uri = "/" + path.substr(0, path.find('?'));
  RoundTrip(type, key, uri, time, rand, uid);
  return 0;
}
