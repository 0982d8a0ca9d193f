#include "lib/media/m3u8.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <ctime>

namespace cdn::media {

namespace {

// "2.000": milliseconds as seconds with 3 decimals, no floating point on the way.
std::string Seconds3(int64_t ms) {
  if (ms < 0) ms = 0;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%" PRId64 ".%03" PRId64, ms / 1000, ms % 1000);
  return buf;
}

}  // namespace

int64_t TargetDurationSeconds(const MediaPlaylist& p) {
  int64_t target = std::max<int64_t>(p.min_target_duration_s, 1);
  for (const auto& s : p.segments) target = std::max(target, (std::max<int64_t>(s.duration_ms, 0) + 999) / 1000);
  return target;
}

std::string WriteMediaPlaylist(const MediaPlaylist& p, std::vector<size_t>* uri_ends) {
  std::string out;
  out.reserve(160 + p.segments.size() * 120);
  out += "#EXTM3U\n#EXT-X-VERSION:" + std::to_string(kHlsVersion) + "\n";                        // 4.3.1.1, 4.3.1.2
  out += "#EXT-X-TARGETDURATION:" + std::to_string(TargetDurationSeconds(p)) + "\n";            // 4.3.3.1
  const uint64_t first = p.segments.empty() ? 0 : p.segments.front().sequence;
  out += "#EXT-X-MEDIA-SEQUENCE:" + std::to_string(first) + "\n";                               // 4.3.3.2
  if (p.discontinuity_sequence > 0)
    out += "#EXT-X-DISCONTINUITY-SEQUENCE:" + std::to_string(p.discontinuity_sequence) + "\n";  // 4.3.3.3
  if (uri_ends) uri_ends->clear();
  for (const auto& s : p.segments) {
    if (s.discontinuity) out += "#EXT-X-DISCONTINUITY\n";                                        // 4.3.2.3
    if (s.program_date_ms >= 0) out += "#EXT-X-PROGRAM-DATE-TIME:" + FormatProgramDateTime(s.program_date_ms) + "\n";
    out += "#EXTINF:" + Seconds3(s.duration_ms) + ",\n";                                          // 4.3.2.1
    out += s.uri;
    if (uri_ends) uri_ends->push_back(out.size());
    out += "\n";
  }
  if (p.ended) out += "#EXT-X-ENDLIST\n";  // 4.3.3.4
  return out;
}

std::string SpliceAtOffsets(const std::string& text, const std::vector<size_t>& uri_ends, const std::string& suffix) {
  if (suffix.empty() || uri_ends.empty()) return text;
  std::string out;
  out.reserve(text.size() + uri_ends.size() * suffix.size());
  size_t pos = 0;
  for (size_t end : uri_ends) {
    if (end < pos || end > text.size()) break;  // offsets come from WriteMediaPlaylist: ascending
    out.append(text, pos, end - pos);
    out += suffix;
    pos = end;
  }
  out.append(text, pos, std::string::npos);
  return out;
}

std::string WriteMasterPlaylist(const std::vector<HlsVariant>& variants) {
  std::string out = "#EXTM3U\n#EXT-X-VERSION:" + std::to_string(kHlsVersion) + "\n#EXT-X-INDEPENDENT-SEGMENTS\n";
  for (const auto& v : variants) {
    out += "#EXT-X-STREAM-INF:BANDWIDTH=" + std::to_string(v.bandwidth);  // 4.3.4.2
    if (v.average_bandwidth > 0) out += ",AVERAGE-BANDWIDTH=" + std::to_string(v.average_bandwidth);
    if (v.width > 0 && v.height > 0) out += ",RESOLUTION=" + std::to_string(v.width) + "x" + std::to_string(v.height);
    if (v.frame_rate > 0) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.3f", v.frame_rate);
      out += ",FRAME-RATE=";
      out += buf;
    }
    if (!v.codecs.empty()) out += ",CODECS=\"" + v.codecs + "\"";
    out += "\n" + v.uri + "\n";
  }
  return out;
}

std::string FormatProgramDateTime(int64_t unix_ms) {
  if (unix_ms < 0) unix_ms = 0;
  const time_t secs = static_cast<time_t>(unix_ms / 1000);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(unix_ms % 1000));
  return buf;
}

}  // namespace cdn::media
