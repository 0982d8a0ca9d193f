// libFuzzer target: arbitrary peer bytes -> ServerHandshake (C0 C1 C2 in) or ClientHandshake
// (S0 S1 S2 in), RTMP 1.0 section 5.2, simple and digest forms, fed in pieces. Byte 0 picks the
// side (bit 0) and how the rest is cut (the other bits: fuzz_util.h Pieces). Checks the contract of
// lib/rtmp/handshake.h: every byte is taken until done and none after, never more than
// 1 + 2 * 1536 in total, answers of the exact size, errors final.
#include <cstddef>
#include <cstdint>
#include <string>

#include "lib/rtmp/handshake.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using cdn::rtmp::kHandshakeSize;
constexpr size_t kPeerBytes = 1 + 2 * kHandshakeSize;  // C0 C1 C2, or S0 S1 S2

// Feeds `in` cut by `seed`; expected(taken) is how many bytes the side must have written once
// `taken` peer bytes are in.
template <typename Handshake, typename Expected>
void Run(Handshake* hs, std::string_view in, uint8_t seed, std::string* out, Expected expected) {
  size_t taken = 0;
  for (std::string_view piece : cdn::fuzz::Pieces(in, seed)) {
    const bool was_done = hs->done();
    auto r = hs->Consume(piece, out);
    if (!r.ok()) {
      FUZZ_CHECK(!was_done);
      FUZZ_CHECK(r.status().code() == cdn::base::Status::Code::kUnsupported);  // only C0/S0 != 3
      auto again = hs->Consume("\x03", out);  // errors are final
      FUZZ_CHECK(!again.ok() && again.status().code() == r.status().code());
      FUZZ_CHECK(again.status().message() == r.status().message());
      return;
    }
    FUZZ_CHECK(*r <= piece.size());
    if (was_done) FUZZ_CHECK(*r == 0);
    if (!hs->done()) FUZZ_CHECK(*r == piece.size());
    taken += *r;
    FUZZ_CHECK(taken <= kPeerBytes);
    FUZZ_CHECK(out->size() == expected(taken));
  }
  FUZZ_CHECK(hs->done() == (taken == kPeerBytes));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t mode = data[0];
  const std::string_view in = cdn::fuzz::View(data + 1, size - 1);
  std::string out;
  if ((mode & 1) == 0) {
    cdn::rtmp::ServerHandshake hs(12345);
    // S0 S1 S2 go out once C0 C1 are in.
    Run(&hs, in, static_cast<uint8_t>(mode & 0xfe), &out,
        [](size_t taken) { return taken >= 1 + kHandshakeSize ? 1 + 2 * kHandshakeSize : 0; });
  } else {
    cdn::rtmp::ClientHandshake hs(12345);
    hs.Start(&out);
    FUZZ_CHECK(out.size() == 1 + kHandshakeSize);  // C0 C1
    // C2 goes out once S2 is complete.
    Run(&hs, in, static_cast<uint8_t>(mode & 0xfe), &out,
        [](size_t taken) { return 1 + kHandshakeSize + (taken == kPeerBytes ? kHandshakeSize : 0); });
    if (!hs.done()) FUZZ_CHECK(!hs.s2_verified());
  }
  return 0;
}
