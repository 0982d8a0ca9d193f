#include "lib/rtmp/handshake.h"

#include <algorithm>
#include <cstdio>

#include "lib/base/bytes.h"
#include "lib/base/crypto.h"

namespace cdn::rtmp {
namespace {

using base::Status;

// The Flash Player 9 digest handshake is not in the RTMP 1.0 spec (which only defines the
// simple form); this is the scheme Flash Player / FMS 3+ use, as ffmpeg, librtmp, nginx-rtmp
// and SRS implement it. C1/S1 = time(4) version(4) then two 764-byte blocks, a key block and a
// digest block in either order ("schema"). Digest block = offset(4) random digest(32) random,
// with the digest at block start + 4 + (sum of the 4 offset bytes) % 728.
constexpr size_t kDigestSize = 32;
constexpr size_t kBlockSize = 764;
constexpr size_t kDigestFirstBase = 8;            // schema 1: digest block, key block
constexpr size_t kKeyFirstBase = 8 + kBlockSize;  // schema 0: key block, digest block
constexpr size_t kDigestOffsetModulo = kBlockSize - 4 - kDigestSize;  // 728

// Keys: the printable part signs C1/S1; the full key (printable part + 32 fixed bytes) keys the
// HMAC whose output in turn keys the C2/S2 digest.
constexpr std::string_view kFpKeyText = "Genuine Adobe Flash Player 001";         // 30 bytes
constexpr std::string_view kFmsKeyText = "Genuine Adobe Flash Media Server 001";  // 36 bytes
constexpr unsigned char kKeyTail[32] = {
    0xF0, 0xEE, 0xC2, 0x4A, 0x80, 0x68, 0xBE, 0xE8, 0x2E, 0x00, 0xD0, 0xD1, 0x02, 0x9E, 0x7E, 0x57,
    0x6E, 0xEC, 0x5D, 0x2D, 0x29, 0x80, 0x6F, 0xAB, 0x93, 0xB8, 0xE6, 0x36, 0xCF, 0xEB, 0x31, 0xAE};

// Versions put in C1/S1 bytes 4..7. Non-zero announces the digest form.
constexpr uint32_t kClientVersion = 0x09007C02;  // Flash Player 9.0.124.2, as ffmpeg sends
constexpr uint32_t kServerVersion = 0x04050001;  // FMS 4.5.0.1

std::string FullKey(std::string_view text) {
  std::string k(text);
  k.append(reinterpret_cast<const char*>(kKeyTail), sizeof kKeyTail);
  return k;
}

size_t DigestOffset(std::string_view block, size_t base) {
  size_t sum = 0;
  for (size_t i = 0; i < 4; ++i) sum += static_cast<uint8_t>(block[base + i]);
  return base + 4 + sum % kDigestOffsetModulo;
}

// HMAC-SHA256 over the 1536-byte block minus the 32 digest bytes at `offset`.
std::string BlockDigest(std::string_view block, size_t offset, std::string_view key) {
  std::string msg;
  msg.reserve(kHandshakeSize - kDigestSize);
  msg.append(block.substr(0, offset));
  msg.append(block.substr(offset + kDigestSize));
  return base::HmacSha256(key, msg);
}

// Finds a valid digest in C1/S1 under either schema; digest-first (what ffmpeg, librtmp and
// nginx-rtmp send) is tried first. Returns false if neither validates.
bool FindDigest(std::string_view block, std::string_view key, size_t* base, std::string* digest) {
  for (size_t b : {kDigestFirstBase, kKeyFirstBase}) {
    size_t off = DigestOffset(block, b);
    std::string_view found = block.substr(off, kDigestSize);
    if (base::ConstantTimeEquals(BlockDigest(block, off, key), found)) {
      *base = b;
      digest->assign(found);
      return true;
    }
  }
  return false;
}

// Appends a C1/S1: time, version, random, and (version != 0) a digest under `base`'s schema.
// Returns the digest (empty for the simple form).
std::string AppendChallenge(uint32_t time, uint32_t version, size_t base, std::string_view key,
                            std::string* out) {
  std::string block;
  base::PutU32(&block, time);
  base::PutU32(&block, version);
  block.resize(kHandshakeSize);
  base::RandomBytes(block.data() + 8, kHandshakeSize - 8);
  std::string digest;
  if (version != 0) {
    size_t off = DigestOffset(block, base);
    digest = BlockDigest(block, off, key);
    std::copy(digest.begin(), digest.end(), block.begin() + static_cast<ptrdiff_t>(off));
  }
  out->append(block);
  return digest;
}

// C2/S2 digest form: random 1504 bytes, then HMAC(HMAC(full key, peer's digest), those bytes).
void AppendResponse(std::string_view full_key, std::string_view peer_digest, std::string* out) {
  std::string block(kHandshakeSize - kDigestSize, '\0');
  base::RandomBytes(block.data(), block.size());
  std::string key = base::HmacSha256(full_key, peer_digest);
  block.append(base::HmacSha256(key, block));
  out->append(block);
}

bool ResponseValid(std::string_view full_key, std::string_view own_digest, std::string_view block) {
  std::string key = base::HmacSha256(full_key, own_digest);
  std::string_view signed_part = block.substr(0, kHandshakeSize - kDigestSize);
  return base::ConstantTimeEquals(base::HmacSha256(key, signed_part),
                                  block.substr(kHandshakeSize - kDigestSize));
}

// Moves up to `want - buf->size()` bytes from the front of *in into *buf.
void Fill(std::string_view* in, size_t want, std::string* buf) {
  size_t n = std::min(in->size(), want - buf->size());
  buf->append(in->substr(0, n));
  in->remove_prefix(n);
}

Status BadVersion(const char* who, uint8_t v) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "rtmp handshake: %s version %u, only 3 is supported", who, v);
  return Status::Unsupported(buf);
}

}  // namespace

base::Result<size_t> ServerHandshake::Consume(std::string_view in, std::string* out) {
  if (state_ == State::kFailed) return error_;
  const size_t total = in.size();
  while (!in.empty() && state_ != State::kDone) {
    switch (state_) {
      case State::kC0: {
        auto version = static_cast<uint8_t>(in[0]);
        if (version != kRtmpVersion) {
          state_ = State::kFailed;
          error_ = BadVersion("client", version);
          return error_;
        }
        in.remove_prefix(1);
        state_ = State::kC1;
        break;
      }
      case State::kC1:
        Fill(&in, kHandshakeSize, &c1_);
        if (c1_.size() == kHandshakeSize) {
          Answer(out);
          state_ = State::kC2;
        }
        break;
      case State::kC2: {
        size_t n = std::min(in.size(), kHandshakeSize - c2_read_);
        in.remove_prefix(n);
        c2_read_ += n;
        if (c2_read_ == kHandshakeSize) state_ = State::kDone;
        break;
      }
      case State::kDone:
      case State::kFailed:
        break;
    }
  }
  return total - in.size();
}

void ServerHandshake::Answer(std::string* out) {
  base::PutU8(out, kRtmpVersion);  // S0
  size_t schema_base = kDigestFirstBase;
  std::string c1_digest;
  // A zero version (bytes 4..7) is the simple form (5.2.3). A non-zero version without a valid
  // digest falls back to the simple form too, as SRS does, rather than dropping the client.
  complex_ = base::GetBE(c1_, 4, 4) != 0 && FindDigest(c1_, kFpKeyText, &schema_base, &c1_digest);
  if (complex_) {
    AppendChallenge(epoch_ms_, kServerVersion, schema_base, kFmsKeyText, out);  // S1
    AppendResponse(FullKey(kFmsKeyText), c1_digest, out);                       // S2
  } else {
    AppendChallenge(epoch_ms_, 0, 0, {}, out);  // S1: time, zero (5.2.3), random
    out->append(c1_);                           // S2 echoes C1 (5.2.4)
  }
  c1_.clear();
  c1_.shrink_to_fit();
}

void ClientHandshake::Start(std::string* out) {
  if (state_ != State::kIdle) return;
  base::PutU8(out, kRtmpVersion);  // C0
  c1_digest_ = AppendChallenge(epoch_ms_, kClientVersion, kDigestFirstBase, kFpKeyText, out);
  state_ = State::kS0;
}

base::Result<size_t> ClientHandshake::Consume(std::string_view in, std::string* out) {
  if (state_ == State::kFailed) return error_;
  if (state_ == State::kIdle) return Status::Internal("rtmp handshake: Consume() before Start()");
  const size_t total = in.size();
  while (!in.empty() && state_ != State::kDone) {
    switch (state_) {
      case State::kS0: {
        auto version = static_cast<uint8_t>(in[0]);
        if (version != kRtmpVersion) {
          state_ = State::kFailed;
          error_ = BadVersion("server", version);
          return error_;
        }
        in.remove_prefix(1);
        state_ = State::kS1;
        break;
      }
      case State::kS1:
        Fill(&in, kHandshakeSize, &s1_);
        if (s1_.size() == kHandshakeSize) state_ = State::kS2;
        break;
      case State::kS2:
        Fill(&in, kHandshakeSize, &s2_);
        if (s2_.size() == kHandshakeSize) {
          Answer(out);
          state_ = State::kDone;
        }
        break;
      case State::kIdle:
      case State::kDone:
      case State::kFailed:
        break;
    }
  }
  return total - in.size();
}

void ClientHandshake::Answer(std::string* out) {
  size_t schema_base;
  std::string s1_digest;
  complex_ = base::GetBE(s1_, 4, 4) != 0 && FindDigest(s1_, kFmsKeyText, &schema_base, &s1_digest);
  if (complex_) {
    s2_verified_ = ResponseValid(FullKey(kFmsKeyText), c1_digest_, s2_);
    AppendResponse(FullKey(kFpKeyText), s1_digest, out);  // C2
  } else {
    out->append(s1_);  // C2 echoes S1 (5.2.4)
  }
  s1_ = std::string();
  s2_ = std::string();
}

}  // namespace cdn::rtmp
