// Tests for lib/auth/url_signer: Alibaba's published vectors for A, B and C; a table of cases
// per type (valid, boundary, expired, tampered hash or path, wrong key, secondary key, missing,
// malformed, wrong type); the B time format; HLS token carrying; random input never crashes.
#include "lib/auth/url_signer.h"

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "lib/base/crypto.h"

namespace cdn::auth {
namespace {

DomainAuth Auth(std::string type, std::string key, std::string key2 = "") {
  DomainAuth a;
  a.type = std::move(type);
  a.key = std::move(key);
  a.key2 = std::move(key2);
  a.required = true;
  return a;
}

// Splits a signed "path?query" back into what a server sees.
AuthStatus VerifyUrl(const DomainAuth& a, const SignedUri& u, int64_t now, Token* t = nullptr) {
  return Verify(a, u.path, u.query, now, t);
}

TEST_CASE("Alibaba's published vectors") {
  CHECK(base::Md5Hex("/video/standard/1K.html-1444435200-0-0-aliyuncdnexp1234") == "80cd3862d699b7118eed99103f2a3a4f");

  // Type A (DESIGN.md): the timestamp is the expiry.
  SignedUri a = Sign(SignType::kA, "aliyuncdnexp1234", "/video/standard/1K.html", 1444435200);
  CHECK(a.path == "/video/standard/1K.html");
  CHECK(a.query == "auth_key=1444435200-0-0-80cd3862d699b7118eed99103f2a3a4f");
  Token t;
  CHECK(Verify(Auth("A", "aliyuncdnexp1234"), a.path, a.query, 1444435200, &t).ok());
  CHECK(t.path == "/video/standard/1K.html");

  // Type B (Alibaba "Type B signing"): md5("aliyuncdnexp1234" "201508150800" "/4/44/...mp3").
  const auto b_time = ParseTypeBTime("201508150800");
  REQUIRE(b_time);
  CHECK(*b_time == 1439596800);  // 2015-08-15 08:00 UTC+8 = 00:00 UTC
  SignedUri b = Sign(SignType::kB, "aliyuncdnexp1234", "/4/44/44c0909bcfc20a01afaf256ca99a8b8b.mp3", *b_time);
  CHECK(b.path == "/201508150800/9044548ef1527deadafa49a890a377f0/4/44/44c0909bcfc20a01afaf256ca99a8b8b.mp3");
  CHECK(b.query.empty());
  CHECK(Verify(Auth("B", "aliyuncdnexp1234"), b.path, "", *b_time + 60, &t).ok());
  CHECK(t.path == "/4/44/44c0909bcfc20a01afaf256ca99a8b8b.mp3");

  // Type C (Alibaba "Type C signing", format 1): md5("aliyuncdnexp1234" "/test.flv" "55CE8100").
  SignedUri c = Sign(SignType::kC, "aliyuncdnexp1234", "/test.flv", 0x55CE8100);
  CHECK(c.path == "/a37fa50a5fb8f71214b1e7c95ec7a1bd/55CE8100/test.flv");
  CHECK(Verify(Auth("C", "aliyuncdnexp1234"), c.path, "", 0x55CE8100, &t).ok());
  CHECK(t.path == "/test.flv");
  CHECK(t.raw == "/a37fa50a5fb8f71214b1e7c95ec7a1bd/55CE8100");
  // The hex time is hashed as sent: lower case is a different (still valid if signed so) URL.
  CHECK(Verify(Auth("C", "aliyuncdnexp1234"), "/a37fa50a5fb8f71214b1e7c95ec7a1bd/55ce8100/test.flv", "", 0x55CE8100)
            .error() == AuthError::kBadHash);
  // An upper-case md5hash is read as the same hash.
  CHECK(Verify(Auth("C", "aliyuncdnexp1234"), "/A37FA50A5FB8F71214B1E7C95EC7A1BD/55CE8100/test.flv", "", 0x55CE8100).ok());
}

struct Case {
  const char* name;
  std::string path, query;
  int64_t now;
  std::optional<AuthError> want;  // nullopt = valid
  std::string real_path = "";     // on success
};

void RunTable(const DomainAuth& auth, const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    CAPTURE(auth.type);
    CAPTURE(c.name);
    CAPTURE(c.path);
    CAPTURE(c.query);
    Token t;
    AuthStatus st = Verify(auth, c.path, c.query, c.now, &t);
    if (!c.want) {
      CHECK_MESSAGE(st.ok(), st.message());
      CHECK(t.path == c.real_path);
    } else {
      REQUIRE_FALSE(st.ok());
      CHECK(AuthErrorLabel(st.error()) == AuthErrorLabel(*c.want));
      CHECK(st.label() == AuthErrorLabel(*c.want));
      CHECK_FALSE(st.message().empty());
    }
  }
}

constexpr int64_t kNow = 1700000000;  // 2023-11-14T22:13:20Z
const std::string kUri = "/live/room.flv";

TEST_CASE("type A table") {
  const DomainAuth auth = Auth("A", "primary-secret", "secondary-secret");
  const int64_t exp = kNow + 3600;
  SignedUri ok = Sign(SignType::kA, "primary-secret", kUri, exp, "477b3bbc253f467b8def6711128c7bec", "0");
  SignedUri second = Sign(SignType::kA, "secondary-secret", kUri, exp);
  SignedUri other = Sign(SignType::kA, "someone-else", kUri, exp);
  SignedUri old = Sign(SignType::kA, "primary-secret", kUri, kNow - 1);
  std::string tampered = ok.query;
  tampered.back() = tampered.back() == '0' ? '1' : '0';
  const std::string hash = ok.query.substr(ok.query.size() - 32);
  RunTable(auth, {
      {"valid", ok.path, ok.query, kNow, std::nullopt, kUri},
      {"valid with other params around", ok.path, "vhost=pull.test&" + ok.query + "&x=1", kNow, std::nullopt, kUri},
      {"valid at the expiry second", ok.path, ok.query, exp, std::nullopt, kUri},
      {"expired one second later", ok.path, ok.query, exp + 1, AuthError::kExpired},
      {"expired", old.path, old.query, kNow, AuthError::kExpired},
      {"secondary key", second.path, second.query, kNow, std::nullopt, kUri},
      {"wrong key", other.path, other.query, kNow, AuthError::kBadHash},
      {"tampered hash", ok.path, tampered, kNow, AuthError::kBadHash},
      {"tampered path", "/live/other.flv", ok.query, kNow, AuthError::kBadHash},
      {"tampered expiry", ok.path, "auth_key=" + std::to_string(exp + 1) + "-477b3bbc253f467b8def6711128c7bec-0-" + hash,
       kNow, AuthError::kBadHash},
      {"tampered uid", ok.path, "auth_key=" + std::to_string(exp) + "-477b3bbc253f467b8def6711128c7bec-1-" + hash, kNow,
       AuthError::kBadHash},
      {"missing", kUri, "", kNow, AuthError::kMissing},
      {"missing, other params", kUri, "vhost=pull.test&auth=1", kNow, AuthError::kMissing},
      {"empty", kUri, "auth_key=", kNow, AuthError::kMalformed},
      {"three fields", kUri, "auth_key=1-0-" + hash, kNow, AuthError::kMalformed},
      {"five fields (rand with '-')", kUri, "auth_key=" + std::to_string(exp) + "-a-b-0-" + hash, kNow, AuthError::kMalformed},
      {"timestamp not decimal", kUri, "auth_key=12ab-0-0-" + hash, kNow, AuthError::kMalformed},
      {"timestamp overflow", kUri, "auth_key=99999999999999999999-0-0-" + hash, kNow, AuthError::kMalformed},
      {"negative timestamp", kUri, "auth_key=-1-0-0-" + hash, kNow, AuthError::kMalformed},
      {"short hash", kUri, "auth_key=" + std::to_string(exp) + "-0-0-abc", kNow, AuthError::kMalformed},
      {"non-hex hash", kUri, "auth_key=" + std::to_string(exp) + "-0-0-" + std::string(32, 'z'), kNow, AuthError::kMalformed},
      {"huge", kUri, "auth_key=" + std::string(4000, '1'), kNow, AuthError::kMalformed},
      {"type B token", Sign(SignType::kB, "primary-secret", kUri, kNow).path, "", kNow, AuthError::kWrongType},
      {"type C token", Sign(SignType::kC, "primary-secret", kUri, kNow).path, "", kNow, AuthError::kWrongType},
  });
}

TEST_CASE("type B table") {
  const DomainAuth auth = Auth("B", "primary-secret", "secondary-secret");
  SignedUri ok = Sign(SignType::kB, "primary-secret", kUri, kNow);
  const int64_t signed_at = *ParseTypeBTime(ok.path.substr(1, 12));
  CHECK(signed_at <= kNow);
  CHECK(kNow - signed_at < 60);  // floored to the minute
  SignedUri second = Sign(SignType::kB, "secondary-secret", kUri, kNow);
  SignedUri other = Sign(SignType::kB, "someone-else", kUri, kNow);
  std::string tampered = ok.path;
  tampered[20] = tampered[20] == '0' ? '1' : '0';
  const std::string prefix = ok.path.substr(0, ok.path.size() - kUri.size());
  RunTable(auth, {
      {"valid", ok.path, "", kNow, std::nullopt, kUri},
      {"valid with a query", ok.path, "vhost=pull.test", kNow, std::nullopt, kUri},
      {"valid at the end of the ttl", ok.path, "", signed_at + kDefaultTtlSeconds, std::nullopt, kUri},
      {"expired after the ttl", ok.path, "", signed_at + kDefaultTtlSeconds + 1, AuthError::kExpired},
      {"secondary key", second.path, "", kNow, std::nullopt, kUri},
      {"wrong key", other.path, "", kNow, AuthError::kBadHash},
      {"tampered hash", tampered, "", kNow, AuthError::kBadHash},
      {"tampered path", prefix + "/live/other.flv", "", kNow, AuthError::kBadHash},
      {"tampered time", "/" + FormatTypeBTime(kNow + 3600) + ok.path.substr(13), "", kNow, AuthError::kBadHash},
      {"missing", kUri, "", kNow, AuthError::kMissing},
      {"missing, deep path", "/a/b/c/room.flv", "", kNow, AuthError::kMissing},
      {"month 13", "/202313011200" + ok.path.substr(13), "", kNow, AuthError::kMalformed},
      {"february 30", "/202302301200" + ok.path.substr(13), "", kNow, AuthError::kMalformed},
      {"11 digits", "/20231114221" + ok.path.substr(13), "", kNow, AuthError::kMalformed},
      {"short hash", "/" + ok.path.substr(1, 12) + "/abc" + kUri, "", kNow, AuthError::kMalformed},
      {"auth_key instead", kUri, Sign(SignType::kA, "primary-secret", kUri, kNow + 60).query, kNow, AuthError::kWrongType},
      {"type C token", Sign(SignType::kC, "primary-secret", kUri, kNow).path, "", kNow, AuthError::kWrongType},
  });
  // A custom TTL (the domain's) moves the expiry.
  Token t;
  REQUIRE(ParseToken(SignType::kB, ok.path, "", &t).ok());
  CHECK(CheckToken(t, t.path, {"primary-secret", "", 60}, signed_at + 60).ok());
  CHECK(CheckToken(t, t.path, {"primary-secret", "", 60}, signed_at + 61).error() == AuthError::kExpired);
}

TEST_CASE("type C table") {
  const DomainAuth auth = Auth("C", "primary-secret", "secondary-secret");
  SignedUri ok = Sign(SignType::kC, "primary-secret", kUri, kNow);
  SignedUri second = Sign(SignType::kC, "secondary-secret", kUri, kNow);
  SignedUri other = Sign(SignType::kC, "someone-else", kUri, kNow);
  std::string tampered = ok.path;
  tampered[5] = tampered[5] == '0' ? '1' : '0';
  const std::string hash = ok.path.substr(1, 32);
  RunTable(auth, {
      {"valid", ok.path, "", kNow, std::nullopt, kUri},
      {"valid at the end of the ttl", ok.path, "", kNow + kDefaultTtlSeconds, std::nullopt, kUri},
      {"expired after the ttl", ok.path, "", kNow + kDefaultTtlSeconds + 1, AuthError::kExpired},
      {"secondary key", second.path, "", kNow, std::nullopt, kUri},
      {"wrong key", other.path, "", kNow, AuthError::kBadHash},
      {"tampered hash", tampered, "", kNow, AuthError::kBadHash},
      {"tampered path", "/" + hash + "/6553F100/live/other.flv", "", kNow, AuthError::kBadHash},
      {"missing", kUri, "", kNow, AuthError::kMissing},
      {"hex time not hex", "/" + hash + "/6553G100" + kUri, "", kNow, AuthError::kMalformed},
      {"hex time too long", "/" + hash + "/" + std::string(20, 'F') + kUri, "", kNow, AuthError::kMalformed},
      {"nothing after the time", "/" + hash + "/6553F100", "", kNow, AuthError::kMissing},
      {"auth_key instead", kUri, Sign(SignType::kA, "primary-secret", kUri, kNow + 60).query, kNow, AuthError::kWrongType},
      {"type B token", Sign(SignType::kB, "primary-secret", kUri, kNow).path, "", kNow, AuthError::kWrongType},
  });
}

TEST_CASE("keys: empty keys never match, the secondary is reported, unknown domain type") {
  SignedUri u = Sign(SignType::kA, "", kUri, kNow + 60);  // signed with an empty key
  CHECK(VerifyUrl(Auth("A", ""), u, kNow).error() == AuthError::kBadHash);
  CHECK(VerifyUrl(Auth("A", "k1", ""), u, kNow).error() == AuthError::kBadHash);
  Token t;
  REQUIRE(ParseToken(SignType::kA, kUri, Sign(SignType::kA, "k2", kUri, kNow + 60).query, &t).ok());
  bool secondary = false;
  CHECK(CheckToken(t, t.path, {"k1", "k2"}, kNow, &secondary).ok());
  CHECK(secondary);
  CHECK(CheckToken(t, t.path, {"k2", "k1"}, kNow, &secondary).ok());
  CHECK_FALSE(secondary);
  CHECK(VerifyUrl(Auth("D", "k1"), u, kNow).error() == AuthError::kWrongType);
  // The message of an expiry says when.
  AuthStatus st = VerifyUrl(Auth("A", "k"), Sign(SignType::kA, "k", kUri, 1444435200), 1444435260);
  CHECK(st.message().find("expired at 2015-10-10T00:00:00Z (1444435200)") != std::string::npos);
}

TEST_CASE("type B time: UTC+8, minutes, calendar checks") {
  CHECK(FormatTypeBTime(0) == "197001010800");
  CHECK(ParseTypeBTime("197001010800") == 0);
  CHECK(ParseTypeBTime("202402291200"));  // leap day
  CHECK_FALSE(ParseTypeBTime("202302291200"));
  CHECK_FALSE(ParseTypeBTime("210002291200"));  // 2100 is not a leap year
  CHECK(ParseTypeBTime("200002291200"));        // 2000 is
  CHECK_FALSE(ParseTypeBTime("202401012400"));
  CHECK_FALSE(ParseTypeBTime("202401011260"));
  CHECK_FALSE(ParseTypeBTime("202400011200"));
  CHECK_FALSE(ParseTypeBTime("20240101120"));
  CHECK_FALSE(ParseTypeBTime("2024010112001"));
  CHECK_FALSE(ParseTypeBTime("2024-1011200"));
  for (int64_t t : {int64_t{0}, int64_t{951782400}, kNow, int64_t{4102444800}}) {
    CHECK(*ParseTypeBTime(FormatTypeBTime(t)) == t - t % 60);
  }
  CHECK(FormatUnixTime(0) == "1970-01-01T00:00:00Z");
  CHECK(FormatUnixTime(kNow) == "2023-11-14T22:13:20Z");
  CHECK(FormatUnixTime(-1) == "1969-12-31T23:59:59Z");
}

TEST_CASE("HLS: the playlist token is carried onto its URIs and checked against the playlist path") {
  const DomainAuth auth = Auth("A", "k");
  SignedUri pl = Sign(SignType::kA, "k", "/live/room.m3u8", kNow + 60, "r", "0");
  Token t;
  REQUIRE(Verify(auth, pl.path, pl.query, kNow, &t).ok());
  const std::string seg = CarryToken(t, "room-12.ts");
  CHECK(seg == "room-12.ts?" + pl.query);
  CHECK(CarryToken(t, "/live/room-12.ts?x=1&auth_key=old") == "/live/room-12.ts?x=1&" + pl.query);
  CHECK(CarryToken(t, "http://other.example/x.ts") == "http://other.example/x.ts");
  // A segment request: parse the token from it, check the hash against the playlist's path.
  Token st;
  REQUIRE(ParseToken(SignType::kA, "/live/room-12.ts", "auth_key=" + t.raw, &st).ok());
  CHECK(CheckToken(st, "/live/room.m3u8", {"k", ""}, kNow).ok());
  CHECK(CheckToken(st, "/live/other.m3u8", {"k", ""}, kNow).error() == AuthError::kBadHash);
  CHECK(CheckToken(st, "/live/room.m3u8", {"k", ""}, kNow + 61).error() == AuthError::kExpired);

  const std::string playlist =
      "#EXTM3U\r\n#EXT-X-VERSION:7\r\n#EXT-X-MAP:URI=\"init.mp4\"\r\n#EXTINF:2.000,\r\nroom-12.ts\r\n\r\n"
      "#EXTINF:2.000,\r\n/live/room-13.ts";
  CHECK(CarryTokenInPlaylist(t, playlist) ==
        "#EXTM3U\r\n#EXT-X-VERSION:7\r\n#EXT-X-MAP:URI=\"init.mp4?" + pl.query + "\"\r\n#EXTINF:2.000,\r\nroom-12.ts?" +
            pl.query + "\r\n\r\n#EXTINF:2.000,\r\n/live/room-13.ts?" + pl.query);

  // B and C: relative URIs resolve under the prefixed playlist URL; absolute paths get the prefix.
  SignedUri bp = Sign(SignType::kB, "k", "/live/room.m3u8", kNow);
  Token bt;
  REQUIRE(Verify(Auth("B", "k"), bp.path, "", kNow, &bt).ok());
  CHECK(CarryToken(bt, "room-12.ts") == "room-12.ts");
  const std::string abs = CarryToken(bt, "/live/room-12.ts");
  CHECK(abs == bt.raw + "/live/room-12.ts");
  Token bs;
  REQUIRE(ParseToken(SignType::kB, abs, "", &bs).ok());
  CHECK(bs.path == "/live/room-12.ts");
  CHECK(CheckToken(bs, "/live/room.m3u8", {"k", ""}, kNow).ok());
  CHECK(CarryTokenInPlaylist(bt, "#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,URI=\"/live/a.m3u8\"\nx.ts\n") ==
        "#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,URI=\"" + bt.raw + "/live/a.m3u8\"\nx.ts\n");
}

TEST_CASE("random input never crashes") {
  std::mt19937 rng(12345);
  const std::string alphabet = "/-?&=%0123456789abcdefABCDEF_auth_key.m3u8flv\r\n\"#";
  const std::vector<DomainAuth> auths = {Auth("A", "k", "k2"), Auth("B", "k", "k2"), Auth("C", "k", "k2")};
  const std::vector<std::string> seeds = {Sign(SignType::kA, "k", kUri, kNow + 60).PathAndQuery(),
                                          Sign(SignType::kB, "k", kUri, kNow).path, Sign(SignType::kC, "k", kUri, kNow).path};
  int accepted = 0;
  for (int i = 0; i < 30000; ++i) {
    std::string s;
    if (i % 2 == 0) {
      const size_t n = rng() % 120;
      for (size_t j = 0; j < n; ++j) s.push_back(alphabet[rng() % alphabet.size()]);
    } else {
      s = seeds[rng() % seeds.size()];
      for (int m = 1 + rng() % 3; m > 0; --m) {
        const size_t at = rng() % (s.size() + 1);
        switch (rng() % 3) {
          case 0: s.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
          case 1: if (at < s.size()) s.erase(at, 1); break;
          default: if (at < s.size()) s[at] = static_cast<char>(rng() % 256); break;
        }
      }
    }
    const size_t q = s.find('?');
    const std::string path = s.substr(0, q), query = q == std::string::npos ? "" : s.substr(q + 1);
    for (const auto& a : auths) {
      Token t;
      AuthStatus st = Verify(a, path, query, kNow, &t);
      if (st.ok()) {
        ++accepted;  // a mutation may land in the query or after the token and leave it valid
        CHECK(t.path == kUri);  // only mutations outside the signed parts keep a URL valid
        (void)CarryTokenInPlaylist(t, s);
      } else {
        CHECK_FALSE(st.message().empty());
      }
    }
  }
  MESSAGE("random inputs accepted (mutations outside the signed parts): " << accepted);
}

}  // namespace
}  // namespace cdn::auth
