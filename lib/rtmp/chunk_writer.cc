#include "lib/rtmp/chunk_writer.h"

#include "lib/base/bytes.h"

namespace cdn::rtmp {

namespace {
void BasicHeader(uint8_t fmt, uint32_t csid, std::string* out) {
  // Section 5.3.1.1: 1, 2 or 3 bytes depending on the chunk stream id.
  if (csid < 64) {
    base::PutU8(out, static_cast<uint8_t>(fmt << 6 | csid));
  } else if (csid < 64 + 256) {
    base::PutU8(out, static_cast<uint8_t>(fmt << 6));
    base::PutU8(out, static_cast<uint8_t>(csid - 64));
  } else {
    base::PutU8(out, static_cast<uint8_t>(fmt << 6 | 1));
    const uint32_t v = csid - 64;
    base::PutU8(out, static_cast<uint8_t>(v & 0xff));
    base::PutU8(out, static_cast<uint8_t>(v >> 8));
  }
}
}  // namespace

void ChunkWriter::Encode(uint32_t csid, uint8_t type, uint32_t timestamp, uint32_t stream_id,
                         std::string_view payload, uint32_t chunk_size, std::string* out) {
  if (chunk_size == 0) chunk_size = kDefaultChunkSize;
  const bool extended = timestamp >= 0xFFFFFF;
  const size_t chunks = payload.empty() ? 1 : (payload.size() + chunk_size - 1) / chunk_size;
  out->reserve(out->size() + payload.size() + 16 + chunks * (extended ? 7 : 3));
  BasicHeader(0, csid, out);
  base::PutU24(out, extended ? 0xFFFFFF : timestamp);
  base::PutU24(out, static_cast<uint32_t>(payload.size()));
  base::PutU8(out, type);
  base::PutU32LE(out, stream_id);  // section 5.3.1.2.1: little-endian
  if (extended) base::PutU32(out, timestamp);
  size_t off = 0;
  while (true) {
    const size_t n = std::min<size_t>(chunk_size, payload.size() - off);
    out->append(payload.substr(off, n));
    off += n;
    if (off >= payload.size()) break;
    BasicHeader(3, csid, out);
    if (extended) base::PutU32(out, timestamp);  // repeated on fmt 3, as Flash and ffmpeg expect
  }
}

base::Status ChunkWriter::SetChunkSize(uint32_t size, std::string* out) {
  if (size == 0 || size > kMaxChunkSize) return base::Status::Invalid("bad chunk size " + std::to_string(size));
  std::string p;
  base::PutU32(&p, size);
  Encode(kCsidControl, kMsgSetChunkSize, 0, 0, p, chunk_size_, out);
  chunk_size_ = size;
  return base::Status::Ok();
}

void ChunkWriter::WindowAckSize(uint32_t size, std::string* out) {
  std::string p;
  base::PutU32(&p, size);
  Encode(kCsidControl, kMsgWindowAckSize, 0, 0, p, kDefaultChunkSize, out);
}

void ChunkWriter::SetPeerBandwidth(uint32_t size, uint8_t limit_type, std::string* out) {
  std::string p;
  base::PutU32(&p, size);
  base::PutU8(&p, limit_type);
  Encode(kCsidControl, kMsgSetPeerBandwidth, 0, 0, p, kDefaultChunkSize, out);
}

void ChunkWriter::Ack(uint32_t sequence, std::string* out) {
  std::string p;
  base::PutU32(&p, sequence);
  Encode(kCsidControl, kMsgAck, 0, 0, p, kDefaultChunkSize, out);
}

void ChunkWriter::UserControl(uint16_t event, uint32_t value, std::string* out) {
  std::string p;
  base::PutU16(&p, event);
  base::PutU32(&p, value);
  Encode(kCsidControl, kMsgUserControl, 0, 0, p, kDefaultChunkSize, out);
}

void ChunkWriter::UserControl2(uint16_t event, uint32_t v1, uint32_t v2, std::string* out) {
  std::string p;
  base::PutU16(&p, event);
  base::PutU32(&p, v1);
  base::PutU32(&p, v2);
  Encode(kCsidControl, kMsgUserControl, 0, 0, p, kDefaultChunkSize, out);
}

}  // namespace cdn::rtmp
