// Tests for lib/rtmp/handshake: ffmpeg's and librtmp's real C0/C1/C2 (fixtures), nginx-rtmp's
// real S0/S1/S2, our client against our server, every split offset, garbage and bad versions.
// The FP9 digest checks below are an independent verifier, written from the scheme, not the code.
#include "lib/rtmp/handshake.h"

#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <optional>
#include <random>
#include <string>

#include "lib/base/bytes.h"
#include "lib/base/crypto.h"

namespace cdn::rtmp {
namespace {

using Code = base::Status::Code;

constexpr size_t kC0C1 = 1 + kHandshakeSize;
constexpr size_t kAll = 1 + 2 * kHandshakeSize;

std::string ReadFixture(const char* name) {
  std::string path = std::string(LIVECDN_SOURCE_DIR "/../shared/fixtures/rtmp/") + name;
  std::ifstream f(path, std::ios::binary);
  REQUIRE_MESSAGE(f.good(), "missing fixture " << path);
  std::string d((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  REQUIRE(d.size() > kAll);
  return d;
}

// ---- The verifier: Flash Player 9 handshake digests. ----
const std::string kKeyTail = std::string(
    "\xF0\xEE\xC2\x4A\x80\x68\xBE\xE8\x2E\x00\xD0\xD1\x02\x9E\x7E\x57"
    "\x6E\xEC\x5D\x2D\x29\x80\x6F\xAB\x93\xB8\xE6\x36\xCF\xEB\x31\xAE",
    32);
const std::string kFp = "Genuine Adobe Flash Player 001";
const std::string kFms = "Genuine Adobe Flash Media Server 001";

struct Digest {
  size_t block_base;  // 8: digest block first (schema 1), 772: key block first (schema 0)
  std::string bytes;
};

// C1/S1: the digest block starts at 8 or 772; its first 4 bytes, summed, mod 728, give the
// digest position after them; the digest is HMAC-SHA256(key, the 1536 bytes without it).
std::optional<Digest> FindDigest(std::string_view block, const std::string& key) {
  REQUIRE(block.size() == kHandshakeSize);
  for (size_t base : {size_t{8}, size_t{772}}) {
    size_t sum = 0;
    for (size_t i = 0; i < 4; ++i) sum += static_cast<uint8_t>(block[base + i]);
    size_t pos = base + 4 + sum % 728;
    std::string rest = std::string(block.substr(0, pos)) + std::string(block.substr(pos + 32));
    if (base::HmacSha256(key, rest) == block.substr(pos, 32)) {
      return Digest{base, std::string(block.substr(pos, 32))};
    }
  }
  return std::nullopt;
}

// C2/S2: last 32 bytes = HMAC-SHA256(HMAC-SHA256(key + tail, peer's digest), first 1504 bytes).
bool ResponseValid(std::string_view block, const std::string& key_text,
                   const std::string& peer_digest) {
  REQUIRE(block.size() == kHandshakeSize);
  std::string k = base::HmacSha256(key_text + kKeyTail, peer_digest);
  return base::HmacSha256(k, block.substr(0, 1504)) == block.substr(1504);
}

// Checks a server's S0+S1+S2 answer to a digest-form C1.
void CheckComplexAnswer(std::string_view c1, std::string_view out) {
  REQUIRE(out.size() == kAll);
  CHECK(out[0] == 3);
  std::string_view s1 = out.substr(1, kHandshakeSize), s2 = out.substr(kC0C1);
  CHECK(base::GetBE(s1, 4, 4) != 0);  // non-zero version announces the digest form
  auto c1_digest = FindDigest(c1, kFp);
  REQUIRE(c1_digest.has_value());
  auto s1_digest = FindDigest(s1, kFms);
  REQUIRE(s1_digest.has_value());
  CHECK(s1_digest->block_base == c1_digest->block_base);  // answered in the client's schema
  CHECK(ResponseValid(s2, kFms, c1_digest->bytes));
}

TEST_CASE("the verifier agrees with the captured ffmpeg <-> nginx-rtmp handshakes") {
  for (const char* name : {"ffmpeg-publish", "ffmpeg-play"}) {
    CAPTURE(name);
    std::string c = ReadFixture((std::string(name) + ".c2s.bin").c_str());
    std::string s = ReadFixture((std::string(name) + ".s2c.bin").c_str());
    CheckComplexAnswer(std::string_view(c).substr(1, kHandshakeSize),
                       std::string_view(s).substr(0, kAll));
  }
  // ffmpeg playing answers with a digest C2; publishing, it echoes S1 instead.
  std::string c = ReadFixture("ffmpeg-play.c2s.bin"), s = ReadFixture("ffmpeg-play.s2c.bin");
  auto s1_digest = FindDigest(std::string_view(s).substr(1, kHandshakeSize), kFms);
  REQUIRE(s1_digest.has_value());
  CHECK(ResponseValid(std::string_view(c).substr(kC0C1, kHandshakeSize), kFp, s1_digest->bytes));
}

TEST_CASE("server: ffmpeg's digest handshake, whole") {
  for (const char* name : {"ffmpeg-publish.c2s.bin", "ffmpeg-play.c2s.bin"}) {
    CAPTURE(name);
    std::string c = ReadFixture(name);
    ServerHandshake hs(12345);
    std::string out = "prefix";    // appends, never overwrites
    auto n = hs.Consume(c, &out);  // the whole capture: must stop right after C2
    REQUIRE(n.ok());
    CHECK(*n == kAll);
    CHECK(hs.done());
    CHECK(hs.complex());
    REQUIRE(out.substr(0, 6) == "prefix");
    CheckComplexAnswer(std::string_view(c).substr(1, kHandshakeSize),
                       std::string_view(out).substr(6));
    CHECK(base::GetBE(out, 6 + 1, 4) == 12345);  // S1 time field
    // Done: takes nothing more, says nothing more.
    std::string more;
    auto again = hs.Consume(std::string_view(c).substr(kAll), &more);
    REQUIRE(again.ok());
    CHECK(*again == 0);
    CHECK(more.empty());
  }
}

TEST_CASE("server: ffmpeg's handshake split at every offset") {
  std::string c = ReadFixture("ffmpeg-publish.c2s.bin").substr(0, kAll + 64);
  std::string_view c1 = std::string_view(c).substr(1, kHandshakeSize);
  for (size_t split = 0; split <= c.size(); ++split) {
    CAPTURE(split);
    ServerHandshake hs;
    std::string out;
    auto a = hs.Consume(std::string_view(c).substr(0, split), &out);
    REQUIRE(a.ok());
    CHECK(*a == std::min(split, kAll));
    // S0 S1 S2 go out exactly when C1 is complete.
    CHECK(out.size() == (split >= kC0C1 ? kAll : 0));
    CHECK(hs.done() == (split >= kAll));
    auto b = hs.Consume(std::string_view(c).substr(*a), &out);
    REQUIRE(b.ok());
    CHECK(*a + *b == kAll);
    CHECK(hs.done());
    CHECK(hs.complex());
    CheckComplexAnswer(c1, out);
  }
}

TEST_CASE("server: one byte at a time") {
  std::string c = ReadFixture("ffmpeg-play.c2s.bin");
  ServerHandshake hs;
  std::string out;
  size_t consumed = 0;
  for (size_t i = 0; i < kAll + 10; ++i) {
    auto n = hs.Consume(std::string_view(c).substr(i, 1), &out);
    REQUIRE(n.ok());
    consumed += *n;
  }
  CHECK(consumed == kAll);
  CHECK(hs.done());
  CheckComplexAnswer(std::string_view(c).substr(1, kHandshakeSize), out);
}

TEST_CASE("server: librtmp's simple handshake is echoed") {
  std::string c = ReadFixture("rtmpdump-play.c2s.bin");
  std::string_view c1 = std::string_view(c).substr(1, kHandshakeSize);
  REQUIRE(base::GetBE(c1, 4, 4) == 0);  // rtmpdump plays in the simple form
  ServerHandshake hs;
  std::string out;
  auto n = hs.Consume(c, &out);
  REQUIRE(n.ok());
  CHECK(*n == kAll);
  CHECK(hs.done());
  CHECK_FALSE(hs.complex());
  REQUIRE(out.size() == kAll);
  CHECK(out[0] == 3);
  CHECK(base::GetBE(out, 1 + 4, 4) == 0);  // S1 zero field (5.2.3)
  CHECK(out.substr(kC0C1) == c1);          // S2 echoes C1 (5.2.4)
}

TEST_CASE("server: non-zero version with a bad digest falls back to the simple form") {
  std::string c = ReadFixture("ffmpeg-publish.c2s.bin").substr(0, kAll);
  c[600] ^= 0x01;  // inside C1: breaks the HMAC
  ServerHandshake hs;
  std::string out;
  auto n = hs.Consume(c, &out);
  REQUIRE(n.ok());
  CHECK(hs.done());
  CHECK_FALSE(hs.complex());
  CHECK(out.substr(kC0C1) == c.substr(1, kHandshakeSize));
}

TEST_CASE("server: digest in the key-first schema (schema 0)") {
  // Build a C1 with the digest block at 772, as some Flash players do.
  std::string c1(kHandshakeSize, '\0');
  base::RandomBytes(c1.data(), c1.size());
  c1.replace(4, 4, "\x0a\x00\x2d\x02", 4);
  size_t sum = 0;
  for (size_t i = 772; i < 776; ++i) sum += static_cast<uint8_t>(c1[i]);
  size_t pos = 776 + sum % 728;
  c1.replace(pos, 32, base::HmacSha256(kFp, c1.substr(0, pos) + c1.substr(pos + 32)));
  auto d = FindDigest(c1, kFp);
  REQUIRE(d.has_value());
  if (d->block_base != 772) return;  // random bytes also validated as schema 1: vanishingly rare
  ServerHandshake hs;
  std::string out;
  REQUIRE(hs.Consume("\x03" + c1, &out).ok());
  CHECK(hs.complex());
  CheckComplexAnswer(c1, out);
}

TEST_CASE("client against server, both ways complex") {
  for (int round = 0; round < 20; ++round) {
    ClientHandshake client(777);
    ServerHandshake server(888);
    std::string c0c1, s0s1s2, c2;
    client.Start(&c0c1);
    REQUIRE(c0c1.size() == kC0C1);
    CHECK(c0c1[0] == 3);
    auto c1_digest = FindDigest(std::string_view(c0c1).substr(1), kFp);
    REQUIRE(c1_digest.has_value());
    CHECK(c1_digest->block_base == 8);  // digest first, like ffmpeg

    auto n = server.Consume(c0c1, &s0s1s2);
    REQUIRE(n.ok());
    CHECK(*n == kC0C1);
    CHECK(server.complex());
    CheckComplexAnswer(std::string_view(c0c1).substr(1), s0s1s2);

    n = client.Consume(s0s1s2 + "chunk stream bytes", &c2);
    REQUIRE(n.ok());
    CHECK(*n == kAll);
    CHECK(client.done());
    CHECK(client.complex());
    CHECK(client.s2_verified());
    REQUIRE(c2.size() == kHandshakeSize);
    auto s1_digest = FindDigest(std::string_view(s0s1s2).substr(1, kHandshakeSize), kFms);
    REQUIRE(s1_digest.has_value());
    CHECK(ResponseValid(c2, kFp, s1_digest->bytes));

    std::string nothing;
    n = server.Consume(c2, &nothing);
    REQUIRE(n.ok());
    CHECK(*n == kHandshakeSize);
    CHECK(server.done());
    CHECK(nothing.empty());
  }
}

TEST_CASE("client: nginx-rtmp's real S0 S1 S2") {
  std::string s = ReadFixture("ffmpeg-publish.s2c.bin");
  for (size_t split : {size_t{0}, size_t{1}, size_t{700}, kC0C1, kC0C1 + 1, kAll - 1, kAll}) {
    CAPTURE(split);
    ClientHandshake client;
    std::string c0c1, c2;
    client.Start(&c0c1);
    auto a = client.Consume(std::string_view(s).substr(0, split), &c2);
    REQUIRE(a.ok());
    CHECK(c2.empty() == (split < kAll));
    auto b = client.Consume(std::string_view(s).substr(*a), &c2);  // the rest of the capture
    REQUIRE(b.ok());
    CHECK(*a + *b == kAll);  // stops right after S2
    CHECK(client.done());
    CHECK(client.complex());
    CHECK_FALSE(client.s2_verified());  // that S2 answered ffmpeg's C1, not ours
    REQUIRE(c2.size() == kHandshakeSize);
    auto s1_digest = FindDigest(std::string_view(s).substr(1, kHandshakeSize), kFms);
    REQUIRE(s1_digest.has_value());
    CHECK(ResponseValid(c2, kFp, s1_digest->bytes));
  }
}

TEST_CASE("client: a simple-form server gets S1 echoed as C2") {
  std::string s = ReadFixture("rtmpdump-play.s2c.bin");
  ClientHandshake client;
  std::string c0c1, c2;
  client.Start(&c0c1);
  size_t consumed = 0;
  for (size_t i = 0; i < kAll + 5; ++i) {
    auto n = client.Consume(std::string_view(s).substr(i, 1), &c2);
    REQUIRE(n.ok());
    consumed += *n;
  }
  CHECK(consumed == kAll);
  CHECK(client.done());
  CHECK_FALSE(client.complex());
  CHECK(c2 == s.substr(1, kHandshakeSize));
}

TEST_CASE("bad version bytes are rejected, and the error sticks") {
  for (int v : {0, 6, 0x83, 0xff, 0x47}) {
    CAPTURE(v);
    ServerHandshake server;
    std::string out;
    std::string in(1, static_cast<char>(v));
    in += std::string(kAll, '\x03');
    auto n = server.Consume(in, &out);
    REQUIRE_FALSE(n.ok());
    CHECK(n.status().code() == Code::kUnsupported);
    CHECK(out.empty());
    CHECK_FALSE(server.done());
    auto again = server.Consume("\x03", &out);
    CHECK(again.status().code() == Code::kUnsupported);

    ClientHandshake client;
    std::string c0c1;
    client.Start(&c0c1);
    auto m = client.Consume(in, &out);
    REQUIRE_FALSE(m.ok());
    CHECK(m.status().code() == Code::kUnsupported);
    CHECK_FALSE(client.done());
    CHECK(out.empty());
  }
  // An HTTP request on the RTMP port.
  ServerHandshake server;
  std::string out;
  CHECK(server.Consume("GET / HTTP/1.1\r\n", &out).status().code() == Code::kUnsupported);
}

TEST_CASE("client: Consume before Start is an error; Start twice sends once") {
  ClientHandshake client;
  std::string out;
  CHECK_FALSE(client.Consume("\x03", &out).ok());
  client.Start(&out);
  client.Start(&out);
  CHECK(out.size() == kC0C1);
}

TEST_CASE("truncated and garbage input: need more or done, never a crash") {
  std::mt19937 rng(99);
  for (int round = 0; round < 200; ++round) {
    std::string in(1 + rng() % (kAll + 200), '\0');
    for (char& ch : in) ch = static_cast<char>(rng());
    in[0] = 3;
    ServerHandshake server;
    ClientHandshake client;
    std::string out, c0c1, c2;
    client.Start(&c0c1);
    // Random pieces.
    size_t pos = 0, server_took = 0;
    while (pos < in.size()) {
      size_t len = 1 + rng() % 700;
      auto n = server.Consume(std::string_view(in).substr(pos, len), &out);
      REQUIRE(n.ok());
      server_took += *n;
      pos += std::min(len, in.size() - pos);
    }
    CHECK(server_took == std::min(in.size(), kAll));
    CHECK(server.done() == (in.size() >= kAll));
    CHECK(out.size() == (in.size() >= kC0C1 ? kAll : 0));
    auto m = client.Consume(in, &c2);
    REQUIRE(m.ok());
    CHECK(*m == std::min(in.size(), kAll));
    CHECK(client.done() == (in.size() >= kAll));
    CHECK(c2.size() == (in.size() >= kAll ? kHandshakeSize : 0));
  }
  // Empty input is need-more.
  ServerHandshake server;
  std::string out;
  auto n = server.Consume("", &out);
  REQUIRE(n.ok());
  CHECK(*n == 0);
  CHECK_FALSE(server.done());
}

}  // namespace
}  // namespace cdn::rtmp
