// FLV writers and FlvReader; see flv.h.
#include "lib/media/flv.h"

#include <algorithm>
#include <string>

#include "lib/base/bytes.h"

namespace cdn::media {
namespace {

// E.2: DataOffset is 9 for version 1; a later version may grow the header, so larger values
// are skipped, but capped so a hostile header cannot make us buffer gigabytes.
constexpr uint32_t kMaxDataOffset = 1024;

bool KnownTagType(uint8_t t) {
  return t == static_cast<uint8_t>(TagType::kAudio) || t == static_cast<uint8_t>(TagType::kVideo) ||
         t == static_cast<uint8_t>(TagType::kScript);
}

}  // namespace

std::string FlvFileHeader(bool has_audio, bool has_video) {
  std::string out = "FLV";
  base::PutU8(&out, kFlvVersion);
  base::PutU8(&out, static_cast<uint8_t>((has_audio ? kFlvFlagAudio : 0) | (has_video ? kFlvFlagVideo : 0)));
  base::PutU32(&out, kFlvHeaderSize);
  base::PutU32(&out, 0);  // PreviousTagSize0
  return out;
}

void AppendFlvTagHeader(TagType type, uint32_t timestamp_ms, uint32_t data_size, std::string* out) {
  base::PutU8(out, static_cast<uint8_t>(type));  // Reserved = 0, Filter = 0
  base::PutU24(out, data_size & kFlvMaxDataSize);
  base::PutU24(out, timestamp_ms & 0xffffff);
  base::PutU8(out, static_cast<uint8_t>(timestamp_ms >> 24));  // TimestampExtended
  base::PutU24(out, 0);                                          // StreamID, always 0
}

void AppendFlvTag(TagType type, uint32_t timestamp_ms, std::string_view data, std::string* out) {
  const uint32_t size = static_cast<uint32_t>(data.size()) & kFlvMaxDataSize;
  out->reserve(out->size() + kFlvTagHeaderSize + size + kFlvPreviousTagSizeSize);
  AppendFlvTagHeader(type, timestamp_ms, size, out);
  out->append(data.substr(0, size));
  base::PutU32(out, static_cast<uint32_t>(kFlvTagHeaderSize + size));
}

FlvReader::FlvReader(size_t max_tag_size) : max_tag_size_(max_tag_size) {}

base::Status FlvReader::Consume(std::string_view in, std::vector<FlvTag>* tags) {
  if (!status_.ok()) return status_;
  buffer_.append(in);
  size_t pos = 0;
  base::Status st = header_parsed_ ? base::Status::Ok() : ParseHeader(&pos);
  if (st.ok() && header_parsed_) st = ParseTags(&pos, tags);
  if (!st.ok()) {
    status_ = st.WithContext("flv");
    buffer_.clear();
    buffer_.shrink_to_fit();
    return status_;
  }
  buffer_.erase(0, pos);
  return base::Status::Ok();
}

base::Status FlvReader::ParseHeader(size_t* pos) {
  // Reject a wrong signature as soon as its bytes arrive, not only once 9 bytes are in.
  static constexpr std::string_view kSignature = "FLV";
  const size_t n = std::min(buffer_.size(), kSignature.size());
  if (std::string_view(buffer_).substr(0, n) != kSignature.substr(0, n)) {
    return base::Status::Invalid("bad signature, not an FLV stream");
  }
  if (buffer_.size() < kFlvHeaderSize) return base::Status::Ok();
  // buffer_[3] is Version. Only 1 exists; others are accepted, the layout is what matters.
  flags_ = static_cast<uint8_t>(buffer_[4]);
  const uint32_t data_offset = base::GetBE(buffer_, 5, 4);
  if (data_offset < kFlvHeaderSize || data_offset > kMaxDataOffset) {
    return base::Status::Invalid("bad header DataOffset " + std::to_string(data_offset));
  }
  if (buffer_.size() < data_offset + kFlvPreviousTagSizeSize) return base::Status::Ok();
  // PreviousTagSize0 should be 0; its value is not worth rejecting a stream over.
  *pos = data_offset + kFlvPreviousTagSizeSize;
  header_parsed_ = true;
  return base::Status::Ok();
}

base::Status FlvReader::ParseTags(size_t* pos, std::vector<FlvTag>* tags) {
  while (buffer_.size() - *pos >= kFlvTagHeaderSize) {
    const std::string_view header = std::string_view(buffer_).substr(*pos, kFlvTagHeaderSize);
    const uint8_t flags = static_cast<uint8_t>(header[0]);
    // The two Reserved bits (0xc0) are ignored, as players do.
    if (flags & kFlvTagFilterBit) return base::Status::Unsupported("encrypted (Filter) tag");
    const uint8_t type = flags & kFlvTagTypeMask;
    if (!KnownTagType(type)) return base::Status::Invalid("bad tag type " + std::to_string(type));
    const uint32_t size = base::GetBE(header, 1, 3);
    if (size > max_tag_size_) return base::Status::TooLarge("tag of " + std::to_string(size) + " bytes");
    const size_t total = kFlvTagHeaderSize + size + kFlvPreviousTagSizeSize;
    if (buffer_.size() - *pos < total) break;  // need more
    const uint32_t timestamp =
        base::GetBE(header, 4, 3) | (uint32_t{static_cast<uint8_t>(header[7])} << 24);  // TimestampExtended
    // StreamID (header[8..10]) is always 0. PreviousTagSize is not checked: some muxers write
    // it wrong, and DataSize alone frames the stream.
    tags->push_back(
        FlvTag{static_cast<TagType>(type), timestamp, buffer_.substr(*pos + kFlvTagHeaderSize, size)});
    *pos += total;
  }
  return base::Status::Ok();
}

}  // namespace cdn::media
