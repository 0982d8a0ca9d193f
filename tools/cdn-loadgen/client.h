// Client: one simulated viewer or publisher of cdn-loadgen, and ClientStats, what it measured.
// A client lives on one worker's EventLoop from Start() to Finish() and is only freed after that
// loop stopped; Finish() closes its connections and freezes its stats. Single-threaded.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace cdn::loadgen {

// Monotonic microseconds (first-keyframe times on loopback are well under a millisecond).
inline int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

constexpr int64_t kStallUs = 1'000'000;       // a gap in media longer than this is a stall
constexpr int64_t kKeepUpSkipUs = 2'000'000;  // keep-up is measured from 2 s after the first key frame:
                                              // the GOP cache burst at start would inflate it

struct ClientStats {
  int64_t start_us = 0;          // connect started
  int64_t connected_us = -1;     // play/publish started (RTMP), 200 OK (FLV), first playlist (HLS)
  int64_t first_key_us = -1;     // first video key frame tag complete (HLS: first segment complete)
  int64_t end_us = 0;            // Finish() or the connection closed
  uint64_t bytes = 0;            // received (players) or sent (publishers), headers included
  int stalls = 0;
  std::string failure;           // empty: ran to the end; else why it failed or dropped

  // Media clock: [first, last] timestamp seen (ms), and a mid-run sample for keep-up.
  bool have_ts = false;
  uint32_t last_ts = 0;
  int64_t last_media_us = -1;
  uint32_t key_ts = 0;           // media timestamp of the first key frame
  int64_t mid_us = -1;           // first media arrival kKeepUpSkipUs after the first key frame
  uint32_t mid_ts = 0;
  double keep_up = -1;           // set by Close(); < 0 when unknown

  // Called for every complete audio/video message or tag, in arrival order.
  void OnMedia(int64_t now, uint32_t ts, bool key_frame) {
    if (last_media_us >= 0 && now - last_media_us > kStallUs) ++stalls;
    last_media_us = now;
    if (!have_ts || ts > last_ts) last_ts = ts;
    have_ts = true;
    if (key_frame && first_key_us < 0) {
      first_key_us = now;
      key_ts = ts;
    }
    if (first_key_us >= 0 && mid_us < 0 && now - first_key_us >= kKeepUpSkipUs) {
      mid_us = now;
      mid_ts = last_ts;
    }
  }
  // Called once at the end: a silence running into the end of the run is a stall too.
  void Close(int64_t now, std::string why) {
    if (end_us) return;
    end_us = now;
    if (connected_us >= 0 && last_media_us >= 0 && now - last_media_us > kStallUs) ++stalls;
    failure = std::move(why);
    keep_up = KeepUp();
  }
  // Media time advanced / wall time, from the mid sample (or the first key frame) to the last
  // media arrival; < 0 when unknown.
  double KeepUp() const {
    int64_t from_us = mid_us, to_us = last_media_us;
    uint32_t from_ts = mid_ts;
    if (from_us < 0 || to_us - from_us < 1'000'000) {
      from_us = first_key_us;
      from_ts = key_ts;
    }
    if (from_us < 0 || to_us - from_us < 500'000) return -1;
    // The last arrival may be up to a frame before the end: measure to the end of the run when
    // media was flowing then, so a viewer that fell silent counts as behind.
    if (end_us > to_us) to_us = end_us;
    return (static_cast<double>(last_ts) - from_ts) * 1000.0 / static_cast<double>(to_us - from_us);
  }
};

// FLV 10.1 E.4.3.1 VideoTagHeader (the first bytes of an RTMP video message too): FrameType 1 is
// a key frame; for AVC/HEVC (CodecID 7/12) AVCPacketType 0 is the sequence header, not a frame.
// Enhanced RTMP (IsExHeader bit): FrameType in bits 4-6, PacketType 0 = SequenceStart.
inline bool IsVideoKeyFrame(std::string_view head) {
  if (head.empty()) return false;
  const uint8_t b0 = static_cast<uint8_t>(head[0]);
  if (b0 & 0x80) return ((b0 >> 4) & 0x07) == 1 && (b0 & 0x0f) != 0;
  if ((b0 >> 4) != 1) return false;
  const uint8_t codec = b0 & 0x0f;
  if (codec == 7 || codec == 12) return head.size() >= 2 && head[1] != 0;
  return true;
}

class Client {
 public:
  virtual ~Client() = default;
  virtual void Start() = 0;
  // Ends the run for this client: closes its connections without callbacks into the worker.
  virtual void Finish() = 0;
  const ClientStats& stats() const { return stats_; }

 protected:
  ClientStats stats_;
};

}  // namespace cdn::loadgen
