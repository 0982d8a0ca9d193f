// HLS playlists (RFC 8216): the live media playlist the packager publishes after each segment
// and the master playlist of an adaptive stream (<stream>_abr.m3u8). Writers only, pure text out,
// no I/O; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cdn::media {

// RFC 8216 4.3.3.1: what EXTINF with decimal durations needs (7 lists no feature above 3).
constexpr int kHlsVersion = 3;

struct HlsSegment {
  uint64_t sequence = 0;          // Media Sequence Number (RFC 8216 3)
  int64_t duration_ms = 0;        // EXTINF, written with 3 decimals
  std::string uri;                // relative to the playlist
  bool discontinuity = false;     // 4.3.2.3: encoding or timestamps changed before this one
  int64_t program_date_ms = -1;   // 4.3.2.6: wall time of its first sample (Unix ms); -1: none
};

struct MediaPlaylist {
  std::vector<HlsSegment> segments;  // oldest first, consecutive sequence numbers
  // 4.3.3.3: discontinuities that have left the window (the live writer counts them).
  uint64_t discontinuity_sequence = 0;
  // 4.3.3.1: at least ceil(the longest EXTINF). A live packager passes the largest it has ever
  // announced, because the value must not change over the playlist's life (6.2.1).
  int64_t min_target_duration_s = 1;
  bool ended = false;  // 4.3.3.4 EXT-X-ENDLIST: no segment will be added
};

// EXT-X-TARGETDURATION for `p`: max(min_target_duration_s, ceil(longest segment in seconds)).
int64_t TargetDurationSeconds(const MediaPlaylist& p);

// Writes the playlist. If `uri_ends` is not null, it receives the offset just after each
// segment URI, where a caller may splice "?<query>" per request without reparsing the text.
std::string WriteMediaPlaylist(const MediaPlaylist& p, std::vector<size_t>* uri_ends = nullptr);

// Inserts `suffix` (e.g. "?vhost=pull.example.com") at each offset of `uri_ends` in `text`.
std::string SpliceAtOffsets(const std::string& text, const std::vector<size_t>& uri_ends, const std::string& suffix);

// 4.3.4.2 EXT-X-STREAM-INF of one rendition in a master playlist.
struct HlsVariant {
  uint64_t bandwidth = 0;          // peak bits/s, required
  uint64_t average_bandwidth = 0;  // 0: not written
  int width = 0, height = 0;       // RESOLUTION when both > 0
  double frame_rate = 0;           // FRAME-RATE when > 0 (3 decimals)
  std::string codecs;              // RFC 6381 list, e.g. "avc1.64001f,mp4a.40.2"; "" not written
  std::string uri;
};

// EXT-X-VERSION 3, EXT-X-INDEPENDENT-SEGMENTS (each segment starts on a key frame), one
// EXT-X-STREAM-INF per variant, in the order given.
std::string WriteMasterPlaylist(const std::vector<HlsVariant>& variants);

// "2024-05-01T12:34:56.789Z" (4.3.2.6: ISO 8601 with milliseconds and a time zone).
std::string FormatProgramDateTime(int64_t unix_ms);

}  // namespace cdn::media
