// HTTP byte ranges: the forms HLS players and curl send, clamping, the unsatisfiable cases that
// answer 416, and the headers that are ignored (whole object) rather than refused.
#include "lib/http/range.h"

#include <doctest/doctest.h>

namespace cdn::http {
namespace {

using K = ByteRange::Kind;

struct Case {
  const char* header;
  uint64_t size;
  ByteRange::Kind kind;
  uint64_t first, last;
};

const Case kCases[] = {
    {"bytes=0-99", 1000, K::kRange, 0, 99},
    {"bytes=100-", 1000, K::kRange, 100, 999},
    {"bytes=-100", 1000, K::kRange, 900, 999},
    {"bytes=-5000", 1000, K::kRange, 0, 999},     // suffix longer than the object
    {"bytes=900-5000", 1000, K::kRange, 900, 999},  // last clamped
    {"bytes=999-999", 1000, K::kRange, 999, 999},
    {"Bytes=0-0", 1000, K::kRange, 0, 0},  // unit is case-insensitive
    {" bytes= 10 - 20 ", 1000, K::kRange, 10, 20},
    {"bytes=1000-", 1000, K::kUnsatisfiable, 0, 0},
    {"bytes=5000-6000", 1000, K::kUnsatisfiable, 0, 0},
    {"bytes=-0", 1000, K::kUnsatisfiable, 0, 0},
    {"bytes=0-", 0, K::kUnsatisfiable, 0, 0},
    {"", 1000, K::kNone, 0, 0},
    {"bytes=20-10", 1000, K::kNone, 0, 0},  // invalid: ignored
    {"bytes=0-1,5-6", 1000, K::kNone, 0, 0},  // several ranges: whole object
    {"items=0-1", 1000, K::kNone, 0, 0},
    {"bytes=abc", 1000, K::kNone, 0, 0},
    {"bytes=-", 1000, K::kNone, 0, 0},
    {"bytes=+1-2", 1000, K::kNone, 0, 0},
    {"bytes=1-2x", 1000, K::kNone, 0, 0},
    {"bytes=99999999999999999999-", 1000, K::kNone, 0, 0},  // overflow
    {"bytes", 1000, K::kNone, 0, 0},
};

TEST_CASE("Range header parsing") {
  for (const auto& c : kCases) {
    CAPTURE(c.header);
    const ByteRange r = ParseRange(c.header, c.size);
    CHECK(r.kind == c.kind);
    if (r.kind == K::kRange) {
      CHECK(r.first == c.first);
      CHECK(r.last == c.last);
      CHECK(r.length() == c.last - c.first + 1);
    }
  }
}

TEST_CASE("Content-Range values") {
  CHECK(ParseRange("bytes=0-99", 1000).ContentRange(1000) == "bytes 0-99/1000");
  CHECK(ParseRange("bytes=2000-", 1000).ContentRange(1000) == "bytes */1000");
  CHECK(ParseRange("bytes=2000-", 1000).length() == 0);
}

}  // namespace
}  // namespace cdn::http
