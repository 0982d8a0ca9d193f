// Tests for cdn-loadgen's scanners: RtmpScanner against lib/rtmp's ChunkReader on ChunkWriter
// output (chunk size changes, extended timestamps, every split) and on nginx-rtmp's captured play
// session; FlvScanner on chunked and plain HTTP-FLV responses at every split; malformed input;
// key-frame detection; the HLS playlist parser and URL resolution.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "lib/base/bytes.h"
#include "lib/media/flv.h"
#include "lib/rtmp/chunk_reader.h"
#include "lib/rtmp/chunk_writer.h"
#include "tests/lib/rtmp/rtmp_test_util.h"
#include "tools/cdn-loadgen/client.h"
#include "tools/cdn-loadgen/flv_scanner.h"
#include "tools/cdn-loadgen/hls_player.h"
#include "tools/cdn-loadgen/rtmp_scanner.h"

namespace cdn::loadgen {
namespace {

struct Seen {
  uint8_t type;
  uint32_t ts;
  uint32_t length;
  std::string head;  // media: first bytes; other: whole payload
  bool operator==(const Seen&) const = default;
};

struct RtmpSink : RtmpScanner::Delegate {
  std::vector<Seen> seen;
  void OnMediaHeader(uint8_t type, uint32_t ts, uint32_t length, std::string_view head) override {
    seen.push_back({type, ts, length, std::string(head)});
  }
  base::Status OnOtherMessage(rtmp::Message&& m) override {
    seen.push_back({m.type, m.timestamp, static_cast<uint32_t>(m.payload.size()), m.payload});
    return base::Status::Ok();
  }
};

// What ChunkReader makes of the same bytes, in the scanner's terms.
std::vector<Seen> Reference(const std::string& chunks) {
  rtmp::ChunkReader reader;
  std::vector<rtmp::Message> msgs;
  REQUIRE(reader.Consume(chunks, &msgs).ok());
  std::vector<Seen> out;
  for (const auto& m : msgs) {
    const bool media = m.type == 8 || m.type == 9 || m.type == 22;
    out.push_back({m.type, m.timestamp, static_cast<uint32_t>(m.payload.size()),
                   media ? m.payload.substr(0, RtmpScanner::kHeadBytes) : m.payload});
  }
  return out;
}

std::vector<Seen> ScanRtmp(const std::string& chunks, size_t split) {
  RtmpSink sink;
  RtmpScanner scanner(&sink);
  if (split == 0) {  // byte by byte
    for (char c : chunks) REQUIRE(scanner.Consume(std::string_view(&c, 1)).ok());
  } else {
    REQUIRE(scanner.Consume(std::string_view(chunks).substr(0, split)).ok());
    REQUIRE(scanner.Consume(std::string_view(chunks).substr(split)).ok());
  }
  return sink.seen;
}

std::string Payload(size_t n, char first) {
  std::string s(n, 'x');
  s[0] = first;
  if (n > 1) s[1] = 1;
  for (size_t i = 2; i < n; ++i) s[i] = static_cast<char>(i * 7);
  return s;
}

TEST_CASE("RtmpScanner matches ChunkReader on writer output at every split") {
  std::string c;
  rtmp::ChunkWriter::Encode(3, rtmp::kMsgAmf0Command, 0, 0, Payload(300, 2), 128, &c);
  rtmp::ChunkWriter::Encode(9, rtmp::kMsgVideo, 40, 1, Payload(700, 0x17), 128, &c);
  rtmp::ChunkWriter::Encode(4, rtmp::kMsgAudio, 41, 1, Payload(5, static_cast<char>(0xaf)), 128, &c);
  std::string csize;
  base::PutU32(&csize, 1000);
  rtmp::ChunkWriter::Encode(2, rtmp::kMsgSetChunkSize, 0, 0, csize, 128, &c);
  rtmp::ChunkWriter::Encode(9, rtmp::kMsgVideo, 0x1000010, 1, Payload(2500, 0x27), 1000, &c);  // extended ts
  rtmp::ChunkWriter::Encode(9, rtmp::kMsgVideo, 0x1000050, 1, Payload(3, 0x17), 1000, &c);
  rtmp::ChunkWriter::Encode(5, rtmp::kMsgAmf0Data, 100, 1, Payload(40, 2), 1000, &c);
  rtmp::ChunkWriter::Encode(4, rtmp::kMsgAudio, 0, 1, "", 1000, &c);  // empty message
  const auto want = Reference(c);
  REQUIRE(want.size() == 8);
  CHECK(ScanRtmp(c, c.size()) == want);
  CHECK(ScanRtmp(c, 0) == want);
  for (size_t split = 1; split < c.size(); ++split) {
    INFO("split at " << split);
    REQUIRE(ScanRtmp(c, split) == want);
  }
}

TEST_CASE("RtmpScanner on nginx-rtmp's real play session") {
  const std::string c = rtmp::testing::FixtureChunks("ffmpeg-play.s2c.bin");
  const auto want = Reference(c);
  REQUIRE(want.size() > 10);
  CHECK(ScanRtmp(c, c.size()) == want);
  CHECK(ScanRtmp(c, 0) == want);
  for (size_t split = 1; split < c.size(); split += 37) REQUIRE(ScanRtmp(c, split) == want);
  int keys = 0;
  for (const auto& s : want) keys += s.type == 9 && IsVideoKeyFrame(s.head);
  CHECK(keys >= 1);
}

TEST_CASE("RtmpScanner refuses malformed streams") {
  RtmpSink sink;
  SUBCASE("fmt 3 on a new chunk stream") {
    RtmpScanner s(&sink);
    CHECK(!s.Consume(std::string("\xc5", 1) + "xxxx").ok());
  }
  SUBCASE("an oversized command") {
    RtmpScanner s(&sink);
    std::string c;
    rtmp::ChunkWriter::Encode(3, rtmp::kMsgAmf0Command, 0, 0, std::string(RtmpScanner::kMaxOtherMessage + 1, 'a'), 4096, &c);
    base::Status st = s.Consume(c);
    CHECK(st.code() == base::Status::Code::kTooLarge);
    CHECK(!s.Consume("x").ok());  // errors are final
  }
  SUBCASE("a zero chunk size") {
    RtmpScanner s(&sink);
    std::string c;
    rtmp::ChunkWriter::Encode(2, rtmp::kMsgSetChunkSize, 0, 0, std::string(4, '\0'), 128, &c);
    CHECK(!s.Consume(c).ok());
  }
}

struct FlvSink : FlvScanner::Delegate {
  int responses = 0;
  std::vector<Seen> tags;
  void OnResponse() override { ++responses; }
  void OnTag(uint8_t type, uint32_t ts, uint32_t size, std::string_view head) override {
    tags.push_back({type, ts, size, std::string(head)});
  }
};

std::string FlvBody() {
  std::string f = media::FlvFileHeader(true, true);
  media::AppendFlvTag(media::TagType::kScript, 0, Payload(30, 2), &f);
  media::AppendFlvTag(media::TagType::kVideo, 0, Payload(40, 0x17), &f);
  media::AppendFlvTag(media::TagType::kAudio, 23, Payload(9, static_cast<char>(0xaf)), &f);
  media::AppendFlvTag(media::TagType::kVideo, 0x1234567, Payload(900, 0x27), &f);
  return f;
}

std::string Chunked(const std::string& body, size_t piece) {
  std::string out;
  for (size_t i = 0; i < body.size(); i += piece) {
    const size_t n = std::min(piece, body.size() - i);
    char hex[16];
    snprintf(hex, sizeof hex, "%zx", n);
    out += std::string(hex) + "\r\n" + body.substr(i, n) + "\r\n";
  }
  return out;
}

TEST_CASE("FlvScanner reads chunked and plain responses at every split") {
  const std::string body = FlvBody();
  for (bool chunked : {true, false}) {
    const std::string resp =
        std::string("HTTP/1.1 200 OK\r\nContent-Type: video/x-flv\r\n") +
        (chunked ? "Transfer-Encoding: chunked\r\n\r\n" + Chunked(body, 77) : "Connection: close\r\n\r\n" + body);
    for (size_t split = 0; split <= resp.size(); ++split) {
      INFO("chunked " << chunked << " split " << split);
      FlvSink sink;
      FlvScanner s(&sink);
      REQUIRE(s.Consume(std::string_view(resp).substr(0, split)).ok());
      REQUIRE(s.Consume(std::string_view(resp).substr(split)).ok());
      REQUIRE(sink.responses == 1);
      REQUIRE(sink.tags.size() == 4);
      CHECK(sink.tags[1] == Seen{9, 0, 40, Payload(16, 0x17)});
      CHECK(sink.tags[3].ts == 0x1234567);
      CHECK(sink.tags[3].length == 900);
      CHECK(IsVideoKeyFrame(sink.tags[1].head));
      CHECK(!IsVideoKeyFrame(sink.tags[3].head));
    }
  }
}

TEST_CASE("FlvScanner errors") {
  FlvSink sink;
  SUBCASE("not found") {
    FlvScanner s(&sink);
    base::Status st = s.Consume("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    CHECK(st.message() == "HTTP 404");
    CHECK(sink.responses == 0);
  }
  SUBCASE("end of a chunked body") {
    FlvScanner s(&sink);
    CHECK(s.Consume("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n").message() == "end of stream");
  }
  SUBCASE("not FLV") {
    FlvScanner s(&sink);
    CHECK(!s.Consume("HTTP/1.1 200 OK\r\n\r\nGIF89a....").ok());
  }
  SUBCASE("a head that never ends") {
    FlvScanner s(&sink);
    base::Status st;
    for (int i = 0; i < 2000 && st.ok(); ++i) st = s.Consume("X-Filler: aaaaaaaaaaaaaaa\r\n");
    CHECK(st.code() == base::Status::Code::kTooLarge);
  }
  SUBCASE("a huge chunk size") {
    FlvScanner s(&sink);
    CHECK(!s.Consume("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffff\r\n").ok());
  }
}

TEST_CASE("IsVideoKeyFrame") {
  CHECK(IsVideoKeyFrame(std::string("\x17\x01", 2)));
  CHECK(!IsVideoKeyFrame(std::string("\x17\x00", 2)));  // AVC sequence header
  CHECK(!IsVideoKeyFrame(std::string("\x27\x01", 2)));
  CHECK(!IsVideoKeyFrame(""));
  CHECK(IsVideoKeyFrame(std::string("\x12", 1)));        // Sorenson key frame
  CHECK(IsVideoKeyFrame(std::string("\x91hvc1", 5)));    // enhanced RTMP coded frames, key
  CHECK(!IsVideoKeyFrame(std::string("\x90hvc1", 5)));   // enhanced RTMP sequence start
}

TEST_CASE("HLS playlists and URLs") {
  auto p = ParseHlsPlaylist(
      "#EXTM3U\r\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:41\n"
      "#EXTINF:2.000,\nroom/41.ts?vhost=x\n#EXTINF:1.960,\nroom/42.ts?vhost=x\n");
  CHECK(!p.master);
  CHECK(p.target_s == 2);
  REQUIRE(p.segments.size() == 2);
  CHECK(p.segments[1].sequence == 42);
  CHECK(p.segments[1].duration_s == doctest::Approx(1.96));
  CHECK(p.segments[1].uri == "room/42.ts?vhost=x");
  auto m = ParseHlsPlaylist("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nhi.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=2\nlo.m3u8\n");
  CHECK(m.master);
  CHECK(m.first_variant == "hi.m3u8");
  CHECK(ResolveUrl("http://h:1/live/room.m3u8?vhost=x", "room/1.ts?vhost=x") == "http://h:1/live/room/1.ts?vhost=x");
  CHECK(ResolveUrl("http://h:1/live/room.m3u8", "/abs/1.ts") == "http://h:1/abs/1.ts");
  CHECK(ResolveUrl("http://h:1/live/room.m3u8", "http://o/x.ts") == "http://o/x.ts");
}

}  // namespace
}  // namespace cdn::loadgen
