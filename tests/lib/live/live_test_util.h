// Helpers shared by the live tests: FLV tag bodies built by hand (FLV 10.1 E.4.2.1 AUDIODATA,
// E.4.3.1 VIDEODATA + AVCVIDEOPACKET), an onMetaData body, and a Consumer that records what it
// gets and can run a hook inside each callback.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lib/live/media_packet.h"
#include "lib/live/stream.h"
#include "lib/rtmp/amf0.h"

namespace cdn::live::testing {

// byte0 = FrameType << 4 | CodecID 7 (AVC), byte1 = AVCPacketType, then a 3-byte composition time.
inline std::string Video(int frame_type, int avc_packet_type, size_t body = 16, char fill = 'v') {
  std::string s;
  s.push_back(static_cast<char>(frame_type << 4 | 7));
  s.push_back(static_cast<char>(avc_packet_type));
  s.append(3, '\0');
  s.append(body, fill);
  return s;
}
inline std::string KeyFrame(size_t body = 16) { return Video(1, 1, body, 'k'); }
inline std::string InterFrame(size_t body = 16) { return Video(2, 1, body, 'i'); }
inline std::string AvcSequenceHeader() { return Video(1, 0, 8, 's'); }
inline std::string AvcEndOfSequence() { return Video(1, 2, 0); }

// byte0 = 0xAF (AAC, 44 kHz, 16-bit, stereo), byte1 = AACPacketType.
inline std::string AacSequenceHeader() { return std::string("\xAF\x00\x12\x10", 4); }
inline std::string AacFrame(size_t body = 8) {
  std::string s("\xAF\x01", 2);
  s.append(body, 'a');
  return s;
}

// AMF0 "onMetaData" + ECMA array, as a publisher's data message carries it after unwrapping.
inline std::string Metadata(double width = 640) {
  rtmp::Amf0Properties p;
  p.emplace_back("width", rtmp::Amf0Value::Number(width));
  p.emplace_back("height", rtmp::Amf0Value::Number(360));
  return rtmp::EncodeAmf0All({rtmp::Amf0Value::String("onMetaData"), rtmp::Amf0Value::EcmaArray(std::move(p))});
}

inline PacketPtr Make(PacketType type, uint32_t ts, std::string payload) {
  return std::make_shared<const MediaPacket>(type, ts, std::move(payload));
}

class RecordingConsumer : public Consumer {
 public:
  std::vector<PacketPtr> packets;
  std::vector<std::string> events;  // "start", "packet", "gone", "end"
  int starts = 0, gone = 0, ends = 0;
  std::function<void(const PacketPtr&)> on_packet;
  std::function<void()> on_gone, on_end, on_start;

  void OnStreamStart() override {
    ++starts;
    events.push_back("start");
    if (on_start) on_start();
  }
  void OnPacket(const PacketPtr& p) override {
    packets.push_back(p);
    events.push_back("packet");
    if (on_packet) on_packet(p);
  }
  void OnPublisherGone() override {
    ++gone;
    events.push_back("gone");
    if (on_gone) on_gone();
  }
  void OnStreamEnd() override {
    ++ends;
    events.push_back("end");
    if (on_end) on_end();
  }
};

}  // namespace cdn::live::testing
