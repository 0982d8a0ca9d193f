// Tests for lib/live/media_packet: classification (key frame, sequence header, metadata) from
// hand-built FLV tag bodies, the payload moved in not copied, and the RTMP and FLV wire forms:
// exact bytes, decodable, built once and shared (also when many threads ask at once).
#include "lib/live/media_packet.h"

#include <doctest/doctest.h>

#include <set>
#include <thread>
#include <vector>

#include "lib/base/bytes.h"
#include "lib/media/flv.h"
#include "lib/rtmp/chunk_reader.h"
#include "lib/rtmp/chunk_writer.h"
#include "lib/rtmp/server_session.h"
#include "tests/lib/live/live_test_util.h"

namespace cdn::live {
namespace {

using namespace testing;  // NOLINT: test helpers

TEST_CASE("classification from the tag body") {
  struct Case {
    const char* what;
    PacketType type;
    std::string payload;
    bool key, seq, meta;
  };
  const Case cases[] = {
      {"AVC key frame", PacketType::kVideo, KeyFrame(), true, false, false},
      {"AVC inter frame", PacketType::kVideo, InterFrame(), false, false, false},
      {"AVC disposable frame", PacketType::kVideo, Video(3, 1), false, false, false},
      {"AVC sequence header", PacketType::kVideo, AvcSequenceHeader(), false, true, false},
      {"AVC end of sequence (ffmpeg's last tag)", PacketType::kVideo, AvcEndOfSequence(), false, false, false},
      {"HEVC (codec 12) key frame", PacketType::kVideo, std::string("\x1C\x01\x00\x00\x00xx", 7), true, false, false},
      {"H.263 key frame (no AVC header)", PacketType::kVideo, std::string("\x12xyz", 4), true, false, false},
      {"truncated AVC header", PacketType::kVideo, std::string("\x17\x01", 2), false, false, false},
      {"empty video", PacketType::kVideo, "", false, false, false},
      {"AAC sequence header", PacketType::kAudio, AacSequenceHeader(), false, true, false},
      {"AAC frame", PacketType::kAudio, AacFrame(), false, false, false},
      {"MP3 frame", PacketType::kAudio, std::string("\x2F\xFF\xFB", 3), false, false, false},
      {"empty audio", PacketType::kAudio, "", false, false, false},
      {"onMetaData", PacketType::kData, Metadata(), false, false, true},
      {"onMetaData with nothing after the name", PacketType::kData, std::string("\x02\x00\x0aonMetaData", 13), false,
       false, false},
      {"another data message", PacketType::kData,
       rtmp::EncodeAmf0All({rtmp::Amf0Value::String("onTextData"), rtmp::Amf0Value::Object({})}), false, false, false},
      {"onMetaDataX is not onMetaData", PacketType::kData,
       rtmp::EncodeAmf0All({rtmp::Amf0Value::String("onMetaDatX"), rtmp::Amf0Value::Null()}), false, false, false},
      {"garbage data", PacketType::kData, "zz", false, false, false},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    MediaPacket p(c.type, 10, c.payload);
    CHECK(p.keyframe() == c.key);
    CHECK(p.sequence_header() == c.seq);
    CHECK(p.metadata() == c.meta);
    CHECK(p.size() == c.payload.size());
    CHECK(p.payload() == c.payload);
    CHECK(p.timestamp() == 10);
    CHECK(p.type() == c.type);
  }
}

TEST_CASE("the payload is moved in, not copied") {
  std::string big(100000, 'x');
  const char* data = big.data();
  MediaPacket p(PacketType::kVideo, 0, std::move(big));
  CHECK(p.payload().data() == data);
}

TEST_CASE("rtmp_wire: chunks at kOutChunkSize on the type's chunk stream, message stream 1") {
  struct Case {
    PacketType type;
    uint32_t csid;
    std::string payload;
  };
  for (const Case& c : {Case{PacketType::kVideo, rtmp::kCsidVideo, KeyFrame(10000)},
                        Case{PacketType::kAudio, rtmp::kCsidAudio, AacFrame(300)},
                        Case{PacketType::kData, rtmp::kCsidData, Metadata()}}) {
    CAPTURE(int(c.type));
    for (uint32_t ts : {0u, 12345u, 0xFFFFFFu, 0x7FFFFFFFu}) {
      CAPTURE(ts);
      MediaPacket p(c.type, ts, c.payload);
      std::string want;
      rtmp::ChunkWriter::Encode(c.csid, static_cast<uint8_t>(c.type), ts, rtmp::kMediaStreamId, c.payload,
                                rtmp::kOutChunkSize, &want);
      REQUIRE(p.rtmp_wire() != nullptr);
      CHECK(*p.rtmp_wire() == want);
      // A player that got Set Chunk Size 4096 reads it back.
      rtmp::ChunkReader r;
      std::vector<rtmp::Message> out;
      std::string in;
      base::PutU8(&in, 0x02);
      base::PutU24(&in, 0);
      base::PutU24(&in, 4);
      base::PutU8(&in, rtmp::kMsgSetChunkSize);
      base::PutU32LE(&in, 0);
      base::PutU32(&in, rtmp::kOutChunkSize);
      REQUIRE(r.Consume(in + *p.rtmp_wire(), &out).ok());
      REQUIRE(out.size() == 2);
      CHECK(out[1].type == static_cast<uint8_t>(c.type));
      CHECK(out[1].timestamp == ts);
      CHECK(out[1].stream_id == rtmp::kMediaStreamId);
      CHECK(out[1].payload == c.payload);
    }
  }
}

TEST_CASE("flv_wire: the FLV tag with its PreviousTagSize (FLV 10.1 E.3, E.4.1)") {
  const std::string payload = InterFrame(40);
  MediaPacket p(PacketType::kVideo, 0x12345678, payload);
  const std::string& w = *p.flv_wire();
  REQUIRE(w.size() == 11 + payload.size() + 4);
  CHECK(static_cast<uint8_t>(w[0]) == 9);
  CHECK(base::GetBE(w, 1, 3) == payload.size());
  CHECK(base::GetBE(w, 4, 3) == 0x345678);           // Timestamp, lower 24 bits
  CHECK(static_cast<uint8_t>(w[7]) == 0x12);         // TimestampExtended
  CHECK(base::GetBE(w, 8, 3) == 0);                  // StreamID
  CHECK(w.substr(11, payload.size()) == payload);
  CHECK(base::GetBE(w, 11 + payload.size(), 4) == 11 + payload.size());
  std::string want;
  media::AppendFlvTag(media::TagType::kVideo, 0x12345678, payload, &want);
  CHECK(w == want);
  MediaPacket meta(PacketType::kData, 0, Metadata());
  CHECK(static_cast<uint8_t>((*meta.flv_wire())[0]) == 18);
}

TEST_CASE("wire forms are built once and shared") {
  MediaPacket p(PacketType::kVideo, 40, KeyFrame(5000));
  const base::SharedBytes& a = p.rtmp_wire();
  const base::SharedBytes& b = p.rtmp_wire();
  CHECK(a.get() == b.get());
  CHECK(p.flv_wire().get() == p.flv_wire().get());
  CHECK(a.use_count() == 1);  // only the packet holds it; viewers take references
}

TEST_CASE("wire forms: many threads asking at once get the same bytes") {
  for (int round = 0; round < 20; ++round) {
    auto p = Make(PacketType::kVideo, round, KeyFrame(20000));
    std::vector<const std::string*> rtmp(8), flv(8);
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        rtmp[t] = p->rtmp_wire().get();
        flv[t] = p->flv_wire().get();
      });
    }
    for (auto& t : threads) t.join();
    CHECK(std::set<const std::string*>(rtmp.begin(), rtmp.end()).size() == 1);
    CHECK(std::set<const std::string*>(flv.begin(), flv.end()).size() == 1);
    CHECK(rtmp[0] != nullptr);
  }
}

}  // namespace
}  // namespace cdn::live
