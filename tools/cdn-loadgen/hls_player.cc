#include "tools/cdn-loadgen/hls_player.h"

#include <algorithm>
#include <cstdlib>

#include "lib/http/query.h"

namespace cdn::loadgen {

namespace {
constexpr int kLiveSyncSegments = 3;      // hls.js liveSyncDurationCount
constexpr size_t kMaxBody = 32 << 20;     // a segment or playlist larger than this fails
constexpr int64_t kRetryUs = 500'000;     // playlist without segments yet

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
}  // namespace

HlsPlaylist ParseHlsPlaylist(std::string_view text) {
  HlsPlaylist p;
  uint64_t seq = 0;
  double pending_duration = -1;
  bool pending_variant = false;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (line[0] == '#') {
      if (StartsWith(line, "#EXT-X-TARGETDURATION:")) {
        p.target_s = atof(std::string(line.substr(22)).c_str());
      } else if (StartsWith(line, "#EXT-X-MEDIA-SEQUENCE:")) {
        seq = strtoull(std::string(line.substr(22)).c_str(), nullptr, 10);
      } else if (StartsWith(line, "#EXTINF:")) {
        pending_duration = atof(std::string(line.substr(8)).c_str());
      } else if (StartsWith(line, "#EXT-X-STREAM-INF:")) {
        p.master = true;
        pending_variant = true;
      } else if (StartsWith(line, "#EXT-X-ENDLIST")) {
        p.ended = true;
      }
      continue;
    }
    if (pending_variant) {
      if (p.first_variant.empty()) p.first_variant = std::string(line);
      pending_variant = false;
    } else if (pending_duration >= 0) {
      p.segments.push_back({seq++, pending_duration, std::string(line)});
      pending_duration = -1;
    }
  }
  return p;
}

std::string ResolveUrl(const std::string& base, const std::string& ref) {
  if (StartsWith(ref, "http://") || StartsWith(ref, "https://")) return ref;
  const size_t scheme = base.find("://");
  const size_t path_from = base.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (path_from == std::string::npos) return base + (StartsWith(ref, "/") ? "" : "/") + ref;
  if (StartsWith(ref, "/")) return base.substr(0, path_from) + ref;
  std::string dir = base.substr(0, base.find('?'));
  dir = dir.substr(0, dir.rfind('/') + 1);
  return dir + ref;
}

HlsPlayer::HlsPlayer(net::EventLoop* loop, std::string url, int64_t timeout_ms)
    : loop_(loop), url_(std::move(url)), timeout_ms_(timeout_ms), reload_(loop, [this] { LoadPlaylist(); }) {}

HlsPlayer::~HlsPlayer() = default;

void HlsPlayer::Start() {
  stats_.start_us = NowUs();
  http_ = std::make_unique<net::HttpClient>(loop_, kMaxBody);
  LoadPlaylist();
}

void HlsPlayer::Finish() {
  if (stats_.end_us) return;
  const int64_t now = NowUs();
  // The playhead may have been waiting at the end: that counts as a stall once it passed 1 s.
  if (play_start_us_ >= 0) {
    const double dry = Playhead(now) - buffered_s_;
    if (dry > kStallUs / 1e6) ++stats_.stalls;
  }
  stats_.Close(now, "");
  reload_.Cancel();
  http_.reset();
  if (ku_from_us_ >= 0 && ku_to_us_ - ku_from_us_ >= 1'000'000) {
    stats_.keep_up = ku_media_s_ * 1e6 / static_cast<double>(ku_to_us_ - ku_from_us_);
  } else {
    stats_.keep_up = -1;
  }
}

void HlsPlayer::Fail(std::string why) {
  if (stats_.end_us) return;
  stats_.Close(NowUs(), stats_.connected_us < 0 ? std::move(why) : "dropped: " + why);
  reload_.Cancel();
  // Not freed here: we may be inside its callback. The worker frees us after the loop.
}

double HlsPlayer::Playhead(int64_t now) const {
  return static_cast<double>(now - play_start_us_) / 1e6 - stalled_s_;
}

void HlsPlayer::LoadPlaylist() {
  if (stats_.end_us) return;
  last_reload_us_ = NowUs();
  http_->Get(url_, {{"User-Agent", "cdn-loadgen"}}, timeout_ms_, [this](const net::HttpResponse& r) { OnPlaylist(r); });
}

void HlsPlayer::OnPlaylist(const net::HttpResponse& r) {
  if (stats_.end_us) return;
  if (!r.ok()) return Fail("playlist: " + r.error);
  if (r.status != 200) return Fail("playlist: HTTP " + std::to_string(r.status));
  stats_.bytes += r.body.size();
  HlsPlaylist p = ParseHlsPlaylist(r.body);
  if (p.master) {
    if (p.first_variant.empty()) return Fail("master playlist without variants");
    url_ = ResolveUrl(url_, p.first_variant);
    return LoadPlaylist();
  }
  const uint64_t old_last = playlist_.segments.empty() ? 0 : playlist_.segments.back().sequence;
  playlist_ = std::move(p);
  last_reload_new_ = !playlist_.segments.empty() && playlist_.segments.back().sequence != old_last;
  if (playlist_.segments.empty()) {
    reload_.Start(kRetryUs / 1000);
    return;
  }
  if (!started_) {
    started_ = true;
    stats_.connected_us = NowUs();
    const size_t n = playlist_.segments.size();
    const size_t from = n > kLiveSyncSegments ? n - kLiveSyncSegments : 0;
    next_seq_ = playlist_.segments[from].sequence;
    initial_left_ = static_cast<int>(n - from);
  } else if (next_seq_ < playlist_.segments.front().sequence) {
    // Fell out of the window: a real player jumps to the live edge after a long stall.
    ++stats_.stalls;
    next_seq_ = playlist_.segments.back().sequence;
  }
  if (!fetching_) FetchNext();
  if (!fetching_ && !reload_.pending()) {
    // Nothing new to fetch: reload after a target duration (half when nothing new came).
    const double t = playlist_.target_s > 0 ? playlist_.target_s : 2;
    reload_.Start(static_cast<int64_t>(t * (last_reload_new_ ? 1000 : 500)));
  }
}

void HlsPlayer::FetchNext() {
  for (const auto& s : playlist_.segments) {
    if (s.sequence != next_seq_) continue;
    fetching_ = true;
    const double d = s.duration_s;
    http_->Get(ResolveUrl(url_, s.uri), {{"User-Agent", "cdn-loadgen"}}, timeout_ms_,
               [this, d](const net::HttpResponse& r) { OnSegment(r, d); });
    return;
  }
}

void HlsPlayer::OnSegment(const net::HttpResponse& r, double duration_s) {
  fetching_ = false;
  if (stats_.end_us) return;
  if (!r.ok()) return Fail("segment: " + r.error);
  if (r.status != 200) return Fail("segment: HTTP " + std::to_string(r.status));
  const int64_t now = NowUs();
  stats_.bytes += r.body.size();
  ++next_seq_;
  if (play_start_us_ < 0) {
    play_start_us_ = now;
    stats_.first_key_us = now;  // a segment starts with a key frame (EXT-X-INDEPENDENT-SEGMENTS)
  } else {
    const double dry = Playhead(now) - buffered_s_;
    if (dry > 0) {
      stalled_s_ += dry;
      if (dry > kStallUs / 1e6) ++stats_.stalls;
    }
  }
  buffered_s_ += duration_s;
  if (initial_left_ > 0 && --initial_left_ == 0) {
    ku_from_us_ = now;
  } else if (ku_from_us_ >= 0) {
    ku_media_s_ += duration_s;
    ku_to_us_ = now;
  }
  FetchNext();
  if (!fetching_) {
    const int64_t since = now - last_reload_us_;
    const double t = playlist_.target_s > 0 ? playlist_.target_s : 2;
    const int64_t every = static_cast<int64_t>(t * (last_reload_new_ ? 1e6 : 5e5));
    if (!reload_.pending()) reload_.Start(std::max<int64_t>(0, every - since) / 1000);
  }
}

}  // namespace cdn::loadgen
