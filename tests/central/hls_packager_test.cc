// HlsPackager driven with hand-made FLV packets on a fake timeline (25 fps H.264, AAC at
// 44.1 kHz): where segments are cut, what the playlist says (window, media sequence, target
// duration, program date time), discontinuities after a publisher reconnect or a new sequence
// header, audio-only streams, stream end, and the bytes each segment starts with.
#include "central/hls_packager.h"

#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <string>

#include "lib/base/bytes.h"
#include "lib/live/media_packet.h"
#include "tests/lib/media/media_test_data.h"

namespace cdn::central {
namespace {

using live::PacketType;
using media::testing::FromHex;

constexpr int64_t kWallStart = 1714566896000;  // 2024-05-01T12:34:56.000Z
const std::string kAacSeq = FromHex("af00121056e500");  // LC 44.1 kHz stereo (ffmpeg)
const std::string kSps = FromHex("6764001eacd940a02ff97011000003000100000300320f162d96");

std::string AvcFrame(bool key, int cts_ms, size_t size) {
  std::string s;
  s.push_back(static_cast<char>(key ? 0x17 : 0x27));
  s.push_back(1);  // AVC NALU
  base::PutU24(&s, static_cast<uint32_t>(cts_ms));
  base::PutU32(&s, static_cast<uint32_t>(size + 1));
  s.push_back(static_cast<char>(key ? 0x65 : 0x41));
  s.append(size, key ? 'K' : 'P');
  return s;
}

std::string AacFrame(size_t size) {
  std::string s("\xaf\x01", 2);
  s.append(size, 'a');
  return s;
}

live::PacketPtr Make(PacketType type, int64_t ts, std::string payload) {
  return std::make_shared<const live::MediaPacket>(type, static_cast<uint32_t>(ts), std::move(payload));
}

// Feeds a packager in timestamp order: video every 40 ms with a key frame each `gop_ms`, AAC
// frames every 1024/44100 s.
struct Feeder {
  HlsPackager* p;
  bool video = true, audio = true;
  int64_t gop_ms = 1000;
  int64_t next_video = 0;
  double next_audio = 0;

  void Headers(const std::string& avc = media::testing::kAvcTag640) {
    if (video) p->OnPacket(Make(PacketType::kVideo, 0, avc));
    if (audio) p->OnPacket(Make(PacketType::kAudio, 0, kAacSeq));
  }
  void Until(int64_t end_ms) {
    for (;;) {
      const int64_t v = video ? next_video : INT64_MAX;
      const int64_t a = audio ? static_cast<int64_t>(std::llround(next_audio)) : INT64_MAX;
      if (std::min(v, a) >= end_ms) return;
      if (v <= a) {
        p->OnPacket(Make(PacketType::kVideo, v, AvcFrame(v % gop_ms == 0, 40, 300)));
        next_video += 40;
      } else {
        p->OnPacket(Make(PacketType::kAudio, a, AacFrame(180)));
        next_audio += 1024 * 1000.0 / 44100;
      }
    }
  }
};

HlsOptions Options(int64_t window = 3) {
  HlsOptions o;
  o.fragment_ms = 2000;
  o.window = window;
  o.extra_segments = 2;
  o.wall_ms = [] { return kWallStart; };
  return o;
}

std::string Text(const HlsPackager& p) {
  auto pl = p.playlist();
  return pl ? pl->text : "";
}

size_t Count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t pos = s.find(what); pos != std::string::npos; pos = s.find(what, pos + 1)) ++n;
  return n;
}

uint16_t Pid(const std::string& ts, size_t packet) {
  return static_cast<uint16_t>(((ts[packet * 188 + 1] & 0x1f) << 8) | static_cast<uint8_t>(ts[packet * 188 + 2]));
}

TEST_CASE("segments are cut on the first key frame after the fragment; the playlist follows") {
  HlsPackager p("push.test/live/room", "room/", "s1", Options());
  CHECK_FALSE(p.is_viewer());
  int updates = 0;
  p.set_on_update([&] { ++updates; });
  Feeder f{&p};
  f.Headers();
  f.Until(2000);
  CHECK(p.playlist() == nullptr);  // nothing until the first segment is whole
  f.Until(2001);                   // the key frame at 2000 closes segment 0
  REQUIRE(p.playlist() != nullptr);
  CHECK(updates == 1);
  CHECK(Text(p) ==
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n"
        "#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:34:56.000Z\n#EXTINF:2.000,\nroom/s1-0.ts\n");

  f.Until(10001);  // key frames at 4, 6, 8, 10 s close segments 1..4
  CHECK(updates == 5);
  auto pl = p.playlist();
  CHECK(pl->media_sequence == 2);  // window 3: segments 2, 3, 4
  CHECK(pl->segments == 3);
  CHECK(pl->uri_ends.size() == 3);
  CHECK(Count(pl->text, "#EXTINF:2.000,\n") == 3);
  CHECK(pl->text.find("#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:35:00.000Z\n#EXTINF:2.000,\nroom/s1-2.ts\n") !=
        std::string::npos);
  CHECK(pl->text.find("room/s1-4.ts\n") != std::string::npos);
  CHECK(pl->text.find("DISCONTINUITY") == std::string::npos);
  // window + extra segments stay readable for readers of an older playlist.
  CHECK(p.segment("s1-0.ts") != nullptr);
  CHECK(p.segment("s1-4.ts") != nullptr);
  CHECK(p.segment("s1-5.ts") == nullptr);  // not made yet
  f.Until(12001);
  CHECK(p.segment("s1-0.ts") == nullptr);
  CHECK(p.segment("s1-1.ts") != nullptr);
  CHECK(p.segments_made() == 6);

  SUBCASE("a longer GOP makes longer segments and the target duration grows, never shrinks") {
    f.gop_ms = 3000;     // next key frames at 15 s, 18 s
    f.Until(18001);      // key frame at 12 s was already used; 15 s and 18 s cut
    auto t = Text(p);
    CHECK(t.find("#EXTINF:3.000,\n") != std::string::npos);
    CHECK(t.find("#EXT-X-TARGETDURATION:3\n") != std::string::npos);
    f.gop_ms = 1000;
    f.Until(40001);  // 2 s segments again; the 3 s ones left the window
    t = Text(p);
    CHECK(t.find("#EXTINF:3.000") == std::string::npos);
    CHECK(t.find("#EXT-X-TARGETDURATION:3\n") != std::string::npos);
  }
}

TEST_CASE("each segment starts with PAT, PMT and a key frame with SPS/PPS; counters run on across segments") {
  HlsPackager p("s", "room/", "x", Options(6));
  Feeder f{&p};
  f.Headers();
  f.Until(8001);
  std::string all;
  for (int i = 0; i < 4; ++i) {
    auto seg = p.segment("x-" + std::to_string(i) + ".ts");
    REQUIRE(seg != nullptr);
    const std::string& ts = *seg;
    REQUIRE(ts.size() % 188 == 0);
    CHECK(Pid(ts, 0) == media::kTsPidPat);
    CHECK(Pid(ts, 1) == media::kTsPidPmt);
    CHECK(Pid(ts, 2) == media::kTsPidVideo);
    CHECK((ts[2 * 188 + 1] & 0x40) != 0);                         // payload_unit_start
    CHECK((static_cast<uint8_t>(ts[2 * 188 + 5]) & 0x50) == 0x50);  // random access + PCR
    CHECK(ts.find(std::string("\0\0\0\1\x09\xf0", 6)) != std::string::npos);  // AUD
    CHECK(ts.find(kSps) != std::string::npos);                               // SPS before the IDR
    CHECK(ts.find("\xff\xf1") != std::string::npos);                         // ADTS audio
    all += ts;
  }
  std::map<uint16_t, int> cc;
  for (size_t i = 0; i < all.size() / 188; ++i) {
    const uint16_t pid = Pid(all, i);
    const int c = all[i * 188 + 3] & 0x0f;
    if (cc.count(pid)) CHECK(c == ((cc[pid] + 1) & 0x0f));
    cc[pid] = c;
  }
  CHECK(cc.size() == 4);
}

TEST_CASE("frames before the first key frame are dropped") {
  HlsPackager p("s", "room/", "x", Options());
  Feeder f{&p};
  f.Headers();
  f.next_video = 40;  // starts between key frames: the first key frame is at 1 s
  f.Until(3001);
  auto pl = p.playlist();
  REQUIRE(pl != nullptr);
  CHECK(pl->text.find("#EXTINF:2.000,\nroom/x-0.ts") != std::string::npos);  // 1 s .. 3 s
}

TEST_CASE("publisher reconnect: the next segment carries a discontinuity; it is counted once it leaves") {
  HlsPackager p("s", "room/", "x", Options(3));
  Feeder f{&p};
  f.Headers();
  f.Until(5000);  // segments 0, 1 done; 2 open since 4 s
  p.OnPublisherGone();
  auto t = Text(p);
  CHECK(t.find("room/x-2.ts") != std::string::npos);  // the partial segment is published
  // 4 s .. the end of the last AAC frame (4992 ms + 23 ms).
  CHECK(t.find("#EXTINF:1.015,\nroom/x-2.ts") != std::string::npos);
  // The hub rebases the new publisher's timestamps to continue; its headers come again.
  p.OnStreamStart();
  f.next_video = 5000;
  f.Headers();
  f.gop_ms = 1000;
  f.Until(7001);  // key frames at 5 s (opens segment 3) and 7 s (closes it)
  t = Text(p);
  CHECK(t.find("#EXT-X-DISCONTINUITY\n#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:34:56.000Z\n#EXTINF:2.000,\nroom/x-3.ts") !=
        std::string::npos);
  CHECK(Count(t, "#EXT-X-DISCONTINUITY\n") == 1);
  CHECK(t.find("DISCONTINUITY-SEQUENCE") == std::string::npos);
  f.Until(13001);  // segment 3 leaves the 3-segment window
  t = Text(p);
  CHECK(t.find("#EXT-X-DISCONTINUITY\n") == std::string::npos);
  CHECK(t.find("#EXT-X-DISCONTINUITY-SEQUENCE:1\n") != std::string::npos);
}

TEST_CASE("a changed sequence header cuts the segment with a discontinuity; the same one again does not") {
  HlsPackager p("s", "room/", "x", Options(6));
  Feeder f{&p};
  f.Headers();
  f.Until(3000);
  p.OnPacket(Make(PacketType::kVideo, 3000, media::testing::kAvcTag640));  // unchanged
  f.Until(4001);
  CHECK(Text(p).find("DISCONTINUITY") == std::string::npos);
  p.OnPacket(Make(PacketType::kVideo, 4040, media::testing::kAvcTag720));  // new resolution
  CHECK(Text(p).find("room/x-2.ts") != std::string::npos);  // cut at once
  f.next_video = 5000;
  f.Until(7001);
  const auto t = Text(p);
  CHECK(t.find("#EXT-X-DISCONTINUITY\n#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:35:01.000Z\n#EXTINF:2.000,\nroom/x-3.ts") !=
        std::string::npos);
}

TEST_CASE("audio-only streams are cut by time") {
  HlsPackager p("s", "radio/", "a", Options());
  Feeder f{&p};
  f.video = false;
  f.Headers();
  f.Until(6000);
  auto pl = p.playlist();
  REQUIRE(pl != nullptr);
  CHECK(pl->segments == 2);
  // The first AAC frame at or after 2 s cuts: 2.020 s (frame 87 at 2020.1 ms).
  CHECK(pl->text.find("#EXTINF:2.020,\nradio/a-0.ts") != std::string::npos);
  auto seg = p.segment("a-0.ts");
  REQUIRE(seg != nullptr);
  CHECK(Pid(*seg, 2) == media::kTsPidAudio);
  CHECK((static_cast<uint8_t>((*seg)[2 * 188 + 5]) & 0x50) == 0x50);  // PCR on the audio PID
}

TEST_CASE("stream end: the last segment, then EXT-X-ENDLIST; later packets are ignored") {
  HlsPackager p("s", "room/", "x", Options());
  Feeder f{&p};
  f.Headers();
  f.Until(3000);
  p.OnStreamEnd();
  CHECK(p.ended());
  auto t = Text(p);
  CHECK(t.find("room/x-1.ts\n#EXT-X-ENDLIST\n") != std::string::npos);
  f.Until(9000);
  CHECK(Text(p) == t);
}

TEST_CASE("HEVC is not packaged") {
  HlsPackager p("s", "room/", "x", Options());
  // Legacy FLV HEVC (codec id 12) sequence header and key frame.
  p.OnPacket(Make(PacketType::kVideo, 0, std::string("\x1c\x00\x00\x00\x00\x01\x02", 7)));
  p.OnPacket(Make(PacketType::kAudio, 0, kAacSeq));
  for (int64_t t = 0; t < 5000; t += 40) p.OnPacket(Make(PacketType::kVideo, t, std::string("\x1c\x01\x00\x00\x00xx", 7)));
  CHECK(p.unsupported());
  CHECK(p.playlist() == nullptr);

  SUBCASE("a stray HEVC frame in an H.264 stream is skipped") {
    HlsPackager q("s", "room/", "y", Options());
    Feeder f{&q};
    f.Headers();
    f.Until(1000);
    q.OnPacket(Make(PacketType::kVideo, 1000, std::string("\x1c\x01\x00\x00\x00xx", 7)));
    f.Until(2001);
    CHECK_FALSE(q.unsupported());
    CHECK(q.playlist() != nullptr);
  }
}

TEST_CASE("segment names are parsed strictly") {
  HlsPackager p("s", "room/", "ab1", Options());
  Feeder f{&p};
  f.Headers();
  f.Until(2001);
  CHECK(p.segment("ab1-0.ts") != nullptr);
  for (const char* bad : {"", "ab1-.ts", "ab1-00.ts", "ab1-0.tsx", "ab-0.ts", "ab1_0.ts", "ab1-0", "ab1--1.ts",
                          "ab1-99999999999999999999.ts", "ab1-1x.ts", "xab1-0.ts"}) {
    CAPTURE(bad);
    CHECK(p.segment(bad) == nullptr);
  }
}

TEST_CASE("hostile packets: random bodies, timestamps that jump and go back, no crash, whole TS out") {
  uint64_t seed = 0x9e3779b97f4a7c15ull;
  auto rnd = [&seed] {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
  };
  HlsPackager p("fuzz", "room/", "f", Options(4));
  int64_t ts = 0;
  for (int i = 0; i < 20000; ++i) {
    const uint64_t r = rnd();
    ts += static_cast<int64_t>(r % 97) - 10;  // mostly forward, sometimes back
    if (ts < 0) ts = 0;
    std::string body;
    switch (r >> 60) {
      case 0: body = media::testing::kAvcTag640; break;
      case 1: body = media::testing::kAvcTag720; break;
      case 2: body = kAacSeq; break;
      case 3: body = AvcFrame(true, static_cast<int>(r % 200) - 100, r % 3000); break;
      case 4: body = AacFrame(r % 900); break;
      default: {
        // AVC key/inter, AAC, MP3, and coded frames of HEVC (legacy id 12) and enhanced RTMP
        // (their sequence headers would rightly stop the packaging: tested above).
        static const char kFirst[] = {0x17, 0x27, static_cast<char>(0xaf), 0x2f, 0x1c, static_cast<char>(0x91)};
        body.push_back(kFirst[(r >> 8) % sizeof kFirst]);
        for (size_t n = r % 64; n > 0; --n) body.push_back(static_cast<char>(rnd()));
        if (body[0] == 0x1c && body.size() > 1) body[1] = 1;  // HEVC NALU, not a sequence header
      }
    }
    const bool audio = (r >> 60) == 2 || (r >> 60) == 4 || static_cast<uint8_t>(body[0]) == 0xaf;
    p.OnPacket(Make(audio ? PacketType::kAudio : PacketType::kVideo, ts, body));
    if (r % 5000 == 0) p.OnPublisherGone();
  }
  REQUIRE(p.playlist() != nullptr);
  const auto pl = p.playlist();
  CHECK(pl->segments <= 4);
  for (uint64_t seq = pl->media_sequence; seq < pl->media_sequence + pl->segments; ++seq) {
    auto seg = p.segment(p.SegmentFileName(seq));
    REQUIRE(seg != nullptr);
    CHECK(seg->size() % 188 == 0);
    CHECK((*seg)[0] == 0x47);
  }
}

}  // namespace
}  // namespace cdn::central
