// Helpers shared by the libFuzzer targets in tests/fuzz: a check that aborts with a message (so
// libFuzzer keeps the input as a crash), and a deterministic way to cut an input into pieces,
// for the "any split of the bytes parses the same" property every incremental codec promises.
// Header-only; each target is single-threaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

// Not assert(): it must fire in release builds too, and say which property broke.
#define FUZZ_CHECK(cond)                                                                \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)

namespace cdn::fuzz {

inline std::string_view View(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

// Cuts `in` into consecutive pieces whose sizes follow from `seed`: seeds 0..127 give a fixed
// size of seed+1 bytes (0 is byte at a time), larger seeds pseudo-random sizes of 1..256 bytes
// (xorshift, so the same seed always cuts the same way). The pieces cover `in` exactly.
inline std::vector<std::string_view> Pieces(std::string_view in, uint8_t seed) {
  std::vector<std::string_view> out;
  uint32_t x = 0x9e3779b9u ^ seed;
  while (!in.empty()) {
    size_t n;
    if (seed < 128) {
      n = static_cast<size_t>(seed) + 1;
    } else {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      n = 1 + (x & 0xff);
    }
    if (n > in.size()) n = in.size();
    out.push_back(in.substr(0, n));
    in.remove_prefix(n);
  }
  return out;
}

}  // namespace cdn::fuzz
