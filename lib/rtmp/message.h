// RTMP messages as the chunk layer delivers them, and the wire constants that name them
// (Adobe RTMP 1.0 spec, section 5.4 protocol control, 6.2 user control, 7.1 message types).
// Plain values; any thread.
#pragma once

#include <cstdint>
#include <string>

namespace cdn::rtmp {

// RTMP 1.0 section 5.4 / 7.1: message type ids.
enum MessageType : uint8_t {
  kMsgSetChunkSize = 1,
  kMsgAbort = 2,
  kMsgAck = 3,
  kMsgUserControl = 4,
  kMsgWindowAckSize = 5,
  kMsgSetPeerBandwidth = 6,
  kMsgAudio = 8,
  kMsgVideo = 9,
  kMsgAmf3Data = 15,
  kMsgAmf3SharedObject = 16,
  kMsgAmf3Command = 17,
  kMsgAmf0Data = 18,
  kMsgAmf0SharedObject = 19,
  kMsgAmf0Command = 20,
  kMsgAggregate = 22,
};

// RTMP 1.0 section 7.1.7: user control event types.
enum UserControlEvent : uint16_t {
  kUcStreamBegin = 0,
  kUcStreamEof = 1,
  kUcStreamDry = 2,
  kUcSetBufferLength = 3,
  kUcStreamIsRecorded = 4,
  kUcPingRequest = 6,
  kUcPingResponse = 7,
};

// Chunk stream ids we send on (2 is reserved for protocol control, section 5.3.1.1).
constexpr uint32_t kCsidControl = 2;
constexpr uint32_t kCsidCommand = 3;
constexpr uint32_t kCsidAudio = 4;
constexpr uint32_t kCsidVideo = 6;
constexpr uint32_t kCsidData = 5;

constexpr uint32_t kDefaultChunkSize = 128;          // section 5.4.1
constexpr uint32_t kMaxChunkSize = 0xFFFFFF;         // we refuse above 16 MiB - 1
constexpr uint32_t kDefaultMaxMessageSize = 8 << 20;

struct Message {
  uint8_t type = 0;
  uint32_t timestamp = 0;  // milliseconds, absolute (deltas already applied)
  uint32_t stream_id = 0;  // message stream id
  uint32_t csid = 0;       // chunk stream it arrived on / goes out on
  std::string payload;
};

}  // namespace cdn::rtmp
