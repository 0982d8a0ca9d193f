// HlsPackager: one live stream -> MPEG-TS segments and its live playlist, all in memory. A
// live::Consumer attached to the stream from its first publish: it cuts a segment at the first
// video key frame once `fragment` has elapsed (audio-only streams: by time), keeps `window`
// segments in the playlist plus `extra` for slow readers, and after each segment publishes a
// new immutable playlist snapshot, so a reader always sees a whole playlist and every segment
// it names. Segments are refcounted immutable strings handed to HTTP by reference.
// A publisher reconnect (OnPublisherGone, then packets again) or a changed sequence header
// starts the next segment with EXT-X-DISCONTINUITY; OnStreamEnd closes the playlist with
// EXT-X-ENDLIST and the owner frees the packager a while later. H.264 + AAC only: other video
// codecs (HEVC) leave the stream unpackaged, other audio codecs give video-only segments.
// Single-threaded: the hub's loop thread, like every consumer.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/base/bytes.h"
#include "lib/live/stream.h"
#include "lib/media/aac.h"
#include "lib/media/avc.h"
#include "lib/media/ts_muxer.h"

namespace cdn::central {

struct HlsOptions {
  int64_t fragment_ms = 2000;     // hls.fragment
  int64_t window = 6;             // hls.window: segments in the playlist
  int64_t extra_segments = 2;     // kept past the window for readers of an older playlist
  size_t max_segment_bytes = 32 << 20;  // a segment this big is cut even without a key frame
  std::function<int64_t()> wall_ms;     // Unix ms for PROGRAM-DATE-TIME; the system clock if empty
};

// What readers get: one published state of the playlist, never modified.
struct HlsPlaylist {
  std::string text;               // segment URIs relative, without a query
  std::vector<size_t> uri_ends;   // where a request's "?query" goes (media::SpliceAtOffsets)
  uint64_t media_sequence = 0;
  size_t segments = 0;
  bool ended = false;
};

class HlsPackager : public live::Consumer {
 public:
  // `uri_prefix` goes in front of each segment file name in the playlist (the stream name
  // percent-encoded plus '/', so segments sit under the playlist's path); `session` makes the
  // names unique across packagers of the same stream (restarts, other centrals), because caches
  // keep segments as immutable.
  HlsPackager(std::string name, std::string uri_prefix, std::string session, HlsOptions options);
  ~HlsPackager() override;

  // live::Consumer.
  void OnStreamStart() override {}
  void OnPacket(const live::PacketPtr& packet) override;
  void OnPublisherGone() override;
  void OnStreamEnd() override;
  bool is_viewer() const override { return false; }

  // Called after each new playlist snapshot (the server wakes waiting readers).
  void set_on_update(std::function<void()> cb) { on_update_ = std::move(cb); }

  // The current snapshot; null until the first segment is complete.
  std::shared_ptr<const HlsPlaylist> playlist() const { return playlist_; }
  // A segment by file name ("<session>-<seq>.ts"); null when unknown or already dropped.
  base::SharedBytes segment(std::string_view file) const;
  std::string SegmentFileName(uint64_t sequence) const;

  bool ended() const { return ended_; }
  bool unsupported() const { return unsupported_; }
  // What a master playlist says of this stream (EXT-X-STREAM-INF): codecs, size, and peak and
  // average bits/s of the segments held. Bandwidth 0 until a segment is done.
  struct Variant {
    std::string codecs;
    int width = 0, height = 0;
    uint64_t peak_bps = 0, average_bps = 0;
  };
  Variant variant() const;
  const std::string& session() const { return session_; }
  uint64_t segments_made() const { return next_sequence_; }
  size_t bytes_held() const;

 private:
  struct Segment {
    uint64_t sequence;
    int64_t duration_ms;
    bool discontinuity;
    int64_t program_date_ms;
    base::SharedBytes data;
  };
  void OnVideo(const live::MediaPacket& p);
  void OnAudio(const live::MediaPacket& p);
  void OpenSegment(int64_t ts);
  void FinishSegment(int64_t end_ts);
  void FlushAudio();
  void Publish();
  void MarkDiscontinuity();
  int64_t WallMs() const;

  std::string name_, uri_prefix_, session_;
  HlsOptions options_;
  std::function<void()> on_update_;

  // Codec state.
  std::optional<media::AvcConfig> avc_;
  std::optional<media::AacConfig> aac_;
  std::string avc_record_, aac_record_;  // sequence header payloads, to spot changes
  bool unsupported_ = false;
  bool warned_audio_ = false;
  bool warned_header_ = false;  // bad sequence headers are logged once (a publisher could spam them)
  media::TsMuxer muxer_{true, true};

  // The segment being written.
  bool open_ = false;
  std::string buf_;
  int64_t start_ts_ = 0;       // ms, stream timestamps
  int64_t last_ts_ = -1;       // largest timestamp written to buf_
  int64_t last_video_delta_ = 0;
  int64_t last_video_ts_ = -1;
  bool segment_discontinuity_ = false;
  bool next_discontinuity_ = false;
  std::string audio_pes_;      // ADTS frames waiting to go out as one PES
  int64_t audio_pes_ts_ = 0;
  std::string scratch_;
  // PROGRAM-DATE-TIME: wall = anchor_wall_ + (ts - anchor_ts_), re-anchored after each restart.
  bool anchored_ = false;
  int64_t anchor_wall_ms_ = 0, anchor_ts_ = 0;

  // Done segments, oldest first.
  std::deque<Segment> segments_;
  uint64_t next_sequence_ = 0;
  uint64_t dropped_discontinuities_ = 0;
  int64_t target_s_ = 1;
  bool ended_ = false;
  std::shared_ptr<const HlsPlaylist> playlist_;
};

}  // namespace cdn::central
