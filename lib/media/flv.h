// FLV container (Adobe FLV 10.1 spec, Annex E): header and tag writers for HTTP-FLV and recording,
// and FlvReader, an incremental parser with no I/O: Consume(bytes) -> tags | need-more | error.
// The free functions are pure (any thread); a FlvReader belongs to one connection's loop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lib/base/status.h"

namespace cdn::media {

// E.4.1 TagType (5 bits).
enum class TagType : uint8_t { kAudio = 8, kVideo = 9, kScript = 18 };

constexpr size_t kFlvHeaderSize = 9;            // E.2: "FLV", Version, flags, DataOffset UI32
constexpr size_t kFlvTagHeaderSize = 11;        // E.4.1: flags, DataSize UI24, Timestamp UI24 + UI8,
                                                //        StreamID UI24
constexpr size_t kFlvPreviousTagSizeSize = 4;   // E.3: PreviousTagSizeN, UI32
constexpr uint8_t kFlvVersion = 1;              // E.2
constexpr uint8_t kFlvFlagAudio = 0x04;         // E.2 TypeFlagsAudio
constexpr uint8_t kFlvFlagVideo = 0x01;         // E.2 TypeFlagsVideo
constexpr uint8_t kFlvTagFilterBit = 0x20;      // E.4.1 Filter: 1 = encrypted/pre-processed payload
constexpr uint8_t kFlvTagTypeMask = 0x1f;       // E.4.1 TagType
constexpr uint32_t kFlvMaxDataSize = 0xffffff;  // E.4.1 DataSize is UI24

// The 9-byte file header followed by PreviousTagSize0 (= 0): 13 bytes.
std::string FlvFileHeader(bool has_audio, bool has_video);

// Appends an 11-byte tag header. The timestamp's upper 8 bits go in TimestampExtended.
// data_size must be <= kFlvMaxDataSize (true for anything that arrived as one RTMP message,
// whose length is also 24 bits); larger values are a caller bug and are truncated to 24 bits.
void AppendFlvTagHeader(TagType type, uint32_t timestamp_ms, uint32_t data_size, std::string* out);

// Appends tag header + data + PreviousTagSize (11 + data.size()).
void AppendFlvTag(TagType type, uint32_t timestamp_ms, std::string_view data, std::string* out);

struct FlvTag {
  TagType type;
  uint32_t timestamp;  // ms, Timestamp | TimestampExtended << 24
  std::string data;
};

class FlvReader {
 public:
  explicit FlvReader(size_t max_tag_size = 16 << 20);

  // Appends bytes; parses the file header, then tags; each complete tag is appended to *tags.
  // Need-more is not an error. Errors: bad signature or DataOffset (Invalid), a tag larger than
  // max_tag_size (TooLarge), an unknown TagType (Invalid), the Filter bit set (Unsupported).
  // Tags completed before an error are still delivered. After an error the reader is dead and
  // returns the same error forever.
  base::Status Consume(std::string_view in, std::vector<FlvTag>* tags);

  bool header_parsed() const { return header_parsed_; }
  // Header flags; only meaningful once header_parsed(). Many encoders leave them wrong: advisory.
  bool has_audio() const { return flags_ & kFlvFlagAudio; }
  bool has_video() const { return flags_ & kFlvFlagVideo; }

 private:
  base::Status ParseHeader(size_t* pos);
  base::Status ParseTags(size_t* pos, std::vector<FlvTag>* tags);

  const size_t max_tag_size_;
  std::string buffer_;  // unconsumed bytes; at most one partial header or tag
  bool header_parsed_ = false;
  uint8_t flags_ = 0;
  base::Status status_;
};

}  // namespace cdn::media
