// RtmpScanner: reads an RTMP chunk stream (RTMP 1.0 section 5.3) after the handshake the cheap
// way a load generator needs: audio, video and aggregate messages are followed by their chunk
// headers only (timestamp, length, the first few payload bytes for key-frame detection) and
// never copied; every other message (protocol control, commands, data) is reassembled whole,
// up to a cap, for the session logic. Header rules match lib/rtmp/chunk_reader.cc. No I/O;
// one per connection; single-threaded.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "lib/base/status.h"
#include "lib/rtmp/message.h"

namespace cdn::loadgen {

class RtmpScanner {
 public:
  static constexpr size_t kHeadBytes = 16;                // payload bytes kept of each media message
  static constexpr size_t kMaxOtherMessage = 1 << 20;     // commands/data larger than this are refused
  static constexpr size_t kMaxChunkStreams = 64;

  class Delegate {
   public:
    virtual ~Delegate() = default;
    // A complete audio (8), video (9) or aggregate (22) message: absolute timestamp, length and
    // its first min(length, kHeadBytes) payload bytes.
    virtual void OnMediaHeader(uint8_t type, uint32_t timestamp, uint32_t length, std::string_view head) = 0;
    // Any other complete message. Set Chunk Size and Abort are applied before this runs. An
    // error stops the scan and is returned by Consume().
    virtual base::Status OnOtherMessage(rtmp::Message&& m) = 0;
  };

  explicit RtmpScanner(Delegate* delegate) : delegate_(delegate) {}

  // Any split of the chunk stream. Errors are final.
  base::Status Consume(std::string_view in);
  uint32_t chunk_size() const { return chunk_size_; }

 private:
  struct StreamState {
    uint32_t timestamp = 0;
    uint32_t delta = 0;
    uint32_t length = 0;
    uint8_t type = 0;
    uint32_t stream_id = 0;
    bool extended = false;
    uint32_t ext_value = 0;
    bool seen = false;
    bool in_progress = false;
    uint32_t received = 0;  // payload bytes of the current message so far
    uint8_t head_len = 0;
    char head[kHeadBytes];
    std::string partial;    // non-media messages only
  };
  static bool IsMedia(uint8_t type) {
    return type == rtmp::kMsgAudio || type == rtmp::kMsgVideo || type == rtmp::kMsgAggregate;
  }
  // Parses one chunk header at the start of `data` and applies it; returns its size, or 0 when
  // more bytes are needed (nothing changed then).
  base::Result<size_t> ParseHeader(std::string_view data);
  void Body(std::string_view bytes);
  base::Status EndChunk();

  Delegate* delegate_;
  uint32_t chunk_size_ = rtmp::kDefaultChunkSize;
  std::unordered_map<uint32_t, StreamState> streams_;  // node-based: pointers stay valid
  StreamState* cur_ = nullptr;                         // the chunk being read, null between chunks
  uint32_t cur_csid_ = 0;
  size_t chunk_left_ = 0;
  char hdr_[32];                                       // a chunk header split across reads
  size_t hdr_len_ = 0;
  base::Status status_;
};

}  // namespace cdn::loadgen
