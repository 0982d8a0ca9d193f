#include "lib/live/ingest_meter.h"

#include <string_view>

#include "lib/media/avc.h"

namespace cdn::live {

namespace {
// FLV 10.1 E.4.3.1 CodecID (video) and E.4.2.1 SoundFormat (audio).
const char* VideoCodecName(uint8_t id) {
  switch (id) {
    case 2: return "h263";
    case 4: return "vp6";
    case 7: return "h264";
    case 12: return "hevc";  // the common CodecID 12 extension (SRS, ffmpeg)
    default: return "other";
  }
}
const char* AudioCodecName(uint8_t fmt) {
  switch (fmt) {
    case 2: return "mp3";
    case 10: return "aac";
    case 11: return "speex";
    case 7: case 8: return "g711";
    default: return "other";
  }
}
}  // namespace

void IngestMeter::OnPacket(const MediaPacket& p, int64_t now_ms) {
  if (window_start_ms_ < 0) window_start_ms_ = now_ms;
  const int64_t elapsed = now_ms - window_start_ms_;
  if (elapsed >= kWindowMs) {
    bps_ = window_bytes_ * 8000 / static_cast<uint64_t>(elapsed);
    fps_ = static_cast<double>(window_frames_) * 1000.0 / static_cast<double>(elapsed);
    window_start_ms_ = now_ms;
    window_bytes_ = 0;
    window_frames_ = 0;
  }
  window_bytes_ += p.size();
  last_packet_ms_ = now_ms;
  const std::string& b = p.payload();
  if (b.empty()) return;
  const auto first = static_cast<uint8_t>(b[0]);
  if (p.type() == PacketType::kVideo) {
    if (first & 0x80) {
      // Enhanced RTMP (FourCC) header: IsExHeader set; the FourCC follows the first byte.
      if (b.size() >= 5) {
        const std::string_view fourcc(b.data() + 1, 4);
        video_codec_ = fourcc == "hvc1" ? "hevc" : fourcc == "av01" ? "av1" : fourcc == "vp09" ? "vp9" : "other";
      }
    } else {
      video_codec_ = VideoCodecName(first & 0x0f);
    }
    if (p.sequence_header()) {
      if ((first & 0x0f) == 7 && !(first & 0x80) && b.size() > 5) {
        auto cfg = media::ParseAvcDecoderConfig(std::string_view(b).substr(5));
        if (cfg.ok()) {
          width_ = cfg->width;
          height_ = cfg->height;
        }
      }
      return;
    }
    ++window_frames_;
    if (p.keyframe()) {
      const int64_t ts = p.timestamp();
      if (last_keyframe_ts_ >= 0 && ts > last_keyframe_ts_) keyframe_interval_ms_ = ts - last_keyframe_ts_;
      last_keyframe_ts_ = ts;
    }
  } else if (p.type() == PacketType::kAudio) {
    audio_codec_ = AudioCodecName(first >> 4);
  }
}

}  // namespace cdn::live
