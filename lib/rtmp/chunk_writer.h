// ChunkWriter: splits messages into chunks (RTMP 1.0 section 5.3): a format 0 header on the
// first chunk, format 3 on the rest, extended timestamps where needed. Also encodes the
// protocol control (5.4) and user control (7.1.7) messages. Output is appended to a buffer;
// no I/O. Single-threaded per connection; the static Encode* functions are pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "lib/base/status.h"
#include "lib/rtmp/message.h"

namespace cdn::rtmp {

class ChunkWriter {
 public:
  // Appends `payload` as one message in chunks of `chunk_size`. Pure: the output depends only
  // on its arguments, so the same media message chunks identically for every viewer.
  // The message length field is 24 bits (5.3.1.2.1): payloads over kMaxChunkSize bytes are a
  // caller bug (every inbound message is capped below that). A chunk_size of 0 would never
  // finish; it is treated as kDefaultChunkSize.
  static void Encode(uint32_t csid, uint8_t type, uint32_t timestamp, uint32_t stream_id,
                     std::string_view payload, uint32_t chunk_size, std::string* out);

  void Write(uint32_t csid, uint8_t type, uint32_t timestamp, uint32_t stream_id,
             std::string_view payload, std::string* out) const {
    Encode(csid, type, timestamp, stream_id, payload, chunk_size_, out);
  }
  // Queues Set Chunk Size and uses the new size for every later message. Sizes outside
  // 1..kMaxChunkSize (5.4.1: 31 bits, and we never go over 16 MiB - 1) are refused with
  // nothing written.
  base::Status SetChunkSize(uint32_t size, std::string* out);
  uint32_t chunk_size() const { return chunk_size_; }

  static void WindowAckSize(uint32_t size, std::string* out);
  static void SetPeerBandwidth(uint32_t size, uint8_t limit_type, std::string* out);
  static void Ack(uint32_t sequence, std::string* out);
  static void UserControl(uint16_t event, uint32_t value, std::string* out);
  static void UserControl2(uint16_t event, uint32_t v1, uint32_t v2, std::string* out);

 private:
  uint32_t chunk_size_ = kDefaultChunkSize;
};

}  // namespace cdn::rtmp
