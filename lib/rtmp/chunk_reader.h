// ChunkReader: reassembles RTMP messages from the chunk stream (RTMP 1.0 section 5.3):
// formats 0-3, 1/2/3-byte chunk stream ids, extended timestamps, Set Chunk Size and Abort
// applied as they arrive. No I/O: Consume() takes any split of the bytes. One per connection;
// single-threaded.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lib/base/status.h"
#include "lib/rtmp/message.h"

namespace cdn::rtmp {

struct ChunkReaderLimits {
  uint32_t max_message_size = kDefaultMaxMessageSize;
  size_t max_chunk_streams = 64;  // distinct chunk stream ids with state
};

class ChunkReader {
 public:
  explicit ChunkReader(ChunkReaderLimits limits = {}) : limits_(limits) {}

  // Parses as many whole chunks as `in` (plus what was buffered) holds and appends finished
  // messages to *out (those completed before an error too). Returns an error for protocol
  // violations; the connection must then close. Errors are final: every later call returns the
  // same error and parses nothing.
  base::Status Consume(std::string_view in, std::vector<Message>* out);

  uint32_t chunk_size() const { return chunk_size_; }
  uint64_t bytes_received() const { return bytes_received_; }
  // Memory held for partial chunks and partial messages (capacity, not size): what one peer
  // costs between messages.
  size_t buffered_bytes() const;

 private:
  struct StreamState {
    uint32_t timestamp = 0;
    uint32_t delta = 0;
    uint32_t length = 0;
    uint8_t type = 0;
    uint32_t stream_id = 0;
    bool extended = false;     // the last header of this chunk stream used an extended timestamp
    uint32_t ext_value = 0;
    bool seen = false;
    std::string partial;       // the message being assembled
    bool in_progress = false;
  };
  // Returns bytes used from data, 0 if more bytes are needed; error on violation.
  base::Result<size_t> ParseOne(std::string_view data, std::vector<Message>* out);
  base::Status HandleControl(const Message& m);

  ChunkReaderLimits limits_;
  uint32_t chunk_size_ = kDefaultChunkSize;
  std::string buf_;
  base::Status status_;  // the first error, returned forever after
  std::unordered_map<uint32_t, StreamState> streams_;
  uint64_t bytes_received_ = 0;
};

}  // namespace cdn::rtmp
