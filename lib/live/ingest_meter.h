// IngestMeter: what a stream's publisher sends, measured as it arrives: bitrate and video frame
// rate over the last complete window, the key frame interval (media timestamps), and the codecs
// and picture size from the sequence headers (FLV 10.1 tag headers, ISO 14496-15 AVC config).
// Read by the admin views (/metrics, /api/v1/streams). Owned by its Stream; loop thread only.
#pragma once

#include <cstdint>
#include <string>

#include "lib/live/media_packet.h"

namespace cdn::live {

class IngestMeter {
 public:
  static constexpr int64_t kWindowMs = 2000;

  void OnPacket(const MediaPacket& p, int64_t now_ms);

  // Over the last complete window; 0 once nothing arrived for a window's length.
  uint64_t bits_per_second(int64_t now_ms) const { return Fresh(now_ms) ? bps_ : 0; }
  double frames_per_second(int64_t now_ms) const { return Fresh(now_ms) ? fps_ : 0; }
  double keyframe_interval_seconds() const { return keyframe_interval_ms_ / 1000.0; }
  const std::string& video_codec() const { return video_codec_; }  // "h264", "hevc", ... or ""
  const std::string& audio_codec() const { return audio_codec_; }  // "aac", "mp3", ... or ""
  int width() const { return width_; }
  int height() const { return height_; }

 private:
  bool Fresh(int64_t now_ms) const { return last_packet_ms_ >= 0 && now_ms - last_packet_ms_ < kWindowMs; }

  int64_t window_start_ms_ = -1;
  int64_t last_packet_ms_ = -1;
  uint64_t window_bytes_ = 0;
  uint64_t window_frames_ = 0;
  uint64_t bps_ = 0;
  double fps_ = 0;
  int64_t last_keyframe_ts_ = -1;
  int64_t keyframe_interval_ms_ = 0;
  std::string video_codec_, audio_codec_;
  int width_ = 0, height_ = 0;
};

}  // namespace cdn::live
