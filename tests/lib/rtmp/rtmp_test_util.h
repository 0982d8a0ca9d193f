// Helpers shared by the RTMP chunk and session tests: the captured sessions in
// shared/fixtures/rtmp, hand-built chunk headers (RTMP 1.0 section 5.3.1) for the formats our
// writer never emits, and feeding a ChunkReader whole, split at an offset, or byte by byte.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "lib/base/bytes.h"
#include "lib/base/status.h"
#include "lib/rtmp/amf0.h"
#include "lib/rtmp/chunk_reader.h"
#include "lib/rtmp/message.h"

namespace cdn::rtmp::testing {

// C0+C1+C2 (or S0+S1+S2): RTMP 1.0 section 5.2.
constexpr size_t kHandshakeBytes = 1 + 2 * 1536;

inline std::string ReadFixture(const char* name) {
  std::string path = std::string(LIVECDN_SOURCE_DIR "/../shared/fixtures/rtmp/") + name;
  std::ifstream f(path, std::ios::binary);
  REQUIRE_MESSAGE(f.good(), "missing fixture " << path);
  std::string d((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  REQUIRE(d.size() > kHandshakeBytes);
  return d;
}

// The chunk stream of a fixture: everything after the 3073 handshake bytes.
inline std::string FixtureChunks(const char* name) { return ReadFixture(name).substr(kHandshakeBytes); }

inline std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(static_cast<char>(c));
  return s;
}

inline std::string U32(uint32_t v) {
  std::string s;
  base::PutU32(&s, v);
  return s;
}

// Basic header (5.3.1.1): 1, 2 or 3 bytes by csid.
inline std::string BasicHeader(int fmt, uint32_t csid) {
  std::string s;
  if (csid >= 2 && csid < 64) {
    base::PutU8(&s, static_cast<uint8_t>(fmt << 6 | csid));
  } else if (csid >= 64 && csid < 320) {
    base::PutU8(&s, static_cast<uint8_t>(fmt << 6));
    base::PutU8(&s, static_cast<uint8_t>(csid - 64));
  } else {
    base::PutU8(&s, static_cast<uint8_t>(fmt << 6 | 1));
    base::PutU8(&s, static_cast<uint8_t>((csid - 64) & 0xff));
    base::PutU8(&s, static_cast<uint8_t>((csid - 64) >> 8));
  }
  return s;
}

// Basic + message header (5.3.1.2) of format `fmt`. `ts` is the timestamp (fmt 0) or delta
// (fmt 1, 2); values >= 0xFFFFFF go in the extended timestamp field (5.3.1.3). Fmt 3 carries
// no fields here: append U32(ext) by hand where a continuation repeats the extended timestamp.
inline std::string Header(int fmt, uint32_t csid, uint32_t ts = 0, uint32_t length = 0, uint8_t type = 0,
                          uint32_t stream_id = 0) {
  std::string s = BasicHeader(fmt, csid);
  const bool ext = ts >= 0xFFFFFF;
  if (fmt <= 2) base::PutU24(&s, ext ? 0xFFFFFF : ts);
  if (fmt <= 1) {
    base::PutU24(&s, length);
    base::PutU8(&s, type);
  }
  if (fmt == 0) base::PutU32LE(&s, stream_id);
  if (fmt <= 2 && ext) base::PutU32(&s, ts);
  return s;
}

// One protocol control message (5.4) with a u32 payload, whole, on csid 2.
inline std::string ControlU32(uint8_t type, uint32_t value) {
  return Header(0, kCsidControl, 0, 4, type, 0) + U32(value);
}

struct Fed {
  base::Status status;
  std::vector<Message> messages;
};

inline Fed FeedWhole(std::string_view data, ChunkReaderLimits limits = {}) {
  Fed f;
  ChunkReader r(limits);
  f.status = r.Consume(data, &f.messages);
  return f;
}

// Feeds `pieces` in order, stopping at the first error.
inline Fed FeedPieces(const std::vector<std::string_view>& pieces, ChunkReaderLimits limits = {}) {
  Fed f;
  ChunkReader r(limits);
  for (std::string_view p : pieces) {
    f.status = r.Consume(p, &f.messages);
    if (!f.status.ok()) break;
  }
  return f;
}

inline Fed FeedSplit(std::string_view data, size_t at, ChunkReaderLimits limits = {}) {
  return FeedPieces({data.substr(0, at), data.substr(at)}, limits);
}

inline Fed FeedBytewise(std::string_view data, ChunkReaderLimits limits = {}) {
  Fed f;
  ChunkReader r(limits);
  for (size_t i = 0; i < data.size(); ++i) {
    f.status = r.Consume(data.substr(i, 1), &f.messages);
    if (!f.status.ok()) break;
  }
  return f;
}

inline bool SameMessage(const Message& a, const Message& b) {
  return a.type == b.type && a.timestamp == b.timestamp && a.stream_id == b.stream_id && a.csid == b.csid &&
         a.payload == b.payload;
}

inline bool SameMessages(const std::vector<Message>& a, const std::vector<Message>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!SameMessage(a[i], b[i])) return false;
  }
  return true;
}

inline bool SameResult(const Fed& a, const Fed& b) {
  return a.status.code() == b.status.code() && SameMessages(a.messages, b.messages);
}

inline std::string Describe(const Message& m) {
  std::ostringstream o;
  o << "{type " << int(m.type) << ", ts " << m.timestamp << ", sid " << m.stream_id << ", csid " << m.csid
    << ", " << m.payload.size() << " bytes}";
  return o.str();
}

// The AMF0 values of a command or data message (type 20 / 18), REQUIREd to decode.
inline std::vector<Amf0Value> Amf0Of(const Message& m) {
  std::vector<Amf0Value> v;
  base::Status st = DecodeAmf0All(m.payload, &v);
  REQUIRE_MESSAGE(st.ok(), Describe(m) << ": " << st.ToString());
  return v;
}

// The command name of an AMF0 command or data message, or "" for anything else.
inline std::string CommandName(const Message& m) {
  if (m.type != kMsgAmf0Command && m.type != kMsgAmf0Data) return "";
  std::vector<Amf0Value> v;
  if (!DecodeAmf0All(m.payload, &v).ok() || v.empty() || !v[0].IsString()) return "";
  return v[0].string;
}

}  // namespace cdn::rtmp::testing
