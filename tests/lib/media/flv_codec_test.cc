// ParseVideoTag / ParseAudioTag: legacy FLV and Enhanced RTMP headers, every truncation, and
// every first byte.
#include "lib/media/flv_codec.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "tests/lib/media/media_test_data.h"

namespace cdn::media {
namespace {

using base::Status;
using testing::FromHex;

// First byte + FourCC + rest, built by appending (GCC 12 -Wrestrict misfires on "lit" + string&&).
std::string Ex(uint8_t b0, std::string_view fourcc, std::string_view rest = "") {
  std::string out(1, static_cast<char>(b0));
  out += fourcc;
  out += rest;
  return out;
}

VideoTagInfo Video(const std::string& data) {
  auto r = ParseVideoTag(data);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  CHECK(r->payload_offset <= data.size());
  return *r;
}

AudioTagInfo Audio(const std::string& data) {
  auto r = ParseAudioTag(data);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  CHECK(r->payload_offset <= data.size());
  return *r;
}

TEST_CASE("FourCc packs big-endian") {
  CHECK(FourCc("hvc1") == 0x68766331u);
  CHECK(FourCc("av01") == 0x61763031u);
}

TEST_CASE("legacy AVC sequence header from ffmpeg") {
  const VideoTagInfo v = Video(testing::kAvcTag640);
  CHECK(v.codec == VideoCodec::kAvc);
  CHECK(v.frame_type == kVideoFrameKey);
  CHECK(v.keyframe);
  CHECK(v.sequence_header);
  CHECK_FALSE(v.end_of_sequence);
  CHECK_FALSE(v.enhanced);
  CHECK(v.composition_time == 0);
  CHECK(v.payload_offset == 5);
  CHECK(testing::kAvcTag640[v.payload_offset] == 1);  // configurationVersion
}

TEST_CASE("legacy AVC coded frames and composition time") {
  VideoTagInfo v = Video(FromHex("1701000050" "00000010"));
  CHECK(v.keyframe);
  CHECK_FALSE(v.sequence_header);
  CHECK(v.composition_time == 80);
  CHECK(v.payload_offset == 5);
  v = Video(FromHex("2701fffffe"));
  CHECK_FALSE(v.keyframe);
  CHECK(v.frame_type == kVideoFrameInter);
  CHECK(v.composition_time == -2);
  v = Video(FromHex("27017fffff"));
  CHECK(v.composition_time == 0x7fffff);
  v = Video(FromHex("2701800000"));
  CHECK(v.composition_time == -0x800000);
  v = Video(FromHex("1702000000"));
  CHECK(v.end_of_sequence);
  CHECK_FALSE(v.sequence_header);
  v = Video(FromHex("4701000000"));  // generated keyframe: not a real random access point
  CHECK_FALSE(v.keyframe);
  CHECK(v.frame_type == kVideoFrameGeneratedKey);
}

TEST_CASE("legacy HEVC as codec id 12") {
  VideoTagInfo v = Video(FromHex("1c00000000" "01"));
  CHECK(v.codec == VideoCodec::kHevc);
  CHECK(v.sequence_header);
  v = Video(FromHex("2c01000021"));
  CHECK(v.codec == VideoCodec::kHevc);
  CHECK(v.composition_time == 0x21);
}

TEST_CASE("legacy non-AVC codecs pass through with a 1-byte header") {
  for (const char* hex : {"22", "2312", "14aabb", "15", "36"}) {
    const VideoTagInfo v = Video(FromHex(hex));
    CHECK(v.codec == VideoCodec::kOther);
    CHECK(v.payload_offset == 1);
    CHECK_FALSE(v.sequence_header);
  }
}

TEST_CASE("legacy video command frame") {
  const VideoTagInfo v = Video(FromHex("5700"));
  CHECK(v.frame_type == kVideoFrameCommand);
  CHECK_FALSE(v.keyframe);
  CHECK_FALSE(v.sequence_header);
  CHECK(v.payload_offset == 1);
  CHECK_FALSE(ParseVideoTag(FromHex("57")).ok());
}

TEST_CASE("legacy video errors") {
  CHECK(ParseVideoTag("").status().code() == Status::Code::kInvalid);
  CHECK(ParseVideoTag(FromHex("1703000000")).status().code() == Status::Code::kInvalid);
  CHECK(ParseVideoTag(FromHex("17ff000000")).status().code() == Status::Code::kInvalid);
  // Truncation at every length of a real header.
  for (size_t len = 0; len < 5; ++len) {
    CHECK_FALSE(ParseVideoTag(testing::kAvcTag640.substr(0, len)).ok());
  }
  CHECK(ParseVideoTag(testing::kAvcTag640.substr(0, 5)).ok());
}

TEST_CASE("enhanced RTMP video packet types") {
  VideoTagInfo v = Video(Ex(0x90, "hvc1", FromHex("01016000")));  // key, SequenceStart
  CHECK(v.enhanced);
  CHECK(v.codec == VideoCodec::kHevc);
  CHECK(v.fourcc == FourCc("hvc1"));
  CHECK(v.keyframe);
  CHECK(v.sequence_header);
  CHECK(v.payload_offset == 5);

  v = Video(Ex(0x91, "hvc1", FromHex("000028" "00000010")));  // key, CodedFrames: SI24 follows
  CHECK(v.keyframe);
  CHECK_FALSE(v.sequence_header);
  CHECK(v.composition_time == 40);
  CHECK(v.payload_offset == 8);

  v = Video(Ex(0xa3, "hvc1", FromHex("00000010")));  // inter, CodedFramesX: no SI24
  CHECK_FALSE(v.keyframe);
  CHECK(v.frame_type == kVideoFrameInter);
  CHECK(v.composition_time == 0);
  CHECK(v.payload_offset == 5);

  v = Video(Ex(0x92, "hvc1"));
  CHECK(v.end_of_sequence);
  CHECK(v.payload_offset == 5);

  v = Video(Ex(0x94, "hvc1", FromHex("02000a")));
  CHECK(v.metadata);
  CHECK_FALSE(v.sequence_header);

  v = Video(Ex(0x95, "av01", "desc"));  // MPEG2TSSequenceStart
  CHECK(v.codec == VideoCodec::kAv1);
  CHECK(v.sequence_header);

  v = Video(Ex(0xa1, "av01", "obu"));  // AV1 CodedFrames: no composition time
  CHECK(v.codec == VideoCodec::kAv1);
  CHECK(v.payload_offset == 5);

  v = Video(Ex(0x91, "vp09", "x"));
  CHECK(v.codec == VideoCodec::kVp9);
  CHECK(v.payload_offset == 5);

  v = Video(Ex(0x91, "avc1", FromHex("fffffe" "00")));
  CHECK(v.codec == VideoCodec::kAvc);
  CHECK(v.composition_time == -2);
  CHECK(v.payload_offset == 8);

  v = Video(Ex(0x90, "vp08"));
  CHECK(v.codec == VideoCodec::kOther);
  CHECK(v.fourcc == FourCc("vp08"));
}

TEST_CASE("enhanced RTMP command frame has no FourCC") {
  VideoTagInfo v = Video(FromHex("d001"));  // ExHeader, frame type 5, PacketType 0
  CHECK(v.enhanced);
  CHECK(v.frame_type == kVideoFrameCommand);
  CHECK(v.fourcc == 0);
  CHECK(v.payload_offset == 1);
  CHECK_FALSE(ParseVideoTag(FromHex("d0")).ok());
  // Metadata with frame type 5 still carries a FourCC.
  v = Video(Ex(0xd4, "hvc1"));
  CHECK(v.metadata);
  CHECK(v.fourcc == FourCc("hvc1"));
}

TEST_CASE("enhanced RTMP video: unsupported packet types and truncation") {
  for (int pt : {6, 7, 8, 12, 15}) {
    const std::string data = Ex(static_cast<uint8_t>(0x90 | pt), "hvc1", FromHex("000000"));
    CHECK(ParseVideoTag(data).status().code() == Status::Code::kUnsupported);
  }
  const std::string coded = Ex(0x91, "hvc1") + FromHex("000028");
  for (size_t len = 1; len < coded.size(); ++len) {
    CHECK(ParseVideoTag(coded.substr(0, len)).status().code() == Status::Code::kInvalid);
  }
  const std::string seq = Ex(0x90, "av01");
  for (size_t len = 1; len < seq.size(); ++len) CHECK_FALSE(ParseVideoTag(seq.substr(0, len)).ok());
  CHECK(ParseVideoTag(seq).ok());
}

TEST_CASE("ParseVideoTag: every first byte at every short length stays in bounds") {
  for (int b0 = 0; b0 < 256; ++b0) {
    for (size_t len = 1; len <= 9; ++len) {
      std::string data(len, '\xff');
      data[0] = static_cast<char>(b0);
      if (len >= 5) data.replace(1, 4, "hvc1");
      auto r = ParseVideoTag(data);
      if (r.ok()) CHECK(r->payload_offset <= data.size());
    }
  }
}

TEST_CASE("legacy AAC audio tags") {
  AudioTagInfo a = Audio(FromHex("af00121056e500"));  // ffmpeg's AAC sequence header
  CHECK(a.codec == AudioCodec::kAac);
  CHECK(a.sequence_header);
  CHECK(a.sound_format == kSoundFormatAac);
  CHECK(a.sound_rate == 3);
  CHECK(a.sound_size == 1);
  CHECK(a.sound_type == 1);
  CHECK(a.payload_offset == 2);
  CHECK_FALSE(a.enhanced);
  a = Audio(FromHex("af01aabbcc"));
  CHECK_FALSE(a.sequence_header);
  CHECK(a.payload_offset == 2);
  a = Audio(FromHex("ae01"));  // mono flag: AAC ignores it, but the raw field is reported
  CHECK(a.sound_type == 0);
  CHECK(ParseAudioTag(FromHex("af02")).status().code() == Status::Code::kInvalid);
  CHECK(ParseAudioTag(FromHex("af")).status().code() == Status::Code::kInvalid);
  CHECK(ParseAudioTag("").status().code() == Status::Code::kInvalid);
}

TEST_CASE("legacy MP3 and other sound formats") {
  AudioTagInfo a = Audio(FromHex("2ffffb90"));  // ffmpeg libmp3lame 44.1 kHz stereo
  CHECK(a.codec == AudioCodec::kMp3);
  CHECK(a.sound_rate == 3);
  CHECK(a.payload_offset == 1);
  a = Audio(FromHex("e2"));  // MP3 8 kHz
  CHECK(a.codec == AudioCodec::kMp3);
  for (const char* hex : {"b2", "72", "82", "06", "3e", "f0"}) {  // Speex, G.711, PCM, device-specific
    a = Audio(FromHex(hex));
    CHECK(a.codec == AudioCodec::kOther);
    CHECK(a.payload_offset == 1);
    CHECK_FALSE(a.sequence_header);
  }
}

TEST_CASE("enhanced RTMP audio") {
  AudioTagInfo a = Audio(Ex(0x90, "Opus", "OpusHead"));
  CHECK(a.enhanced);
  CHECK(a.codec == AudioCodec::kOpus);
  CHECK(a.sequence_header);
  CHECK(a.payload_offset == 5);
  CHECK(a.sound_rate == 0);
  a = Audio(Ex(0x91, "mp4a", "raw"));
  CHECK(a.codec == AudioCodec::kAac);
  CHECK_FALSE(a.sequence_header);
  CHECK(a.ex_packet_type == 1);
  a = Audio(Ex(0x91, ".mp3"));
  CHECK(a.codec == AudioCodec::kMp3);
  a = Audio(Ex(0x94, "fLaC", FromHex("0002")));
  CHECK(a.codec == AudioCodec::kOther);
  CHECK(a.ex_packet_type == static_cast<uint8_t>(AudioPacketType::kMultichannelConfig));
  a = Audio(Ex(0x92, "ac-3"));
  CHECK(a.codec == AudioCodec::kOther);
  for (int pt : {3, 5, 6, 7, 8, 15}) {
    const std::string data = Ex(static_cast<uint8_t>(0x90 | pt), "Opus");
    CHECK(ParseAudioTag(data).status().code() == Status::Code::kUnsupported);
  }
  const std::string seq = Ex(0x90, "Opus");
  for (size_t len = 1; len < seq.size(); ++len) {
    CHECK(ParseAudioTag(seq.substr(0, len)).status().code() == Status::Code::kInvalid);
  }
}

TEST_CASE("ParseAudioTag: every first byte at every short length stays in bounds") {
  for (int b0 = 0; b0 < 256; ++b0) {
    for (size_t len = 1; len <= 6; ++len) {
      std::string data(len, '\x01');
      data[0] = static_cast<char>(b0);
      auto r = ParseAudioTag(data);
      if (r.ok()) CHECK(r->payload_offset <= data.size());
    }
  }
}

}  // namespace
}  // namespace cdn::media
