// Tests for lib/rtmp/chunk_writer: exact bytes of the fmt 0 / fmt 3 chunking (RTMP 1.0 5.3.1),
// the three basic header forms, extended timestamps repeated on continuation chunks, the protocol
// and user control messages (5.4, 7.1.7), Set Chunk Size (valid and refused), and purity.
#include "lib/rtmp/chunk_writer.h"

#include <doctest/doctest.h>

#include <string>

#include "tests/lib/rtmp/rtmp_test_util.h"

namespace cdn::rtmp {
namespace {

using namespace testing;  // NOLINT: test helpers

std::string Encode(uint32_t csid, uint8_t type, uint32_t ts, uint32_t sid, std::string_view payload,
                   uint32_t chunk_size = kDefaultChunkSize) {
  std::string out;
  ChunkWriter::Encode(csid, type, ts, sid, payload, chunk_size, &out);
  return out;
}

TEST_CASE("fmt 0 header: exact bytes, stream id little-endian (5.3.1.2.1)") {
  CHECK(Encode(3, kMsgAmf0Command, 0x010203, 0x0A0B0C0D, "hi") ==
        Bytes({0x03, 0x01, 0x02, 0x03, 0x00, 0x00, 0x02, 0x14, 0x0D, 0x0C, 0x0B, 0x0A, 'h', 'i'}));
  CHECK(Encode(2, kMsgAbort, 0, 0, "") == Bytes({0x02, 0, 0, 0, 0, 0, 0, 0x02, 0, 0, 0, 0}));
}

TEST_CASE("basic header forms: 1, 2 and 3 bytes (5.3.1.1)") {
  struct Case {
    uint32_t csid;
    std::string basic;
  };
  for (const Case& c : {Case{2, Bytes({0x02})}, Case{63, Bytes({0x3F})}, Case{64, Bytes({0x00, 0x00})},
                        Case{319, Bytes({0x00, 0xFF})}, Case{320, Bytes({0x01, 0x00, 0x01})},
                        Case{65599, Bytes({0x01, 0xFF, 0xFF})}}) {
    CAPTURE(c.csid);
    const std::string out = Encode(c.csid, kMsgAudio, 0, 1, std::string(200, 'x'));
    CHECK(out.substr(0, c.basic.size()) == c.basic);
    // The continuation chunk after 128 bytes: the same basic header with fmt 3 in the top bits.
    std::string cont = c.basic;
    cont[0] = static_cast<char>(cont[0] | 0xC0);
    const size_t at = c.basic.size() + 11 + 128;
    CHECK(out.substr(at, cont.size()) == cont);
    CHECK(out.size() == at + cont.size() + 72);
    CHECK(out == Header(0, c.csid, 0, 200, kMsgAudio, 1) + std::string(128, 'x') + BasicHeader(3, c.csid) +
                     std::string(72, 'x'));
  }
}

TEST_CASE("chunking at the chunk size: fmt 3 headers exactly at each boundary") {
  const std::string p(300, 'p');
  const std::string out = Encode(4, kMsgVideo, 5, 1, p);
  CHECK(out == Header(0, 4, 5, 300, kMsgVideo, 1) + p.substr(0, 128) + Bytes({0xC4}) + p.substr(128, 128) +
                   Bytes({0xC4}) + p.substr(256));
  // Exactly one chunk's worth: no trailing fmt 3 header.
  CHECK(Encode(4, kMsgVideo, 5, 1, std::string(128, 'p')).size() == 12 + 128);
  CHECK(Encode(4, kMsgVideo, 5, 1, std::string(256, 'p')).size() == 12 + 256 + 1);
  CHECK(Encode(4, kMsgVideo, 5, 1, std::string(129, 'p'), 4096).size() == 12 + 129);
  CHECK(Encode(4, kMsgVideo, 5, 1, "abc", 1) == Header(0, 4, 5, 3, kMsgVideo, 1) + "a" + Bytes({0xC4}) + "b" +
                                                   Bytes({0xC4}) + "c");
}

TEST_CASE("extended timestamps: at 0xFFFFFF and above, repeated on every fmt 3 chunk") {
  CHECK(Encode(4, kMsgAudio, 0xFFFFFE, 1, "a") == Bytes({0x04, 0xFF, 0xFF, 0xFE, 0, 0, 1, 8, 1, 0, 0, 0, 'a'}));
  CHECK(Encode(4, kMsgAudio, 0xFFFFFF, 1, "a") ==
        Bytes({0x04, 0xFF, 0xFF, 0xFF, 0, 0, 1, 8, 1, 0, 0, 0, 0x00, 0xFF, 0xFF, 0xFF, 'a'}));
  const std::string p(200, 'e');
  CHECK(Encode(4, kMsgAudio, 0x12345678, 1, p) == Header(0, 4, 0x12345678, 200, kMsgAudio, 1) + p.substr(0, 128) +
                                                      Bytes({0xC4, 0x12, 0x34, 0x56, 0x78}) + p.substr(128));
}

TEST_CASE("a chunk size of 0 does not hang: it falls back to the default") {
  CHECK(Encode(4, kMsgVideo, 0, 1, std::string(300, 'z'), 0) == Encode(4, kMsgVideo, 0, 1, std::string(300, 'z')));
}

TEST_CASE("Encode is pure: the same message encodes to the same bytes, appended") {
  const std::string p(5000, 'm');
  std::string a = "prefix", b;
  ChunkWriter::Encode(6, kMsgVideo, 1234, 1, p, 4096, &a);
  ChunkWriter::Encode(6, kMsgVideo, 1234, 1, p, 4096, &b);
  CHECK(a == "prefix" + b);
}

TEST_CASE("SetChunkSize: the message goes out at the old size, later messages use the new one") {
  ChunkWriter w;
  std::string out;
  REQUIRE(w.SetChunkSize(4096, &out).ok());
  CHECK(out == Header(0, 2, 0, 4, kMsgSetChunkSize, 0) + U32(4096));
  CHECK(w.chunk_size() == 4096);
  out.clear();
  const std::string p(5000, 'b');
  w.Write(6, kMsgVideo, 0, 1, p, &out);
  CHECK(out == Header(0, 6, 0, 5000, kMsgVideo, 1) + p.substr(0, 4096) + Bytes({0xC6}) + p.substr(4096));
  // The reader follows.
  std::string all;
  REQUIRE(w.SetChunkSize(1, &all).ok());
  w.Write(6, kMsgVideo, 0, 1, "xyz", &all);
  REQUIRE(all.substr(0, 16) == Header(0, 2, 0, 4, kMsgSetChunkSize, 0) + U32(1));
  const Fed f = FeedWhole(Header(0, 2, 0, 4, kMsgSetChunkSize, 0) + U32(4096) + out + all);
  REQUIRE(f.status.ok());
  REQUIRE(f.messages.size() == 4);
  CHECK(f.messages[1].payload == p);
  CHECK(f.messages[3].payload == "xyz");
}

TEST_CASE("SetChunkSize refuses 0 and sizes over 0xFFFFFF, writing nothing") {
  for (uint32_t bad : {0u, 0x1000000u, 0x80000000u, 0xFFFFFFFFu}) {
    CAPTURE(bad);
    ChunkWriter w;
    std::string out;
    CHECK(w.SetChunkSize(bad, &out).code() == base::Status::Code::kInvalid);
    CHECK(out.empty());
    CHECK(w.chunk_size() == kDefaultChunkSize);
  }
  ChunkWriter w;
  std::string out;
  CHECK(w.SetChunkSize(0xFFFFFF, &out).ok());
  CHECK(w.chunk_size() == 0xFFFFFF);
  CHECK(w.SetChunkSize(1, &out).ok());
  CHECK(w.chunk_size() == 1);
}

TEST_CASE("protocol control and user control messages: exact bytes on csid 2, stream 0") {
  std::string out;
  ChunkWriter::WindowAckSize(2500000, &out);
  CHECK(out == Header(0, 2, 0, 4, kMsgWindowAckSize, 0) + Bytes({0x00, 0x26, 0x25, 0xA0}));
  out.clear();
  ChunkWriter::SetPeerBandwidth(2500000, 2, &out);
  CHECK(out == Header(0, 2, 0, 5, kMsgSetPeerBandwidth, 0) + Bytes({0x00, 0x26, 0x25, 0xA0, 0x02}));
  out.clear();
  ChunkWriter::Ack(0x01020304, &out);
  CHECK(out == Header(0, 2, 0, 4, kMsgAck, 0) + Bytes({1, 2, 3, 4}));
  out.clear();
  ChunkWriter::UserControl(kUcStreamBegin, 1, &out);
  CHECK(out == Header(0, 2, 0, 6, kMsgUserControl, 0) + Bytes({0, 0, 0, 0, 0, 1}));
  out.clear();
  ChunkWriter::UserControl2(kUcSetBufferLength, 1, 3000, &out);
  CHECK(out == Header(0, 2, 0, 10, kMsgUserControl, 0) + Bytes({0, 3, 0, 0, 0, 1, 0, 0, 0x0B, 0xB8}));
  // Control messages always use the default chunk size (they are small), whatever the writer's.
  ChunkWriter w;
  std::string ignored;
  REQUIRE(w.SetChunkSize(1, &ignored).ok());
  out.clear();
  ChunkWriter::UserControl(kUcPingResponse, 7, &out);
  CHECK(out.size() == 12 + 6);
}

}  // namespace
}  // namespace cdn::rtmp
