// RTMP handshake codecs (RTMP 1.0 spec section 5.2), server and client side, in the simple form
// and the Flash Player 9 digest ("complex") form that ffmpeg, OBS and Flash use. No I/O: feed
// bytes to Consume(), send what it appends. One object per connection, on that connection's loop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "lib/base/status.h"

namespace cdn::rtmp {

constexpr uint8_t kRtmpVersion = 3;      // 5.2.2: C0/S0 version byte
constexpr size_t kHandshakeSize = 1536;  // 5.2.3 / 5.2.4: C1, S1, C2, S2 are 1536 bytes each

// The server side: C0 C1 in -> S0 S1 S2 out -> C2 in -> done.
class ServerHandshake {
 public:
  // `epoch_ms` goes into S1's time field (5.2.3); any value works, peers only echo it.
  explicit ServerHandshake(uint32_t epoch_ms = 0) : epoch_ms_(epoch_ms) {}

  // Consumes client bytes (C0, C1, C2, in any split). Appends S0+S1+S2 to *out once C0+C1 are
  // in. Returns how many bytes of `in` it took: all of them until C2 is complete, never any past
  // C2 (those belong to the chunk stream), 0 once done(). Errors are final: a C0 other than 3 is
  // Unsupported (nginx-rtmp and SRS reject it too); every later call returns the same error.
  base::Result<size_t> Consume(std::string_view in, std::string* out);

  bool done() const { return state_ == State::kDone; }
  // The client's C1 carried a valid Flash Player digest, and S1/S2 were answered in that form.
  bool complex() const { return complex_; }

 private:
  enum class State { kC0, kC1, kC2, kDone, kFailed };
  void Answer(std::string* out);

  uint32_t epoch_ms_;
  State state_ = State::kC0;
  bool complex_ = false;
  std::string c1_;      // buffered until complete, then dropped
  size_t c2_read_ = 0;  // C2 is skipped, not checked: ffmpeg publishing echoes S1 there
  base::Status error_;
};

// The client side (what ffmpeg does): Start() -> C0 C1 out; S0 S1 S2 in -> C2 out -> done.
class ClientHandshake {
 public:
  explicit ClientHandshake(uint32_t epoch_ms = 0) : epoch_ms_(epoch_ms) {}

  // Appends C0+C1, C1 in the digest form. Call once, before Consume().
  void Start(std::string* out);

  // Consumes server bytes (S0, S1, S2, in any split); appends C2 once S2 is complete. Returns
  // how many bytes it took, never past S2. An S0 other than 3 is Unsupported; errors are final.
  base::Result<size_t> Consume(std::string_view in, std::string* out);

  bool done() const { return state_ == State::kDone; }
  // S1 carried a valid Flash Media Server digest, so C2 went out in the digest form (else C2
  // echoes S1, the simple form).
  bool complex() const { return complex_; }
  // S2 carries the digest of our C1. Informational: servers that echo C1 are accepted too.
  bool s2_verified() const { return s2_verified_; }

 private:
  enum class State { kIdle, kS0, kS1, kS2, kDone, kFailed };
  void Answer(std::string* out);

  uint32_t epoch_ms_;
  State state_ = State::kIdle;
  bool complex_ = false;
  bool s2_verified_ = false;
  std::string c1_digest_;  // the 32-byte digest we put in C1 (the server's S2 is keyed by it)
  std::string s1_;         // buffered until S2 is complete
  std::string s2_;
  base::Status error_;
};

}  // namespace cdn::rtmp
