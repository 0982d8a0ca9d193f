// HlsPlayer: one HLS viewer of cdn-loadgen, behaving like hls.js on a live stream: loads the
// playlist (following the first variant of a master playlist), starts three segments from the
// live edge, fetches segments one after another and reloads the playlist every target duration
// (half of it when nothing new came). A simulated playhead tells stalls (the buffer ran dry for
// more than 1 s) and keep-up. Bodies are counted, not kept. Lives on one worker loop.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lib/net/event_loop.h"
#include "lib/net/http_client.h"
#include "tools/cdn-loadgen/client.h"

namespace cdn::loadgen {

struct HlsPlaylist {
  struct Segment {
    uint64_t sequence = 0;
    double duration_s = 0;
    std::string uri;
  };
  bool master = false;
  std::string first_variant;  // master playlists: the first EXT-X-STREAM-INF's URI
  double target_s = 0;        // 4.3.3.1 EXT-X-TARGETDURATION
  bool ended = false;
  std::vector<Segment> segments;
};
// RFC 8216 4.3: the tags a player needs; unknown tags are ignored.
HlsPlaylist ParseHlsPlaylist(std::string_view text);
// Resolves a playlist or segment URI against the URL it was listed in.
std::string ResolveUrl(const std::string& base, const std::string& ref);

class HlsPlayer : public Client {
 public:
  HlsPlayer(net::EventLoop* loop, std::string url, int64_t timeout_ms);
  ~HlsPlayer() override;

  void Start() override;
  void Finish() override;

 private:
  void LoadPlaylist();
  void OnPlaylist(const net::HttpResponse& r);
  void FetchNext();
  void OnSegment(const net::HttpResponse& r, double duration_s);
  void Fail(std::string why);
  double Playhead(int64_t now) const;  // media seconds played since the first segment

  net::EventLoop* loop_;
  std::string url_;
  int64_t timeout_ms_;
  std::unique_ptr<net::HttpClient> http_;
  net::Timer reload_;
  HlsPlaylist playlist_;
  uint64_t next_seq_ = 0;
  bool started_ = false;        // next_seq_ chosen
  bool fetching_ = false;       // a segment request in flight
  int64_t play_start_us_ = -1;  // first segment complete: the playhead starts
  double buffered_s_ = 0;       // media seconds downloaded
  double stalled_s_ = 0;        // time the playhead waited
  int64_t last_reload_us_ = 0;
  bool last_reload_new_ = true;
  // Keep-up: media seconds over wall time from the first segment after the initial three.
  int initial_left_ = 0;
  int64_t ku_from_us_ = -1;
  double ku_media_s_ = 0;
  int64_t ku_to_us_ = -1;
};

}  // namespace cdn::loadgen
