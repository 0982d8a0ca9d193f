// Tests for lib/live/ingest_meter: bitrate and fps over complete windows (zero once the
// publisher goes quiet), key frame interval from media timestamps, codecs from the FLV tag
// headers and the picture size from a real libx264 AVC sequence header.
#include "lib/live/ingest_meter.h"

#include <doctest/doctest.h>

#include "tests/lib/live/live_test_util.h"
#include "tests/lib/media/media_test_data.h"

namespace cdn::live {
namespace {

using namespace testing;  // NOLINT: test helpers

TEST_CASE("IngestMeter: rates over a window, key frame interval, codecs and size") {
  IngestMeter m;
  m.OnPacket(*Make(PacketType::kVideo, 0, media::testing::kAvcTag720), 0);
  m.OnPacket(*Make(PacketType::kAudio, 0, AacSequenceHeader()), 0);
  CHECK(m.video_codec() == "h264");
  CHECK(m.audio_codec() == "aac");
  CHECK(m.width() == 1280);
  CHECK(m.height() == 720);
  CHECK(m.bits_per_second(0) == 0);  // no complete window yet
  // 25 fps for 2 s, GOP 1 s, 1000-byte frames (+5 bytes of tag header).
  int64_t now = 0;
  for (int i = 0; i < 50; ++i) {
    now = i * 40;
    m.OnPacket(*Make(PacketType::kVideo, static_cast<uint32_t>(now), i % 25 == 0 ? KeyFrame(995) : InterFrame(995)), now);
  }
  m.OnPacket(*Make(PacketType::kVideo, 2000, KeyFrame(995)), 2000);  // closes the window
  CHECK(m.frames_per_second(2000) == doctest::Approx(25.0).epsilon(0.05));
  CHECK(m.bits_per_second(2000) == doctest::Approx(200000).epsilon(0.05));
  CHECK(m.keyframe_interval_seconds() == doctest::Approx(1.0));
  CHECK(m.bits_per_second(5000) == 0);  // quiet for two windows
  CHECK(m.frames_per_second(5000) == 0);
}

TEST_CASE("IngestMeter: other codecs and junk never throw") {
  IngestMeter m;
  m.OnPacket(*Make(PacketType::kVideo, 0, std::string("\x1c\x00\x00\x00\x00", 5)), 0);  // CodecID 12
  CHECK(m.video_codec() == "hevc");
  m.OnPacket(*Make(PacketType::kAudio, 0, std::string("\x2f\x00", 2)), 0);  // SoundFormat 2
  CHECK(m.audio_codec() == "mp3");
  m.OnPacket(*Make(PacketType::kVideo, 0, std::string("\x17\x00\xff", 3)), 0);  // truncated AVC header
  m.OnPacket(*Make(PacketType::kVideo, 0, std::string()), 0);
  m.OnPacket(*Make(PacketType::kVideo, 0, std::string("\x90hvc1", 5)), 0);  // enhanced RTMP FourCC
  CHECK(m.video_codec() == "hevc");
  CHECK(m.width() == 0);
}

}  // namespace
}  // namespace cdn::live
