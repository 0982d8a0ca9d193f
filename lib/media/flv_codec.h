// Inspection of FLV/RTMP audio and video tag bodies: which codec, keyframe, sequence header or
// coded frame, and where the codec payload starts. Legacy FLV 10.1 (E.4.2.1 AUDIODATA, E.4.3.1
// VIDEODATA) and Enhanced RTMP (veovera, v1 video / v2 audio ExHeader). Pure functions; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lib/base/status.h"

namespace cdn::media {

constexpr uint32_t FourCc(const char (&s)[5]) {
  return (uint32_t{static_cast<uint8_t>(s[0])} << 24) | (uint32_t{static_cast<uint8_t>(s[1])} << 16) |
         (uint32_t{static_cast<uint8_t>(s[2])} << 8) | uint32_t{static_cast<uint8_t>(s[3])};
}

// FLV 10.1 E.4.3.1 FrameType.
constexpr uint8_t kVideoFrameKey = 1;
constexpr uint8_t kVideoFrameInter = 2;
constexpr uint8_t kVideoFrameDisposable = 3;
constexpr uint8_t kVideoFrameGeneratedKey = 4;
constexpr uint8_t kVideoFrameCommand = 5;  // "video info/command frame": a UI8, no picture
// E.4.3.1 CodecID (7), and 12 as the Chinese-CDN FLV extension for HEVC.
constexpr uint8_t kVideoCodecIdAvc = 7;
constexpr uint8_t kVideoCodecIdHevcLegacy = 12;
// Enhanced RTMP: the IsExHeader bit and PacketType.
constexpr uint8_t kVideoExHeaderBit = 0x80;
enum class VideoPacketType : uint8_t {
  kSequenceStart = 0, kCodedFrames = 1, kSequenceEnd = 2, kCodedFramesX = 3, kMetadata = 4,
  kMpeg2TsSequenceStart = 5, kMultitrack = 6, kModEx = 7,
};

// FLV 10.1 E.4.2.1 SoundFormat; 9 is the Enhanced RTMP ExHeader marker.
constexpr uint8_t kSoundFormatMp3 = 2;
constexpr uint8_t kSoundFormatExHeader = 9;
constexpr uint8_t kSoundFormatAac = 10;
constexpr uint8_t kSoundFormatMp3_8k = 14;
enum class AudioPacketType : uint8_t {
  kSequenceStart = 0, kCodedFrames = 1, kSequenceEnd = 2, kMultichannelConfig = 4, kMultitrack = 5,
  kModEx = 7,
};

enum class VideoCodec : uint8_t { kUnknown, kAvc, kHevc, kAv1, kVp9, kOther };

struct VideoTagInfo {
  VideoCodec codec = VideoCodec::kUnknown;
  uint8_t frame_type = 0;         // E.4.3.1 FrameType (kVideoFrame*)
  bool keyframe = false;          // FrameType 1
  bool sequence_header = false;   // AVC/HEVC configuration record, av1C, vpcC
  bool end_of_sequence = false;
  bool metadata = false;          // enhanced PacketType Metadata (AMF, e.g. colorInfo)
  bool enhanced = false;          // Enhanced RTMP ExHeader
  uint32_t fourcc = 0;            // enhanced only
  int32_t composition_time = 0;   // ms, PTS - DTS; AVC/HEVC coded frames only
  size_t payload_offset = 0;      // where the codec payload begins
};

// Errors: empty or truncated header (Invalid), an enhanced PacketType this code does not
// handle, such as Multitrack or ModEx (Unsupported).
base::Result<VideoTagInfo> ParseVideoTag(std::string_view data);

enum class AudioCodec : uint8_t { kUnknown, kAac, kMp3, kOpus, kOther };

struct AudioTagInfo {
  AudioCodec codec = AudioCodec::kUnknown;
  bool sequence_header = false;   // AAC AudioSpecificConfig, enhanced SequenceStart
  uint8_t sound_rate = 0;         // E.4.2.1 raw fields, 0 when enhanced: 3 = 44 kHz,
  uint8_t sound_size = 0;         //   1 = 16-bit,
  uint8_t sound_type = 0;         //   1 = stereo (AAC always says 3/1/1; trust the ASC)
  uint8_t sound_format = 0;       // E.4.2.1 SoundFormat (kSoundFormat*)
  bool enhanced = false;
  uint8_t ex_packet_type = 0;     // enhanced AudioPacketType
  uint32_t fourcc = 0;            // enhanced only
  size_t payload_offset = 0;
};

base::Result<AudioTagInfo> ParseAudioTag(std::string_view data);

}  // namespace cdn::media
