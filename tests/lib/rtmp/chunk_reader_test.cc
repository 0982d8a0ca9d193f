// Tests for lib/rtmp/chunk_reader: round trips through ChunkWriter, hand-built fmt 1/2/3 headers,
// 1/2/3-byte chunk stream ids, extended timestamps, Set Chunk Size and Abort, the caps, the three
// real captured sessions (ffmpeg publish and play, librtmp play), and every input fed whole, split
// at every offset and byte by byte. Truncated, malformed and random input never crashes.
#include "lib/rtmp/chunk_reader.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "lib/rtmp/chunk_writer.h"
#include "tests/lib/rtmp/rtmp_test_util.h"

namespace cdn::rtmp {
namespace {

using namespace testing;  // NOLINT: test helpers
using Code = base::Status::Code;

std::string Payload(size_t n, char seed = 'a') {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + i % 23);
  return s;
}

Message Msg(uint8_t type, uint32_t ts, uint32_t sid, uint32_t csid, std::string payload) {
  Message m;
  m.type = type;
  m.timestamp = ts;
  m.stream_id = sid;
  m.csid = csid;
  m.payload = std::move(payload);
  return m;
}

// Whole == every split == byte by byte (and each of those against `want` when given).
void CheckEverySplit(std::string_view data, ChunkReaderLimits limits = {}) {
  const Fed whole = FeedWhole(data, limits);
  for (size_t at = 0; at <= data.size(); ++at) {
    const Fed split = FeedSplit(data, at, limits);
    if (!SameResult(split, whole)) {
      FAIL("split at " << at << " of " << data.size() << " differs: " << split.messages.size() << " vs "
                       << whole.messages.size() << " messages, " << split.status.ToString() << " vs "
                       << whole.status.ToString());
    }
  }
  const Fed bytewise = FeedBytewise(data, limits);
  CHECK_MESSAGE(SameResult(bytewise, whole), "byte by byte: " << bytewise.status.ToString());
}

void CheckMessages(const std::vector<Message>& got, const std::vector<Message>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    CAPTURE(i);
    CHECK(Describe(got[i]) == Describe(want[i]));
    CHECK(got[i].payload == want[i].payload);
  }
}

// ---- Round trips through ChunkWriter (fmt 0 + fmt 3). ----

TEST_CASE("round trip: csid forms, payload sizes, timestamps, stream ids, chunk sizes") {
  const uint32_t csids[] = {2, 3, 63, 64, 65, 318, 319, 320, 321, 1000, 65599};
  const size_t sizes[] = {0, 1, 127, 128, 129, 255, 256, 257, 1000};
  const uint32_t timestamps[] = {0, 1, 1000, 0xFFFFFE, 0xFFFFFF, 0x1000000, 0x7FFFFFFF, 0xFFFFFFFF};
  const uint32_t chunk_sizes[] = {1, 7, 128, 4096};
  for (uint32_t chunk : chunk_sizes) {
    CAPTURE(chunk);
    ChunkWriter w;
    std::string wire;
    if (chunk != kDefaultChunkSize) REQUIRE(w.SetChunkSize(chunk, &wire).ok());
    std::vector<Message> want;
    if (chunk != kDefaultChunkSize) want.push_back(Msg(kMsgSetChunkSize, 0, 0, kCsidControl, U32(chunk)));
    uint32_t sid = 0;
    for (uint32_t csid : csids) {
      for (size_t n : sizes) {
        for (uint32_t ts : timestamps) {
          // Each message on its own chunk stream state would pile up: use one csid per
          // combination group, and vary the message stream id too (little-endian on the wire).
          sid = sid * 7 + 0x01020304;
          const uint8_t type = static_cast<uint8_t>(n % 2 ? kMsgVideo : kMsgAudio);
          std::string p = Payload(n, static_cast<char>('a' + n % 5));
          w.Write(csid, type, ts, sid, p, &wire);
          want.push_back(Msg(type, ts, sid, csid, std::move(p)));
        }
      }
    }
    const Fed whole = FeedWhole(wire);
    REQUIRE_MESSAGE(whole.status.ok(), whole.status.ToString());
    CheckMessages(whole.messages, want);
    // Hundreds of KiB (a MiB at chunk size 1): split at a few hundred offsets only; the small
    // sessions below are split at every one.
    const size_t step = std::max<size_t>(101, wire.size() / 300);
    for (size_t at = 0; at <= wire.size(); at += step) {
      if (!SameResult(FeedSplit(wire, at), whole)) FAIL("split at " << at);
    }
  }
}

TEST_CASE("round trip of one small mixed session: every split and byte by byte") {
  ChunkWriter w;
  std::string wire;
  w.Write(3, kMsgAmf0Command, 0, 0, Payload(140), &wire);
  REQUIRE(w.SetChunkSize(200, &wire).ok());
  w.Write(64, kMsgVideo, 40, 1, Payload(450), &wire);
  w.Write(320, kMsgAudio, 0xFFFFFF, 1, Payload(401), &wire);   // extended, repeated on fmt 3
  w.Write(65599, kMsgAudio, 0x12345678, 1, Payload(0), &wire);  // empty message, extended
  w.Write(63, kMsgAmf0Data, 7, 1, Payload(3), &wire);
  const Fed whole = FeedWhole(wire);
  REQUIRE(whole.status.ok());
  CheckMessages(whole.messages, {Msg(kMsgAmf0Command, 0, 0, 3, Payload(140)),
                                 Msg(kMsgSetChunkSize, 0, 0, 2, U32(200)),
                                 Msg(kMsgVideo, 40, 1, 64, Payload(450)),
                                 Msg(kMsgAudio, 0xFFFFFF, 1, 320, Payload(401)),
                                 Msg(kMsgAudio, 0x12345678, 1, 65599, ""),
                                 Msg(kMsgAmf0Data, 7, 1, 63, Payload(3))});
  CheckEverySplit(wire);
}

// ---- Hand-built headers: the formats the writer never emits. ----

TEST_CASE("fmt 1, 2 and 3 headers apply deltas and reuse length, type and stream id") {
  std::string in;
  in += Header(0, 4, 1000, 3, kMsgAudio, 1) + "abc";
  in += Header(1, 4, 40, 5, kMsgVideo) + "hello";  // new length and type, same stream id
  in += Header(2, 4, 20) + "world";                // same length and type
  in += BasicHeader(3, 4) + "again";               // everything repeats, delta 20 too
  in += BasicHeader(3, 4) + "more!";
  in += Header(1, 4, 0, 0, kMsgAudio);             // zero delta, empty message
  const Fed f = FeedWhole(in);
  REQUIRE(f.status.ok());
  CheckMessages(f.messages, {Msg(kMsgAudio, 1000, 1, 4, "abc"), Msg(kMsgVideo, 1040, 1, 4, "hello"),
                             Msg(kMsgVideo, 1060, 1, 4, "world"), Msg(kMsgVideo, 1080, 1, 4, "again"),
                             Msg(kMsgVideo, 1100, 1, 4, "more!"), Msg(kMsgAudio, 1100, 1, 4, "")});
  CheckEverySplit(in);
}

TEST_CASE("fmt 3 right after fmt 0: the delta is the fmt 0 timestamp (5.3.1.2.4)") {
  std::string in = Header(0, 5, 100, 1, kMsgAudio, 1) + "x" + BasicHeader(3, 5) + "y" + BasicHeader(3, 5) + "z";
  const Fed f = FeedWhole(in);
  REQUIRE(f.status.ok());
  CheckMessages(f.messages,
                {Msg(kMsgAudio, 100, 1, 5, "x"), Msg(kMsgAudio, 200, 1, 5, "y"), Msg(kMsgAudio, 300, 1, 5, "z")});
}

TEST_CASE("fmt 3 continuation chunks across the chunk size, on every csid form") {
  for (uint32_t csid : {2u, 63u, 64u, 319u, 320u, 65599u}) {
    CAPTURE(csid);
    const std::string p = Payload(300);
    std::string in = Header(0, csid, 7, 300, kMsgVideo, 1) + p.substr(0, 128) + BasicHeader(3, csid) +
                     p.substr(128, 128) + BasicHeader(3, csid) + p.substr(256);
    const Fed f = FeedWhole(in);
    REQUIRE(f.status.ok());
    CheckMessages(f.messages, {Msg(kMsgVideo, 7, 1, csid, p)});
    CheckEverySplit(in);
  }
}

TEST_CASE("chunk streams interleave; each message completes on its own stream") {
  const std::string a = Payload(200, 'a'), b = Payload(50, 'b'), c = Payload(130, 'c');
  std::string in;
  in += Header(0, 4, 10, 200, kMsgAudio, 1) + a.substr(0, 128);
  in += Header(0, 6, 20, 50, kMsgVideo, 1) + b;
  in += Header(0, 70, 30, 130, kMsgAmf0Data, 1) + c.substr(0, 128);
  in += BasicHeader(3, 4) + a.substr(128);
  in += BasicHeader(3, 70) + c.substr(128);
  const Fed f = FeedWhole(in);
  REQUIRE(f.status.ok());
  CheckMessages(f.messages, {Msg(kMsgVideo, 20, 1, 6, b), Msg(kMsgAudio, 10, 1, 4, a), Msg(kMsgAmf0Data, 30, 1, 70, c)});
  CheckEverySplit(in);
}

TEST_CASE("the first chunk of a chunk stream: fmt 0, leniently fmt 1, never fmt 2 or 3") {
  SUBCASE("fmt 1 is accepted: message stream id 0, timestamp = the delta") {
    const Fed f = FeedWhole(Header(1, 9, 33, 2, kMsgAudio) + "hi");
    REQUIRE(f.status.ok());
    CheckMessages(f.messages, {Msg(kMsgAudio, 33, 0, 9, "hi")});
  }
  SUBCASE("fmt 2") {
    const Fed f = FeedWhole(Header(2, 9, 33) + "hi");
    CHECK(f.status.code() == Code::kInvalid);
    CHECK(f.messages.empty());
  }
  SUBCASE("fmt 3") {
    const Fed f = FeedWhole(BasicHeader(3, 9) + "hi");
    CHECK(f.status.code() == Code::kInvalid);
  }
  SUBCASE("fmt 3 on a 3-byte csid, after a good message on another csid") {
    const Fed f = FeedWhole(Header(0, 3, 0, 1, kMsgAudio) + "x" + BasicHeader(3, 65599));
    CHECK(f.status.code() == Code::kInvalid);
    CheckMessages(f.messages, {Msg(kMsgAudio, 0, 0, 3, "x")});
  }
}

TEST_CASE("a new header in the middle of a message is a protocol error") {
  const std::string p = Payload(200);
  for (int fmt : {0, 1, 2}) {
    CAPTURE(fmt);
    std::string in = Header(0, 4, 0, 200, kMsgVideo, 1) + p.substr(0, 128) + Header(fmt, 4, 0, 200, kMsgVideo, 1) +
                     p.substr(128);
    CHECK(FeedWhole(in).status.code() == Code::kInvalid);
  }
}

TEST_CASE("zero-length messages are delivered at once, empty") {
  std::string in = Header(0, 3, 5, 0, kMsgAmf0Data, 1) + BasicHeader(3, 3) + Header(0, 4, 0, 1, kMsgAudio, 1) + "z";
  const Fed f = FeedWhole(in);
  REQUIRE(f.status.ok());
  CheckMessages(f.messages, {Msg(kMsgAmf0Data, 5, 1, 3, ""), Msg(kMsgAmf0Data, 10, 1, 3, ""),
                             Msg(kMsgAudio, 0, 1, 4, "z")});
  CheckEverySplit(in);
}

// ---- Extended timestamps (5.3.1.3). ----

TEST_CASE("extended timestamp on fmt 0, repeated on the fmt 3 continuation") {
  const uint32_t ts = 0x01000000;
  const std::string p = Payload(200, 'x');
  std::string in = Header(0, 4, ts, 200, kMsgVideo, 1) + p.substr(0, 128) + BasicHeader(3, 4) + U32(ts) + p.substr(128);
  // The next message on the stream, fmt 3: delta = the fmt 0 timestamp, extended field present.
  in += BasicHeader(3, 4) + U32(ts) + p.substr(0, 128) + BasicHeader(3, 4) + U32(ts) + p.substr(128);
  const Fed f = FeedWhole(in);
  REQUIRE_MESSAGE(f.status.ok(), f.status.ToString());
  CheckMessages(f.messages, {Msg(kMsgVideo, ts, 1, 4, p), Msg(kMsgVideo, 2 * ts, 1, 4, p)});
  CheckEverySplit(in);
}

TEST_CASE("extended timestamp on fmt 0, not repeated on the fmt 3 continuation (accepted too)") {
  const uint32_t ts = 0x01000000;
  const std::string p = Payload(300, 'x');  // body bytes never look like 01 00 00 00
  std::string in = Header(0, 4, ts, 300, kMsgVideo, 1) + p.substr(0, 128) + BasicHeader(3, 4) + p.substr(128, 128) +
                   BasicHeader(3, 4) + p.substr(256);
  const Fed f = FeedWhole(in);
  REQUIRE_MESSAGE(f.status.ok(), f.status.ToString());
  CheckMessages(f.messages, {Msg(kMsgVideo, ts, 1, 4, p)});
  CheckEverySplit(in);
}

TEST_CASE("extended timestamp of exactly 0xFFFFFF, and the largest one") {
  for (uint32_t ts : {0xFFFFFFu, 0xFFFFFFFFu}) {
    CAPTURE(ts);
    std::string in = Header(0, 3, ts, 2, kMsgAudio, 1) + "ab";
    REQUIRE(in.size() == 1 + 11 + 4 + 2);
    CHECK(in.substr(1, 3) == Bytes({0xFF, 0xFF, 0xFF}));
    const Fed f = FeedWhole(in);
    REQUIRE(f.status.ok());
    CheckMessages(f.messages, {Msg(kMsgAudio, ts, 1, 3, "ab")});
  }
}

TEST_CASE("extended deltas on fmt 1 and fmt 2, then small ones again") {
  const uint32_t big = 0x01000000;
  const std::string p = Payload(150, 'q');
  std::string in;
  in += Header(0, 6, 10, 2, kMsgVideo, 1) + "v0";
  in += Header(1, 6, big, 150, kMsgVideo) + p.substr(0, 128) + BasicHeader(3, 6) + U32(big) + p.substr(128);
  in += Header(2, 6, 5) + p.substr(0, 128) + BasicHeader(3, 6) + p.substr(128);   // not extended any more
  in += BasicHeader(3, 6) + p.substr(0, 128) + BasicHeader(3, 6) + p.substr(128);  // delta 5 again
  in += Header(2, 6, big + 1) + p.substr(0, 128) + BasicHeader(3, 6) + U32(big + 1) + p.substr(128);
  in += BasicHeader(3, 6) + U32(big + 1) + p.substr(0, 128) + BasicHeader(3, 6) + U32(big + 1) + p.substr(128);
  const Fed f = FeedWhole(in);
  REQUIRE_MESSAGE(f.status.ok(), f.status.ToString());
  const uint32_t t1 = 10 + big, t2 = t1 + 5, t3 = t2 + 5, t4 = t3 + big + 1, t5 = t4 + big + 1;
  CheckMessages(f.messages, {Msg(kMsgVideo, 10, 1, 6, "v0"), Msg(kMsgVideo, t1, 1, 6, p), Msg(kMsgVideo, t2, 1, 6, p),
                             Msg(kMsgVideo, t3, 1, 6, p), Msg(kMsgVideo, t4, 1, 6, p), Msg(kMsgVideo, t5, 1, 6, p)});
  CheckEverySplit(in);
}

TEST_CASE("timestamps wrap modulo 2^32 (RTMP 1.0 5.3.1.2.1)") {
  std::string in = Header(0, 4, 0xFFFFFFF0, 1, kMsgAudio, 1) + "a" + Header(2, 4, 0x20) + "b";
  const Fed f = FeedWhole(in);
  REQUIRE(f.status.ok());
  CheckMessages(f.messages, {Msg(kMsgAudio, 0xFFFFFFF0, 1, 4, "a"), Msg(kMsgAudio, 0x10, 1, 4, "b")});
}

// ---- Set Chunk Size (5.4.1). ----

TEST_CASE("Set Chunk Size applies to the very next chunk, in the same Consume call") {
  const std::string p = Payload(5000);
  std::string in = ControlU32(kMsgSetChunkSize, 4096) + Header(0, 6, 0, 5000, kMsgVideo, 1) + p.substr(0, 4096) +
                   BasicHeader(3, 6) + p.substr(4096);
  ChunkReader r;
  CHECK(r.chunk_size() == kDefaultChunkSize);
  std::vector<Message> out;
  REQUIRE(r.Consume(in, &out).ok());
  CHECK(r.chunk_size() == 4096);
  CheckMessages(out, {Msg(kMsgSetChunkSize, 0, 0, 2, U32(4096)), Msg(kMsgVideo, 0, 1, 6, p)});
  CheckEverySplit(in);
}

TEST_CASE("Set Chunk Size values: the top bit is ignored, 0 and over 0xFFFFFF are refused") {
  struct Case {
    uint32_t value;
    bool ok;
    uint32_t applied;
  };
  for (const Case& c : {Case{1, true, 1}, Case{128, true, 128}, Case{0xFFFFFF, true, 0xFFFFFF},
                        Case{0x80000100, true, 0x100}, Case{0, false, 0}, Case{0x80000000, false, 0},
                        Case{0x1000000, false, 0}, Case{0x7FFFFFFF, false, 0}, Case{0xFFFFFFFF, false, 0}}) {
    CAPTURE(c.value);
    ChunkReader r;
    std::vector<Message> out;
    base::Status st = r.Consume(ControlU32(kMsgSetChunkSize, c.value), &out);
    CHECK(st.ok() == c.ok);
    if (c.ok) {
      CHECK(r.chunk_size() == c.applied);
    } else {
      CHECK(st.code() == Code::kInvalid);
      CHECK(r.chunk_size() == kDefaultChunkSize);
    }
  }
}

TEST_CASE("a Set Chunk Size shorter than 4 bytes is refused; longer ones use the first 4") {
  CHECK(FeedWhole(Header(0, 2, 0, 3, kMsgSetChunkSize) + Bytes({0, 0, 1})).status.code() == Code::kInvalid);
  CHECK(FeedWhole(Header(0, 2, 0, 0, kMsgSetChunkSize)).status.code() == Code::kInvalid);
  ChunkReader r;
  std::vector<Message> out;
  REQUIRE(r.Consume(Header(0, 2, 0, 6, kMsgSetChunkSize) + U32(300) + "xx", &out).ok());
  CHECK(r.chunk_size() == 300);
}

TEST_CASE("chunk size 1: every byte is its own chunk") {
  std::string in = ControlU32(kMsgSetChunkSize, 1) + Header(0, 5, 9, 4, kMsgAudio, 1) + "a";
  for (char c : std::string("bcd")) in += BasicHeader(3, 5) + std::string(1, c);
  const Fed f = FeedWhole(in);
  REQUIRE(f.status.ok());
  CheckMessages(f.messages, {Msg(kMsgSetChunkSize, 0, 0, 2, U32(1)), Msg(kMsgAudio, 9, 1, 5, "abcd")});
  CheckEverySplit(in);
}

// ---- Abort (5.4.2). ----

TEST_CASE("Abort drops the partial message; the chunk stream then starts afresh") {
  const std::string p = Payload(200);
  std::string in = Header(0, 4, 0, 200, kMsgVideo, 1) + p.substr(0, 128);
  in += ControlU32(kMsgAbort, 4);
  in += Header(0, 4, 50, 3, kMsgAudio, 1) + "new";
  in += ControlU32(kMsgAbort, 77);  // unknown chunk stream: nothing to drop
  in += Header(0, 4, 60, 200, kMsgVideo, 1) + p.substr(0, 128);
  in += ControlU32(kMsgAbort, 4);
  in += BasicHeader(3, 4) + p.substr(0, 128) + BasicHeader(3, 4) + p.substr(128);  // fmt 3 restarts with 200 bytes
  const Fed f = FeedWhole(in);
  REQUIRE_MESSAGE(f.status.ok(), f.status.ToString());
  CheckMessages(f.messages, {Msg(kMsgAbort, 0, 0, 2, U32(4)), Msg(kMsgAudio, 50, 1, 4, "new"),
                             Msg(kMsgAbort, 0, 0, 2, U32(77)), Msg(kMsgAbort, 0, 0, 2, U32(4)),
                             Msg(kMsgVideo, 120, 1, 4, p)});  // delta 60 from the aborted fmt 0
  CheckEverySplit(in);
  CHECK(FeedWhole(Header(0, 2, 0, 2, kMsgAbort) + "ab").status.code() == Code::kInvalid);
}

// ---- Caps. ----

TEST_CASE("a message over the size cap is refused as soon as its header arrives") {
  ChunkReaderLimits limits;
  limits.max_message_size = 1000;
  CHECK(FeedWhole(Header(0, 4, 0, 1000, kMsgVideo, 1) + Payload(128), limits).status.ok());
  const std::string header = Header(0, 4, 0, 1001, kMsgVideo, 1);
  const Fed f = FeedWhole(header, limits);  // no body at all yet
  CHECK(f.status.code() == Code::kTooLarge);
  CHECK(f.status.message().find("1001") != std::string::npos);
  // The default cap (8 MiB) against the largest length the field can hold.
  CHECK(FeedWhole(Header(0, 4, 0, 0xFFFFFF, kMsgVideo, 1)).status.code() == Code::kTooLarge);
  // fmt 1 can raise the length of an existing chunk stream over the cap too.
  CHECK(FeedWhole(Header(0, 4, 0, 1, kMsgVideo, 1) + "x" + Header(1, 4, 0, 5000, kMsgVideo), limits).status.code() ==
        Code::kTooLarge);
}

TEST_CASE("too many chunk streams") {
  ChunkReaderLimits limits;
  limits.max_chunk_streams = 3;
  std::string in;
  for (uint32_t csid : {3u, 4u, 5u}) in += Header(0, csid, 0, 1, kMsgAudio, 1) + "x";
  in += Header(0, 3, 0, 1, kMsgAudio, 1) + "y";  // a known one is fine
  const Fed ok = FeedWhole(in, limits);
  REQUIRE(ok.status.ok());
  CHECK(ok.messages.size() == 4);
  const Fed bad = FeedWhole(in + Header(0, 6, 0, 1, kMsgAudio, 1) + "z", limits);
  CHECK(bad.status.code() == Code::kTooLarge);
  CHECK(bad.messages.size() == 4);
  CheckEverySplit(in + Header(0, 6, 0, 1, kMsgAudio, 1) + "z", limits);
}

TEST_CASE("a declared message length is not allocated before its bytes arrive") {
  // Every chunk stream the cap allows announces an 8 MiB message and sends one 128-byte chunk:
  // ~9 KB from the peer must not pin 64 x 8 MiB (found by tests/fuzz/rtmp_chunk_fuzz.cc).
  std::string in;
  for (uint32_t csid = 3; csid < 3 + 64; ++csid) {
    in += Header(0, csid, 0, kDefaultMaxMessageSize, kMsgVideo, 1) + Payload(128);
  }
  ChunkReader r;
  std::vector<Message> out;
  REQUIRE(r.Consume(in, &out).ok());
  CHECK(out.empty());
  CHECK(r.buffered_bytes() < 64 * (size_t{65} << 10));  // about 64 KiB up front per stream, not 8 MiB
  // A large message still assembles, growing with its bytes.
  std::string wire;
  const std::string big = Payload(300000);
  ChunkWriter::Encode(4, kMsgVideo, 0, 1, big, kDefaultChunkSize, &wire);
  ChunkReader big_reader;
  REQUIRE(big_reader.Consume(wire, &out).ok());
  REQUIRE(out.size() == 1);
  CHECK(out[0].payload == big);
  CHECK(big_reader.buffered_bytes() < 1024);  // handed over with the message
}

TEST_CASE("errors are final: later input is not parsed") {
  ChunkReader r;
  std::vector<Message> out;
  base::Status st = r.Consume(ControlU32(kMsgSetChunkSize, 0), &out);
  REQUIRE(st.code() == Code::kInvalid);
  out.clear();
  base::Status again = r.Consume(Header(0, 3, 0, 1, kMsgAudio, 1) + "x", &out);
  CHECK(again.code() == Code::kInvalid);
  CHECK(again.message() == st.message());
  CHECK(out.empty());
}

TEST_CASE("messages completed before an error are still delivered") {
  const Fed f = FeedWhole(Header(0, 3, 0, 1, kMsgAudio, 1) + "x" + ControlU32(kMsgSetChunkSize, 0) +
                          Header(0, 3, 0, 1, kMsgAudio, 1) + "y");
  CHECK(f.status.code() == Code::kInvalid);
  REQUIRE(f.messages.size() == 1);  // the audio; not the bad Set Chunk Size
  CHECK(f.messages[0].payload == "x");
}

TEST_CASE("bytes_received counts everything fed") {
  ChunkReader r;
  std::vector<Message> out;
  REQUIRE(r.Consume(Header(0, 3, 0, 5, kMsgAudio, 1), &out).ok());
  REQUIRE(r.Consume("abc", &out).ok());
  CHECK(out.empty());
  CHECK(r.bytes_received() == 12 + 3);
  REQUIRE(r.Consume("de", &out).ok());
  CHECK(out.size() == 1);
  CHECK(r.bytes_received() == 12 + 5);
}

TEST_CASE("every truncation is need-more, with a prefix of the messages") {
  ChunkWriter w;
  std::string in;
  w.Write(3, kMsgAmf0Command, 0, 0, Payload(300), &in);
  in += Header(1, 3, 20, 10, kMsgVideo) + Payload(10) + Header(2, 3, 0xFFFFFF + 5) + Payload(10);
  w.Write(320, kMsgAudio, 0x1000000, 1, Payload(130), &in);
  const Fed whole = FeedWhole(in);
  REQUIRE(whole.status.ok());
  REQUIRE(whole.messages.size() == 4);
  size_t last = 0;
  for (size_t n = 0; n < in.size(); ++n) {
    const Fed f = FeedWhole(std::string_view(in).substr(0, n));
    REQUIRE(f.status.ok());
    REQUIRE(f.messages.size() < whole.messages.size());
    REQUIRE(f.messages.size() >= last);
    last = f.messages.size();
    for (size_t i = 0; i < f.messages.size(); ++i) REQUIRE(SameMessage(f.messages[i], whole.messages[i]));
  }
}

// ---- Real sessions (shared/fixtures/rtmp). ----

struct Command {
  std::string name;
  double txn = 0;
  uint32_t stream_id = 0;
  std::vector<Amf0Value> args;
};

std::vector<Command> Commands(const std::vector<Message>& msgs) {
  std::vector<Command> out;
  for (const auto& m : msgs) {
    if (m.type != kMsgAmf0Command) continue;
    auto v = Amf0Of(m);
    REQUIRE(v.size() >= 2);
    REQUIRE(v[0].IsString());
    out.push_back({v[0].string, v[1].number, m.stream_id, std::vector<Amf0Value>(v.begin() + 2, v.end())});
  }
  return out;
}

// Whole, every offset in the first `dense` bytes, every `stride` bytes after, byte by byte,
// and 50 random multi-way splits: all identical.
void CheckFixtureSplits(const std::string& data, size_t dense, size_t stride) {
  const Fed whole = FeedWhole(data);
  REQUIRE(whole.status.ok());
  for (size_t at = 0; at <= data.size(); at += at < dense ? 1 : stride) {
    if (!SameResult(FeedSplit(data, at), whole)) FAIL("split at " << at);
  }
  CHECK(SameResult(FeedBytewise(data), whole));
  std::mt19937 rng(42);
  for (int round = 0; round < 50; ++round) {
    std::vector<std::string_view> pieces;
    std::string_view rest = data;
    while (!rest.empty()) {
      size_t n = std::min<size_t>(rest.size(), rng() % 3000);
      pieces.push_back(rest.substr(0, n));
      rest.remove_prefix(n);
    }
    if (!SameResult(FeedPieces(pieces), whole)) FAIL("random split round " << round);
  }
}

// Audio and video timestamps never go backwards within each type, and span about `seconds`.
void CheckMediaTimestamps(const std::vector<Message>& msgs, uint32_t min_last, uint32_t max_last, size_t min_count) {
  std::map<uint8_t, uint32_t> last;
  std::map<uint8_t, size_t> count;
  for (const auto& m : msgs) {
    if (m.type != kMsgAudio && m.type != kMsgVideo) continue;
    CHECK(m.stream_id == 1);
    if (last.count(m.type)) CHECK_MESSAGE(m.timestamp >= last[m.type], Describe(m));
    last[m.type] = m.timestamp;
    ++count[m.type];
  }
  for (uint8_t t : {uint8_t{kMsgAudio}, uint8_t{kMsgVideo}}) {
    CAPTURE(int(t));
    CHECK(count[t] >= min_count);
    CHECK(last[t] >= min_last);
    CHECK(last[t] <= max_last);
  }
}

TEST_CASE("fixture: ffmpeg publishing (c2s) decodes to its commands, metadata and media") {
  const std::string data = FixtureChunks("ffmpeg-publish.c2s.bin");
  ChunkReader r;
  std::vector<Message> msgs;
  REQUIRE(r.Consume(data, &msgs).ok());
  CHECK(r.chunk_size() == 4096);  // ffmpeg raises its chunk size right after connect
  CHECK(r.bytes_received() == data.size());

  auto cmds = Commands(msgs);
  std::vector<std::string> names;
  for (const auto& c : cmds) names.push_back(c.name);
  CHECK(names == std::vector<std::string>{"connect", "releaseStream", "FCPublish", "createStream", "publish",
                                          "FCUnpublish", "deleteStream"});
  REQUIRE(cmds.size() == 7);
  CHECK(cmds[0].txn == 1);
  REQUIRE(cmds[0].args.size() >= 1);
  CHECK(cmds[0].args[0].GetString("app") == "live");
  CHECK(cmds[0].args[0].GetString("tcUrl") == "rtmp://127.0.0.1:19397/live");
  CHECK(cmds[1].args.at(1).string == "room");
  CHECK(cmds[3].txn == 4);
  CHECK(cmds[4].stream_id == 1);
  REQUIRE(cmds[4].args.size() == 3);
  CHECK(cmds[4].args[1].string == "room");
  CHECK(cmds[4].args[2].string == "live");

  // Set Chunk Size 4096 on csid 2, between connect and releaseStream.
  REQUIRE(msgs.size() > 2);
  CHECK(msgs[1].type == kMsgSetChunkSize);
  CHECK(msgs[1].payload == U32(4096));

  // @setDataFrame onMetaData, then the AVC and AAC sequence headers, then media.
  auto data_it = std::find_if(msgs.begin(), msgs.end(), [](const Message& m) { return m.type == kMsgAmf0Data; });
  REQUIRE(data_it != msgs.end());
  auto meta = Amf0Of(*data_it);
  REQUIRE(meta.size() == 3);
  CHECK(meta[0].string == "@setDataFrame");
  CHECK(meta[1].string == "onMetaData");
  CHECK(meta[2].GetNumber("width") == 160);
  CHECK(meta[2].GetNumber("height") == 120);
  CHECK(meta[2].GetNumber("videocodecid") == 7);
  CHECK(meta[2].GetNumber("audiocodecid") == 10);
  auto first_video = std::find_if(msgs.begin(), msgs.end(), [](const Message& m) { return m.type == kMsgVideo; });
  auto first_audio = std::find_if(msgs.begin(), msgs.end(), [](const Message& m) { return m.type == kMsgAudio; });
  REQUIRE(first_video != msgs.end());
  REQUIRE(first_audio != msgs.end());
  CHECK(first_video > data_it);
  CHECK(first_video->payload.substr(0, 2) == Bytes({0x17, 0x00}));  // key frame, AVC sequence header
  CHECK(first_audio->payload.substr(0, 2) == Bytes({0xAF, 0x00}));  // AAC sequence header
  CHECK(first_video->timestamp == 0);
  // 4 s of 10 fps video and 22 kHz AAC (~21.5 frames/s).
  CheckMediaTimestamps(msgs, 3500, 4500, 35);
  size_t big = 0;
  for (const auto& m : msgs) big += m.type == kMsgVideo && m.payload.size() > 4096;  // spans chunks
  CHECK(big >= 1);
}

TEST_CASE("fixture: ffmpeg publishing (c2s), split everywhere") {
  CheckFixtureSplits(FixtureChunks("ffmpeg-publish.c2s.bin"), 8192, 61);
}

TEST_CASE("fixture: nginx-rtmp answering a publisher (s2c)") {
  const std::string data = FixtureChunks("ffmpeg-publish.s2c.bin");
  const Fed f = FeedWhole(data);
  REQUIRE(f.status.ok());
  auto cmds = Commands(f.messages);
  REQUIRE(cmds.size() == 4);
  CHECK(cmds[0].name == "_result");
  CHECK(cmds[0].args.at(1).GetString("code") == "NetConnection.Connect.Success");
  CHECK(cmds[2].args.at(1).GetString("code") == "NetStream.Publish.Start");
  CHECK(cmds[3].args.at(1).GetString("code") == "NetStream.Unpublish.Success");
  CheckFixtureSplits(data, data.size(), 1);
}

TEST_CASE("fixture: nginx-rtmp serving a player (s2c), with Set Chunk Size 4096") {
  const std::string data = FixtureChunks("ffmpeg-play.s2c.bin");
  ChunkReader r;
  std::vector<Message> msgs;
  REQUIRE(r.Consume(data, &msgs).ok());
  CHECK(r.chunk_size() == 4096);
  REQUIRE(msgs.size() > 3);
  CHECK(msgs[0].type == kMsgWindowAckSize);
  CHECK(msgs[0].payload == U32(5000000));
  CHECK(msgs[1].type == kMsgSetPeerBandwidth);
  CHECK(msgs[2].type == kMsgSetChunkSize);
  CHECK(msgs[2].payload == U32(4096));
  auto cmds = Commands(msgs);
  REQUIRE(cmds.size() >= 3);
  CHECK(cmds[0].name == "_result");
  CHECK(cmds[0].txn == 1);
  CHECK(cmds[0].args.at(1).GetString("code") == "NetConnection.Connect.Success");
  CHECK(cmds[1].name == "_result");
  CHECK(cmds[1].args.at(1).number == 1);  // the stream id from createStream
  CHECK(cmds[2].name == "onStatus");
  CHECK(cmds[2].stream_id == 1);
  CHECK(cmds[2].args.at(1).GetString("code") == "NetStream.Play.Start");
  std::vector<std::string> data_names;
  for (const auto& m : msgs) {
    if (m.type == kMsgAmf0Data) data_names.push_back(CommandName(m));
  }
  CHECK(data_names == std::vector<std::string>{"|RtmpSampleAccess", "onMetaData"});
  // The player joined ~0.9 s into the 4 s stream and got the rest of it.
  CheckMediaTimestamps(msgs, 3500, 4500, 10);
  auto first_media = std::find_if(msgs.begin(), msgs.end(), [](const Message& m) { return m.type == kMsgAudio; });
  REQUIRE(first_media != msgs.end());
  CHECK(first_media->timestamp > 500);
  CheckFixtureSplits(data, 8192, 37);
}

TEST_CASE("fixture: ffmpeg playing (c2s)") {
  const std::string data = FixtureChunks("ffmpeg-play.c2s.bin");
  const Fed f = FeedWhole(data);
  REQUIRE(f.status.ok());
  auto cmds = Commands(f.messages);
  std::vector<std::string> names;
  for (const auto& c : cmds) names.push_back(c.name);
  CHECK(names == std::vector<std::string>{"connect", "createStream", "getStreamLength", "play"});
  REQUIRE(cmds.size() == 4);
  CHECK(cmds[3].stream_id == 1);
  CHECK(cmds[3].args.at(1).string == "room");
  CHECK(cmds[3].args.at(2).number == -2000);
  // Window Ack Size and Set Buffer Length (user control event 3, stream 1, 3000 ms).
  const Message& last = f.messages.back();
  CHECK(last.type == kMsgUserControl);
  CHECK(last.payload == Bytes({0, 3, 0, 0, 0, 1, 0, 0, 0x0b, 0xb8}));
  CheckFixtureSplits(data, data.size(), 1);
}

TEST_CASE("fixture: librtmp (rtmpdump) playing (c2s), and its server's answers") {
  const std::string data = FixtureChunks("rtmpdump-play.c2s.bin");
  const Fed f = FeedWhole(data);
  REQUIRE(f.status.ok());
  auto cmds = Commands(f.messages);
  std::vector<std::string> names;
  for (const auto& c : cmds) names.push_back(c.name);
  CHECK(names == std::vector<std::string>{"connect", "createStream", "FCSubscribe", "play", "deleteStream"});
  REQUIRE(cmds.size() == 5);
  CHECK(cmds[0].args.at(0).GetString("flashVer") == "LNX 10,0,32,18");
  CHECK(cmds[3].args.at(1).string == "room");
  CheckFixtureSplits(data, data.size(), 1);

  const std::string s2c = FixtureChunks("rtmpdump-play.s2c.bin");
  const Fed g = FeedWhole(s2c);
  REQUIRE(g.status.ok());
  auto answers = Commands(g.messages);
  REQUIRE(answers.size() >= 3);
  CHECK(answers.back().args.at(1).GetString("code") == "NetStream.Play.Stop");
  CheckFixtureSplits(s2c, s2c.size(), 1);
}

// ---- Hostile input. ----

TEST_CASE("random bytes and mutated real sessions: an error or need-more, never a crash") {
  std::mt19937 rng(7);
  for (int round = 0; round < 300; ++round) {
    std::string junk(rng() % 600, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    ChunkReaderLimits limits;
    limits.max_message_size = 1 << 16;
    const Fed whole = FeedWhole(junk, limits);
    // Whatever the outcome, it does not depend on how the bytes arrive.
    const size_t at = junk.empty() ? 0 : rng() % junk.size();
    const Fed split = FeedSplit(junk, at, limits);
    if (!SameResult(whole, split)) FAIL("round " << round << " split at " << at);
  }
  const std::string real = FixtureChunks("ffmpeg-publish.c2s.bin").substr(0, 20000);
  for (int round = 0; round < 100; ++round) {
    std::string m = real;
    for (int k = 0; k < 8; ++k) m[rng() % m.size()] = static_cast<char>(rng());
    const Fed f = FeedWhole(m);
    for (const auto& msg : f.messages) CHECK(msg.payload.size() <= kDefaultMaxMessageSize);
  }
}

}  // namespace
}  // namespace cdn::rtmp
