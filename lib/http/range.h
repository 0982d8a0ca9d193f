// HTTP byte ranges (RFC 9110 14.1.2 Range, 14.4 Content-Range, 15.3.7 206, 15.5.17 416) for
// serving immutable objects such as HLS segments (central and the edge cache): one range per
// request; a header this code does not take (bad syntax, another unit, several ranges) is ignored
// and the whole object is sent, as 14.2 allows. Pure functions; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cdn::http {

struct ByteRange {
  enum class Kind {
    kNone,           // no usable Range header: 200 with the whole object
    kRange,          // 206 with bytes [first, last]
    kUnsatisfiable,  // 416 with Content-Range: bytes */size
  };
  Kind kind = Kind::kNone;
  uint64_t first = 0;  // inclusive; kRange only
  uint64_t last = 0;   // inclusive; kRange only
  uint64_t length() const { return kind == Kind::kRange ? last - first + 1 : 0; }
  // The Content-Range value: "bytes a-b/size" for kRange, "bytes */size" for kUnsatisfiable.
  std::string ContentRange(uint64_t size) const;
};

// `header` is the Range field value ("" when absent); `size` the object's length.
// "bytes=a-b" (b clamped to size-1), "bytes=a-", "bytes=-n" (the last n bytes).
ByteRange ParseRange(std::string_view header, uint64_t size);

}  // namespace cdn::http
