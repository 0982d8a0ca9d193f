// HLS playlist writers (RFC 8216): the exact text of a live media playlist, target duration
// rules, discontinuities, ENDLIST, splicing a query onto segment URIs, master playlists.
#include "lib/media/m3u8.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace cdn::media {
namespace {

MediaPlaylist Sample() {
  MediaPlaylist p;
  p.min_target_duration_s = 2;
  p.segments = {
      {7, 2000, "room/ab-7.ts", false, 1714566896000},
      {8, 2040, "room/ab-8.ts", true, 1714566898000},
      {9, 1999, "room/ab-9.ts", false, 1714566900040},
  };
  return p;
}

TEST_CASE("live media playlist text") {
  const std::string want =
      "#EXTM3U\n"
      "#EXT-X-VERSION:3\n"
      "#EXT-X-TARGETDURATION:3\n"
      "#EXT-X-MEDIA-SEQUENCE:7\n"
      "#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:34:56.000Z\n"
      "#EXTINF:2.000,\n"
      "room/ab-7.ts\n"
      "#EXT-X-DISCONTINUITY\n"
      "#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:34:58.000Z\n"
      "#EXTINF:2.040,\n"
      "room/ab-8.ts\n"
      "#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:35:00.040Z\n"
      "#EXTINF:1.999,\n"
      "room/ab-9.ts\n";
  CHECK(WriteMediaPlaylist(Sample()) == want);
}

TEST_CASE("target duration: ceil of the longest segment, never below the floor") {
  MediaPlaylist p = Sample();
  CHECK(TargetDurationSeconds(p) == 3);  // 2.040 s rounds up
  p.segments[1].duration_ms = 2000;
  CHECK(TargetDurationSeconds(p) == 2);
  p.min_target_duration_s = 6;
  CHECK(TargetDurationSeconds(p) == 6);
  p.min_target_duration_s = 0;
  p.segments.clear();
  CHECK(TargetDurationSeconds(p) == 1);
  p.segments = {{0, 10001, "a.ts"}};
  CHECK(TargetDurationSeconds(p) == 11);
}

TEST_CASE("empty, ended and discontinuity-sequence playlists") {
  MediaPlaylist p;
  CHECK(WriteMediaPlaylist(p) == "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:0\n");
  p.segments = {{41, 1500, "s/41.ts"}};
  p.discontinuity_sequence = 2;
  p.ended = true;
  CHECK(WriteMediaPlaylist(p) ==
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:41\n"
        "#EXT-X-DISCONTINUITY-SEQUENCE:2\n#EXTINF:1.500,\ns/41.ts\n#EXT-X-ENDLIST\n");
}

TEST_CASE("a query spliced after every segment URI, and only there") {
  std::vector<size_t> ends;
  const std::string text = WriteMediaPlaylist(Sample(), &ends);
  REQUIRE(ends.size() == 3);
  const std::string q = "?vhost=pull.test&auth_key=1-0-0-abc";
  const std::string spliced = SpliceAtOffsets(text, ends, q);
  CHECK(spliced.find("room/ab-7.ts" + q + "\n") != std::string::npos);
  CHECK(spliced.find("room/ab-8.ts" + q + "\n") != std::string::npos);
  CHECK(spliced.find("room/ab-9.ts" + q + "\n") != std::string::npos);
  CHECK(spliced.size() == text.size() + 3 * q.size());
  CHECK(SpliceAtOffsets(text, ends, "") == text);
  CHECK(SpliceAtOffsets(text, {}, q) == text);
  CHECK(SpliceAtOffsets(text, {text.size() + 5}, q) == text);  // bad offsets: text unchanged
}

TEST_CASE("master playlist") {
  std::vector<HlsVariant> v = {
      {2500000, 2000000, 1280, 720, 25, "avc1.64001f,mp4a.40.2", "room.m3u8"},
      {900000, 0, 640, 360, 0, "avc1.64001e,mp4a.40.2", "room_sd.m3u8"},
      {64000, 0, 0, 0, 0, "", "room_audio.m3u8"},
  };
  CHECK(WriteMasterPlaylist(v) ==
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-INDEPENDENT-SEGMENTS\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=2500000,AVERAGE-BANDWIDTH=2000000,RESOLUTION=1280x720,FRAME-RATE=25.000,"
        "CODECS=\"avc1.64001f,mp4a.40.2\"\nroom.m3u8\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=900000,RESOLUTION=640x360,CODECS=\"avc1.64001e,mp4a.40.2\"\nroom_sd.m3u8\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=64000\nroom_audio.m3u8\n");
}

TEST_CASE("program date time format") {
  CHECK(FormatProgramDateTime(0) == "1970-01-01T00:00:00.000Z");
  CHECK(FormatProgramDateTime(1714566896789) == "2024-05-01T12:34:56.789Z");
  CHECK(FormatProgramDateTime(951782400001) == "2000-02-29T00:00:00.001Z");
}

}  // namespace
}  // namespace cdn::media
