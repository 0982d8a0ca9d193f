// Audio/video tag body inspection; see flv_codec.h.
#include "lib/media/flv_codec.h"

#include <string>

#include "lib/base/bytes.h"

namespace cdn::media {
namespace {

constexpr size_t kAvcVideoHeaderSize = 5;  // E.4.3.1: FrameType|CodecID, AVCPacketType, CompositionTime SI24
constexpr size_t kExVideoHeaderSize = 5;   // IsExHeader|FrameType|PacketType, FourCC
constexpr size_t kAacAudioHeaderSize = 2;  // E.4.2.1: format byte, AACPacketType
constexpr size_t kExAudioHeaderSize = 5;   // SoundFormat 9|PacketType, FourCC

int32_t ReadSi24(std::string_view d, size_t off) {
  uint32_t v = base::GetBE(d, off, 3);
  if (v & 0x800000) v |= 0xff000000u;  // sign-extend
  return static_cast<int32_t>(v);
}

VideoCodec VideoCodecFromFourCc(uint32_t fourcc) {
  switch (fourcc) {
    case FourCc("avc1"): return VideoCodec::kAvc;
    case FourCc("hvc1"): return VideoCodec::kHevc;
    case FourCc("av01"): return VideoCodec::kAv1;
    case FourCc("vp09"): return VideoCodec::kVp9;
    default: return VideoCodec::kOther;
  }
}

AudioCodec AudioCodecFromFourCc(uint32_t fourcc) {
  switch (fourcc) {
    case FourCc("mp4a"): return AudioCodec::kAac;
    case FourCc(".mp3"): return AudioCodec::kMp3;
    case FourCc("Opus"): return AudioCodec::kOpus;
    default: return AudioCodec::kOther;
  }
}

base::Result<VideoTagInfo> ParseExVideoTag(std::string_view data) {
  VideoTagInfo info;
  info.enhanced = true;
  const uint8_t b0 = static_cast<uint8_t>(data[0]);
  info.frame_type = (b0 >> 4) & 0x07;
  info.keyframe = info.frame_type == kVideoFrameKey;
  const uint8_t packet_type = b0 & 0x0f;
  if (packet_type == static_cast<uint8_t>(VideoPacketType::kModEx) ||
      packet_type == static_cast<uint8_t>(VideoPacketType::kMultitrack) || packet_type > 7) {
    return base::Status::Unsupported("enhanced video PacketType " + std::to_string(packet_type));
  }
  const auto type = static_cast<VideoPacketType>(packet_type);
  // E-RTMP v2: a command frame carries a UI8 command right after the first byte, no FourCC.
  if (info.frame_type == kVideoFrameCommand && type != VideoPacketType::kMetadata) {
    if (data.size() < 2) return base::Status::Invalid("truncated enhanced video command");
    info.payload_offset = 1;
    return info;
  }
  if (data.size() < kExVideoHeaderSize) return base::Status::Invalid("truncated enhanced video header");
  info.fourcc = base::GetBE(data, 1, 4);
  info.codec = VideoCodecFromFourCc(info.fourcc);
  info.payload_offset = kExVideoHeaderSize;
  switch (type) {
    case VideoPacketType::kSequenceStart:
    case VideoPacketType::kMpeg2TsSequenceStart:  // AV1 in TS descriptor form: still a sequence start
      info.sequence_header = true;
      break;
    case VideoPacketType::kSequenceEnd:
      info.end_of_sequence = true;
      break;
    case VideoPacketType::kMetadata:
      info.metadata = true;
      break;
    case VideoPacketType::kCodedFrames:
      // Only AVC and HEVC carry CompositionTime SI24 here; CodedFramesX means it is 0.
      if (info.codec == VideoCodec::kAvc || info.codec == VideoCodec::kHevc) {
        if (data.size() < kExVideoHeaderSize + 3) return base::Status::Invalid("truncated composition time");
        info.composition_time = ReadSi24(data, kExVideoHeaderSize);
        info.payload_offset += 3;
      }
      break;
    case VideoPacketType::kCodedFramesX:
    default:
      break;
  }
  return info;
}

}  // namespace

base::Result<VideoTagInfo> ParseVideoTag(std::string_view data) {
  if (data.empty()) return base::Status::Invalid("empty video tag");
  const uint8_t b0 = static_cast<uint8_t>(data[0]);
  if (b0 & kVideoExHeaderBit) return ParseExVideoTag(data);

  VideoTagInfo info;
  info.frame_type = b0 >> 4;
  info.keyframe = info.frame_type == kVideoFrameKey;
  const uint8_t codec_id = b0 & 0x0f;
  info.payload_offset = 1;
  if (codec_id != kVideoCodecIdAvc && codec_id != kVideoCodecIdHevcLegacy) {
    info.codec = VideoCodec::kOther;  // H.263, screen video, VP6: passed through untouched
    return info;
  }
  info.codec = codec_id == kVideoCodecIdAvc ? VideoCodec::kAvc : VideoCodec::kHevc;
  // E.4.3.1: with FrameType 5 a UI8 command replaces the AVCVIDEOPACKET.
  if (info.frame_type == kVideoFrameCommand) {
    if (data.size() < 2) return base::Status::Invalid("truncated video command");
    return info;
  }
  if (data.size() < kAvcVideoHeaderSize) return base::Status::Invalid("truncated AVC video header");
  const uint8_t packet_type = static_cast<uint8_t>(data[1]);  // AVCPacketType
  switch (packet_type) {
    case 0: info.sequence_header = true; break;
    case 1: info.composition_time = ReadSi24(data, 2); break;
    case 2: info.end_of_sequence = true; break;
    default: return base::Status::Invalid("bad AVCPacketType " + std::to_string(packet_type));
  }
  info.payload_offset = kAvcVideoHeaderSize;
  return info;
}

base::Result<AudioTagInfo> ParseAudioTag(std::string_view data) {
  if (data.empty()) return base::Status::Invalid("empty audio tag");
  const uint8_t b0 = static_cast<uint8_t>(data[0]);
  AudioTagInfo info;
  info.sound_format = b0 >> 4;
  info.payload_offset = 1;
  if (info.sound_format == kSoundFormatExHeader) {
    info.enhanced = true;
    info.ex_packet_type = b0 & 0x0f;
    const auto type = static_cast<AudioPacketType>(info.ex_packet_type);
    if (type != AudioPacketType::kSequenceStart && type != AudioPacketType::kCodedFrames &&
        type != AudioPacketType::kSequenceEnd && type != AudioPacketType::kMultichannelConfig) {
      return base::Status::Unsupported("enhanced audio PacketType " + std::to_string(info.ex_packet_type));
    }
    if (data.size() < kExAudioHeaderSize) return base::Status::Invalid("truncated enhanced audio header");
    info.fourcc = base::GetBE(data, 1, 4);
    info.codec = AudioCodecFromFourCc(info.fourcc);
    info.sequence_header = type == AudioPacketType::kSequenceStart;
    info.payload_offset = kExAudioHeaderSize;
    return info;
  }
  info.sound_rate = (b0 >> 2) & 0x03;
  info.sound_size = (b0 >> 1) & 0x01;
  info.sound_type = b0 & 0x01;
  if (info.sound_format == kSoundFormatMp3 || info.sound_format == kSoundFormatMp3_8k) {
    info.codec = AudioCodec::kMp3;
    return info;
  }
  if (info.sound_format != kSoundFormatAac) {
    info.codec = AudioCodec::kOther;
    return info;
  }
  info.codec = AudioCodec::kAac;
  if (data.size() < kAacAudioHeaderSize) return base::Status::Invalid("truncated AAC audio header");
  const uint8_t packet_type = static_cast<uint8_t>(data[1]);  // AACPacketType
  if (packet_type > 1) return base::Status::Invalid("bad AACPacketType " + std::to_string(packet_type));
  info.sequence_header = packet_type == 0;
  info.payload_offset = kAacAudioHeaderSize;
  return info;
}

}  // namespace cdn::media
