// Writes the seed corpora of the libFuzzer targets (tests/fuzz/corpus/<target>/), made with the
// project's own encoders (ChunkWriter, EncodeAmf0All, AppendFlvTag, Sign, DomainsToJson,
// WriteMediaPlaylist, the tests' DNS query builder and media vectors) plus slices of the real
// RTMP sessions in shared/fixtures/rtmp. Deterministic: running it again rewrites the same
// bytes. Recipe in tests/fuzz/README.md:
//   build-fuzz/bin/fuzz_make_corpus [corpus-dir=tests/fuzz/corpus] [fixtures-dir]
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "lib/auth/domain_json.h"
#include "lib/auth/url_signer.h"
#include "lib/base/bytes.h"
#include "lib/base/json.h"
#include "lib/media/flv.h"
#include "lib/media/m3u8.h"
#include "lib/rtmp/amf0.h"
#include "lib/rtmp/chunk_writer.h"
#include "lib/rtmp/handshake.h"
#include "tests/lib/dns/test_message.h"
#include "tests/lib/media/media_test_data.h"

namespace {

namespace fs = std::filesystem;
using cdn::rtmp::Amf0Properties;
using cdn::rtmp::Amf0Value;
using cdn::rtmp::ChunkWriter;

constexpr size_t kHandshake = 1 + 2 * cdn::rtmp::kHandshakeSize;  // C0 C1 C2 / S0 S1 S2
constexpr size_t kSliceMax = 16 << 10;                           // bytes of a fixture per seed

fs::path g_out;
std::string g_fixtures;
int g_files = 0;
size_t g_bytes = 0;

// Clears a target's generated seeds; inputs a fuzz run found and kept ("regress-*") stay.
void Target(const std::string& name) {
  fs::create_directories(g_out / name);
  for (const auto& e : fs::directory_iterator(g_out / name)) {
    if (e.path().filename().string().rfind("regress-", 0) != 0) fs::remove_all(e.path());
  }
}

void Seed(const std::string& target, const std::string& name, const std::string& bytes) {
  std::ofstream f(g_out / target / name, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!f) {
    std::fprintf(stderr, "cannot write %s/%s\n", target.c_str(), name.c_str());
    std::exit(1);
  }
  ++g_files;
  g_bytes += bytes.size();
}

std::string Fixture(const std::string& name) {
  std::ifstream f(g_fixtures + "/" + name, std::ios::binary);
  if (!f) {
    std::fprintf(stderr, "missing fixture %s/%s\n", g_fixtures.c_str(), name.c_str());
    std::exit(1);
  }
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// The chunk stream of a captured direction, without its handshake, at most kSliceMax bytes.
std::string FixtureChunks(const std::string& name) { return Fixture(name).substr(kHandshake, kSliceMax); }

std::string Byte(uint8_t b) { return std::string(1, static_cast<char>(b)); }

Amf0Value Obj(std::initializer_list<std::pair<const char*, Amf0Value>> props) {
  Amf0Properties p;
  for (const auto& [k, v] : props) p.emplace_back(k, v);
  return Amf0Value::Object(std::move(p));
}
Amf0Value Str(const char* s) { return Amf0Value::String(s); }
Amf0Value Num(double d) { return Amf0Value::Number(d); }

Amf0Value StatusInfo(const char* level, const char* code) {
  return Obj({{"level", Str(level)}, {"code", Str(code)}, {"description", Str("fuzz seed")}});
}

std::string Command(std::vector<Amf0Value> v, ChunkWriter* w, uint32_t stream_id = 0) {
  std::string out;
  w->Write(cdn::rtmp::kCsidCommand, cdn::rtmp::kMsgAmf0Command, 0, stream_id, cdn::rtmp::EncodeAmf0All(v), &out);
  return out;
}

std::string MetaData() {
  Amf0Properties p;
  p.emplace_back("duration", Num(0));
  p.emplace_back("width", Num(640));
  p.emplace_back("height", Num(360));
  p.emplace_back("videocodecid", Num(7));
  p.emplace_back("audiocodecid", Num(10));
  p.emplace_back("encoder", Str("Lavf59.27.100"));
  return cdn::rtmp::EncodeAmf0All({Str("@setDataFrame"), Str("onMetaData"), Amf0Value::EcmaArray(std::move(p))});
}

const std::string& AvcSequenceHeader() { return cdn::media::testing::kAvcTag640; }
const std::string kAacSequenceHeader = std::string("\xaf\x00\x12\x10", 4);
const std::string kAacFrame = std::string("\xaf\x01\xde\x02\x00\x4c\x61\x76\x63", 9);
const std::string kAvcFrame = std::string("\x27\x01\x00\x00\x00\x00\x00\x00\x05\x41\x9a\x02\x03\x04", 14);

// An RTMP aggregate message body (FLV tags back to back, each with its PreviousTagSize).
std::string Aggregate() {
  std::string out;
  cdn::media::AppendFlvTag(cdn::media::TagType::kAudio, 1000, kAacFrame, &out);
  cdn::media::AppendFlvTag(cdn::media::TagType::kVideo, 1040, kAvcFrame, &out);
  return out;
}

// ---- Targets. ----

void DnsQuery() {
  using cdn::dns::testing::MakeQuery;
  using cdn::dns::testing::QueryOptions;
  Target("dns_query");
  const std::vector<std::pair<std::string, std::string>> queries = {
      {"a", MakeQuery("pull.example.com.livecdn.test", 1)},
      {"a-edns", MakeQuery("pull.example.com", 1, QueryOptions().Edns())},
      {"aaaa-ecs", MakeQuery("pull.example.com.livecdn.test", 28, QueryOptions().Ecs("127.0.2.0", 24))},
      {"any", MakeQuery("livecdn.test", 255)},
      {"cname-loop", MakeQuery("l1.example.com", 1)},
      {"ns-edns", MakeQuery("livecdn.test", 2, QueryOptions().Edns(4096))},
      {"mx-nxdomain", MakeQuery("nope.livecdn.test", 15)},
      {"ecs-v6", MakeQuery("pull.example.com.livecdn.test", 1, QueryOptions().Ecs("2001:db8::", 56))},
  };
  // Byte 0 of the target's input picks transport and source address (dns_query_fuzz.cc).
  for (const auto& [name, q] : queries) {
    for (uint8_t sel : {0, 1, 6}) Seed("dns_query", name + "-" + std::to_string(sel), Byte(sel) + q);
  }
}

void RtmpHandshake() {
  Target("rtmp_handshake");
  const std::string t = "rtmp_handshake";
  // Byte 0: bit 0 = client side; the rest cuts the input (fuzz_util.h Pieces).
  Seed(t, "server-ffmpeg-digest", Byte(0x00) + Fixture("ffmpeg-publish.c2s.bin").substr(0, kHandshake));
  Seed(t, "server-rtmpdump", Byte(0x40) + Fixture("rtmpdump-play.c2s.bin").substr(0, kHandshake));
  Seed(t, "client-nginx-digest", Byte(0x01) + Fixture("ffmpeg-publish.s2c.bin").substr(0, kHandshake));
  std::string simple(kHandshake, '\0');
  simple[0] = cdn::rtmp::kRtmpVersion;
  Seed(t, "server-simple", Byte(0xfe) + simple);
  Seed(t, "client-simple", Byte(0x81) + simple);
  Seed(t, "bad-version", Byte(0x00) + "\x06");
}

void RtmpChunk() {
  Target("rtmp_chunk");
  const std::string t = "rtmp_chunk";
  // Byte 0 cuts the input, byte 1 picks limits and the round-trip chunk size (rtmp_chunk_fuzz.cc).
  Seed(t, "ffmpeg-publish", Byte(0x00) + Byte(0x00) + FixtureChunks("ffmpeg-publish.c2s.bin").substr(0, 4096));
  Seed(t, "nginx-answers", Byte(0x10) + Byte(0x04) + FixtureChunks("ffmpeg-publish.s2c.bin"));
  Seed(t, "nginx-play-media", Byte(0x90) + Byte(0x08) + FixtureChunks("ffmpeg-play.s2c.bin").substr(0, 4096));
  Seed(t, "rtmpdump-play", Byte(0x03) + Byte(0x0c) + FixtureChunks("rtmpdump-play.c2s.bin"));

  // Encoder-made: chunk size changes, extended timestamps, 2- and 3-byte chunk stream ids.
  std::string s;
  ChunkWriter w;
  (void)w.SetChunkSize(64, &s);
  w.Write(3, cdn::rtmp::kMsgAmf0Command, 0, 0, cdn::rtmp::EncodeAmf0All({Str("connect"), Num(1), Obj({{"app", Str("live")}})}), &s);
  w.Write(6, cdn::rtmp::kMsgVideo, 0x1000000, 1, AvcSequenceHeader(), &s);  // extended timestamp on every chunk
  w.Write(70, cdn::rtmp::kMsgAudio, 0xFFFFFF, 1, kAacSequenceHeader, &s);   // 2-byte csid
  w.Write(400, cdn::rtmp::kMsgAudio, 23, 1, kAacFrame, &s);                // 3-byte csid
  Seed(t, "writer-mixed", Byte(0x05) + Byte(0x00) + s);

  // Hand-made headers of formats 1, 2 and 3 (RTMP 1.0 5.3.1.2), and an Abort mid-message.
  std::string h;
  auto hdr = [&h](int fmt, uint8_t csid, uint32_t ts, uint32_t len, uint8_t type) {
    cdn::base::PutU8(&h, static_cast<uint8_t>(fmt << 6 | csid));
    if (fmt <= 2) cdn::base::PutU24(&h, ts);
    if (fmt <= 1) {
      cdn::base::PutU24(&h, len);
      cdn::base::PutU8(&h, type);
    }
    if (fmt == 0) cdn::base::PutU32LE(&h, 1);
  };
  hdr(0, 4, 100, 4, 8);
  h += "\xaf\x01\x21\x10";
  hdr(1, 4, 23, 3, 8);
  h += "\xaf\x01\x22";
  hdr(2, 4, 23, 0, 0);
  h += "\xaf\x01\x23";
  hdr(3, 4, 0, 0, 0);
  h += "\xaf\x01\x24";
  hdr(0, 6, 0, 200, 9);  // 200 bytes at chunk size 128: the first chunk only...
  h += std::string(128, '\x17');
  hdr(0, 2, 0, 4, cdn::rtmp::kMsgAbort);  // ...then Abort on csid 6
  cdn::base::PutU32(&h, 6);
  Seed(t, "formats-abort", Byte(0x00) + Byte(0x00) + h);
}

void Amf0() {
  Target("amf0");
  const std::string t = "amf0";
  Seed(t, "connect", cdn::rtmp::EncodeAmf0All({Str("connect"), Num(1),
                                               Obj({{"app", Str("live")},
                                                    {"type", Str("nonprivate")},
                                                    {"flashVer", Str("FMLE/3.0 (compatible; FMSc/1.0)")},
                                                    {"tcUrl", Str("rtmp://127.0.0.1:1935/live?vhost=push.example.com")},
                                                    {"fpad", Amf0Value::Boolean(false)},
                                                    {"objectEncoding", Num(0)}})}));
  Seed(t, "on-status", cdn::rtmp::EncodeAmf0All({Str("onStatus"), Num(0), Amf0Value::Null(),
                                                 StatusInfo("status", "NetStream.Publish.Start")}));
  Seed(t, "set-data-frame", MetaData());
  Seed(t, "containers",
       cdn::rtmp::EncodeAmf0All({Amf0Value::StrictArray({Num(1), Str("two"), Amf0Value::Undefined(),
                                                         Amf0Value::StrictArray({Amf0Value::Boolean(true)})}),
                                 Amf0Value::Date(1.7e12, 0),
                                 Obj({{"nested", Obj({{"deeper", Obj({{"n", Num(-0.0)}})}})}})}));
  // An ECMA array ended by the buffer instead of the end marker (encoders do that).
  std::string ecma = "\x08" + std::string("\x00\x00\x00\x01\x00\x01k\x05", 8);
  Seed(t, "ecma-unterminated", ecma);
  // A long string (0x0C, u32 length) that is short: the encoder only writes that form past 64 KiB.
  Seed(t, "long-string", std::string("\x0c\x00\x00\x00\x03" "abc", 8));
}

void RtmpSession() {
  Target("rtmp_session");
  const std::string t = "rtmp_session";
  // Byte 0: bit 0 client, bit 1 reject, bit 2 client publishes, bit 3 client stops; byte 1 cuts.
  Seed(t, "server-ffmpeg-publish", Byte(0x00) + Byte(0x7f) + FixtureChunks("ffmpeg-publish.c2s.bin"));
  Seed(t, "server-ffmpeg-play", Byte(0x00) + Byte(0x90) + FixtureChunks("ffmpeg-play.c2s.bin"));
  Seed(t, "server-rtmpdump-play", Byte(0x02) + Byte(0x00) + FixtureChunks("rtmpdump-play.c2s.bin"));
  Seed(t, "client-publish-nginx", Byte(0x05) + Byte(0x20) + FixtureChunks("ffmpeg-publish.s2c.bin"));
  Seed(t, "client-play-nginx", Byte(0x01) + Byte(0xa0) + FixtureChunks("ffmpeg-play.s2c.bin"));

  // Encoder-made publisher: every command the server handles, media, an aggregate, a ping.
  {
    ChunkWriter w;
    std::string s;
    (void)w.SetChunkSize(4096, &s);
    ChunkWriter::WindowAckSize(64, &s);  // a small window: the server acks often
    s += Command({Str("connect"), Num(1), Obj({{"app", Str("live?vhost=push.example.com")}, {"tcUrl", Str("rtmp://127.0.0.1/live")}})}, &w);
    s += Command({Str("releaseStream"), Num(2), Amf0Value::Null(), Str("room")}, &w);
    s += Command({Str("FCPublish"), Num(3), Amf0Value::Null(), Str("room")}, &w);
    s += Command({Str("createStream"), Num(4), Amf0Value::Null()}, &w);
    s += Command({Str("publish"), Num(5), Amf0Value::Null(), Str("room?auth_key=1-0-0-0123456789abcdef0123456789abcdef"), Str("live")}, &w, 1);
    w.Write(cdn::rtmp::kCsidData, cdn::rtmp::kMsgAmf0Data, 0, 1, MetaData(), &s);
    w.Write(cdn::rtmp::kCsidVideo, cdn::rtmp::kMsgVideo, 0, 1, AvcSequenceHeader(), &s);
    w.Write(cdn::rtmp::kCsidAudio, cdn::rtmp::kMsgAudio, 0, 1, kAacSequenceHeader, &s);
    w.Write(cdn::rtmp::kCsidVideo, cdn::rtmp::kMsgAggregate, 1000, 1, Aggregate(), &s);
    ChunkWriter::UserControl(cdn::rtmp::kUcPingRequest, 77, &s);
    s += Command({Str("FCUnpublish"), Num(6), Amf0Value::Null(), Str("room")}, &w);
    s += Command({Str("deleteStream"), Num(7), Amf0Value::Null(), Num(1)}, &w);
    Seed(t, "server-publisher-made", Byte(0x00) + Byte(0x00) + s);
  }
  // Encoder-made server answers to a publishing client (connect 1, releaseStream 2, FCPublish 3,
  // createStream 4) and to a playing one (connect 1, createStream 2).
  for (bool publish : {true, false}) {
    ChunkWriter w;
    std::string s;
    ChunkWriter::WindowAckSize(2500000, &s);
    ChunkWriter::SetPeerBandwidth(2500000, 2, &s);
    (void)w.SetChunkSize(4096, &s);
    s += Command({Str("_result"), Num(1), Obj({{"fmsVer", Str("FMS/3,0,1,123")}}), StatusInfo("status", "NetConnection.Connect.Success")}, &w);
    s += Command({Str("_result"), Num(publish ? 4 : 2), Amf0Value::Null(), Num(1)}, &w);
    s += Command({Str("onStatus"), Num(0), Amf0Value::Null(),
                  StatusInfo("status", publish ? "NetStream.Publish.Start" : "NetStream.Play.Start")},
                 &w, 1);
    if (!publish) {
      w.Write(cdn::rtmp::kCsidData, cdn::rtmp::kMsgAmf0Data, 0, 1,
              cdn::rtmp::EncodeAmf0All({Str("|RtmpSampleAccess"), Amf0Value::Boolean(true), Amf0Value::Boolean(true)}), &s);
      w.Write(cdn::rtmp::kCsidVideo, cdn::rtmp::kMsgVideo, 0, 1, AvcSequenceHeader(), &s);
      w.Write(cdn::rtmp::kCsidVideo, cdn::rtmp::kMsgAggregate, 40, 1, Aggregate(), &s);
    }
    ChunkWriter::UserControl(cdn::rtmp::kUcStreamEof, 1, &s);
    Seed(t, publish ? "client-publish-made" : "client-play-made", Byte(publish ? 0x05 : 0x01) + Byte(0x00) + s);
  }
}

void Flv() {
  Target("flv");
  const std::string t = "flv";
  // Byte 0 cuts the stream; byte 1 bit 0 picks a small tag cap (flv_fuzz.cc).
  Seed(t, "ffmpeg-prefix", Byte(0x00) + Byte(0x00) + cdn::media::testing::kFlvPrefix640);
  std::string s = cdn::media::FlvFileHeader(true, true);
  cdn::media::AppendFlvTag(cdn::media::TagType::kScript, 0, MetaData().substr(16), &s);  // onMetaData, no @setDataFrame
  cdn::media::AppendFlvTag(cdn::media::TagType::kVideo, 0, AvcSequenceHeader(), &s);
  cdn::media::AppendFlvTag(cdn::media::TagType::kAudio, 0, kAacSequenceHeader, &s);
  cdn::media::AppendFlvTag(cdn::media::TagType::kVideo, 40, kAvcFrame, &s);
  cdn::media::AppendFlvTag(cdn::media::TagType::kAudio, 0x1000023, kAacFrame, &s);  // TimestampExtended
  // Enhanced RTMP: hvc1 SequenceStart, CodedFrames with a composition time, av01 CodedFramesX,
  // Opus audio SequenceStart, and a legacy video command frame.
  cdn::media::AppendFlvTag(cdn::media::TagType::kVideo, 80, std::string("\x90hvc1\x01\x02\x03", 8), &s);
  cdn::media::AppendFlvTag(cdn::media::TagType::kVideo, 80, std::string("\x91hvc1\x00\x00\x28\x26\x01", 10), &s);
  cdn::media::AppendFlvTag(cdn::media::TagType::kVideo, 120, std::string("\xa3" "av01\x12\x00", 7), &s);
  cdn::media::AppendFlvTag(cdn::media::TagType::kAudio, 0, std::string("\x90Opus\x4f\x70", 7), &s);
  cdn::media::AppendFlvTag(cdn::media::TagType::kVideo, 160, std::string("\x57\x00", 2), &s);
  Seed(t, "writer-tags", Byte(0x81) + Byte(0x00) + s);
  Seed(t, "header-only", Byte(0x00) + Byte(0x01) + cdn::media::FlvFileHeader(false, true));
}

void AvcAac() {
  using cdn::media::testing::FromHex;
  Target("avc_aac");
  const std::string t = "avc_aac";
  // Byte 0: NAL length size (bits 0-1: 1, 2, 4, or the invalid 3) and key frame (bit 2).
  namespace td = cdn::media::testing;
  const std::pair<const char*, const std::string*> tags[] = {
      {"avcc-640", &td::kAvcTag640},       {"avcc-720", &td::kAvcTag720},       {"avcc-baseline", &td::kAvcTagBaseline},
      {"avcc-interlaced", &td::kAvcTagInterlaced}, {"avcc-high444", &td::kAvcTagHigh444}, {"avcc-odd", &td::kAvcTagOdd}};
  for (const auto& [name, tag] : tags) Seed(t, name, Byte(0x02) + tag->substr(5));  // the record after the FLV video header
  const std::pair<const char*, const std::string*> spss[] = {
      {"sps-crop720", &td::kSpsCrop720},   {"sps-interlaced", &td::kSpsCropInterlaced}, {"sps-422", &td::kSps422},
      {"sps-scaling", &td::kSpsScaling444}, {"sps-poc1", &td::kSpsPocType1},           {"sps-mono", &td::kSpsMonochrome}};
  for (const auto& [name, sps] : spss) Seed(t, name, Byte(0x02) + *sps);
  Seed(t, "asc-lc", Byte(0x00) + FromHex("1210"));
  Seed(t, "asc-lc-sbr-sync", Byte(0x00) + FromHex("121056e500"));
  Seed(t, "asc-he-v2", Byte(0x00) + FromHex("eb098800"));
  Seed(t, "asc-explicit-rate", Byte(0x00) + FromHex("178000bb8010"));
  Seed(t, "asc-pce", Byte(0x00) + FromHex("1200050008a8"));
  // AVCC frames: SPS + PPS + IDR with 4-byte lengths; a 2-byte-length frame; a 1-byte one.
  std::string frame;
  cdn::base::PutU32(&frame, static_cast<uint32_t>(td::kSpsCrop720.size()));
  frame += td::kSpsCrop720;
  cdn::base::PutU32(&frame, 4);
  frame += FromHex("68ef8fcb");
  cdn::base::PutU32(&frame, 6);
  frame += FromHex("658884002bff");
  Seed(t, "frame-idr-len4", Byte(0x06) + frame);
  Seed(t, "frame-len2", Byte(0x01) + FromHex("0005419a0203040002090f"));
  Seed(t, "frame-len1", Byte(0x00) + FromHex("05419a02030401" "06"));
}

void Http() {
  Target("http");
  const std::string t = "http";
  // The last 8 bytes are ParseRange's object size (FuzzedDataProvider takes integers from the end).
  const std::string size = std::string("\x00\x00\x00\x00\x00\x01\x00\x00", 8);
  const char* texts[] = {
      "a=1&b=%20x+y&&c&auth_key=1700000000-0-0-0123456789abcdef0123456789abcdef",
      "rtmp://127.0.0.1:1935/live?vhost=push.example.com&auth_key=x",
      "http://user@[2001:db8::1]:8080/live/room.m3u8?vhost=pull.example.com",
      "bytes=0-99",
      "Bytes = -500",
      "bytes=100-",
      "room?vhost=PUSH.example.com&domain=x",
      "%zz%4%41%e4%b8%ad",
      // HTTP-FLV / HLS request paths (FlvServer::SplitStreamPath, DomainPolicy::AdmitPlay).
      "/live/room.flv",
      "/live/sub/room%20a.flv",
      "/live/..%2f..%2fetc%2fpasswd.flv",
      "/live/room%0aforged.m3u8",
      "/%2e%2e/room.flv",
  };
  int i = 0;
  for (const char* s : texts) Seed(t, "text-" + std::to_string(i++), std::string(s) + size);
}

// FuzzedDataProvider field encodings, for the targets that read their input with it.
std::string FdpString(const std::string& s) {  // ConsumeRandomLengthString: '\' doubled, "\ " ends it
  std::string out;
  for (char c : s) out += c == '\\' ? std::string("\\\\") : std::string(1, c);
  return out + "\\ ";
}
std::string FdpU32Tail(uint32_t v) {  // ConsumeIntegralInRange over a 32-bit range: 4 bytes from the end, MSB last
  std::string out;
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
  return out;
}

void UrlSigner() {
  Target("url_signer");
  const std::string t = "url_signer";
  // Layout (url_signer_fuzz.cc): strings key, rand, uid, path from the front, then the query;
  // from the end: type (1 byte), then the time (4 bytes).
  const uint32_t time = 1700000000;
  for (auto type : {cdn::auth::SignType::kA, cdn::auth::SignType::kB, cdn::auth::SignType::kC}) {
    const auto s = cdn::auth::Sign(type, "secret", "/live/room.m3u8", time, "r", "7");
    const std::string name(cdn::auth::SignTypeName(type));
    const std::string tail = FdpU32Tail(time) + Byte(static_cast<uint8_t>(type));
    Seed(t, "signed-" + name, FdpString("secret") + FdpString("r") + FdpString("7") + FdpString(s.path) + s.query + tail);
    // The same URL with a playlist in the query field, for CarryTokenInPlaylist.
    Seed(t, "carry-" + name,
         FdpString("secret") + FdpString("") + FdpString("") + FdpString(s.path) + s.query +
             "\n#EXTM3U\n#EXT-X-MAP:URI=\"init.mp4\"\n/live/room/1.ts?x=1\nroom/2.ts\nhttp://cdn/3.ts\n" + tail);
  }
}

void Json() {
  Target("json");
  const std::string t = "json";
  std::vector<cdn::auth::Domain> domains(2);
  domains[0].name = "push.example.com";
  domains[0].auth.type = "B";
  domains[0].auth.key = "k\"1\\";
  domains[0].auth.key2 = "k2";
  domains[0].auth.required = true;
  domains[0].transcode = {"720p", "480p"};
  domains[0].record = true;
  domains[1].name = "pull.example.com";
  domains[1].type = cdn::auth::Domain::Type::kPull;
  domains[1].source = "push.example.com";
  Seed(t, "table", cdn::auth::DomainsToJson(domains, 42, true));
  Seed(t, "domain", cdn::auth::DomainToJson(domains[0], true));
  Seed(t, "healthz", R"({"status": "ok", "load": 0.25, "streams": 3, "viewers": [1, 2e3, -4.5E-1], "draining": false, "x": null})");
  Seed(t, "escapes", "[" + cdn::base::JsonQuote(std::string("tab\tnl\nctl\x01 \xe4\xb8\xad", 16)) + R"(, "\u00e9\ud83d\ude00\/"])");
}

void Config() {
  Target("config");
  const std::string t = "config";
  for (const char* name : {"cache-edge.yaml", "central.yaml", "dns-scheduler.yaml"}) {
    std::ifstream f(std::string(LIVECDN_SOURCE_DIR) + "/configs/" + name, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (!text.empty() && text.size() <= 4096) Seed(t, name, text);
  }
  Seed(t, "values",
       "timeout: 1500ms\nsize: 256MiB\nlisten: '[::1]:1935'\norigins: [a:1, b:2]\nbw: 10Gbps\n"
       "domains:\n  - {name: push.example.com, type: push, auth: {type: A, key: s}}\n"
       "  - {name: pull.example.com, type: pull, source: push.example.com}\n");
  Seed(t, "anchors", "a: &x {k: [1, 2]}\nb: *x\nc: [*x, *x]\n");
  // Anchors used twice per level: 2^25 nodes if expanded (refused: lib/config/node.cc kMaxNodes).
  std::string doubling = "a0: &a0 [x, x]\n";
  for (int i = 1; i < 25; ++i) {
    const std::string a = "a" + std::to_string(i), prev = "*a" + std::to_string(i - 1);
    doubling += a + ": &" + a + " [" + prev + ", " + prev + "]\n";
  }
  Seed(t, "anchors-doubling", doubling);
}

void Hls() {
  Target("hls");
  const std::string t = "hls";
  cdn::media::MediaPlaylist p;
  for (uint64_t i = 7; i < 10; ++i) {
    cdn::media::HlsSegment seg;
    seg.sequence = i;
    seg.duration_ms = 2002;
    seg.uri = "room/s-" + std::to_string(i) + ".ts";
    seg.discontinuity = i == 8;
    seg.program_date_ms = 1700000000000 + static_cast<int64_t>(i) * 2002;
    p.segments.push_back(seg);
  }
  const std::string playlist = cdn::media::WriteMediaPlaylist(p);
  // Layout (hls_fuzz.cc): the viewer query / request path, then the playlist.
  Seed(t, "media-playlist", FdpString("vhost=pull.example.com&auth_key=1-0-0-0123456789abcdef0123456789abcdef") + playlist);
  Seed(t, "segment-path", FdpString("/live/room%20x/s-8.ts") + "#EXTM3U\r\n#EXT-X-MAP:URI=\"init.mp4?a=1\"\r\n/abs/1.ts?old=1\r\n");
  cdn::media::HlsVariant v;
  v.bandwidth = 800000;
  v.uri = "room_720p.m3u8";
  Seed(t, "master-playlist", FdpString("/live/room.m3u8") + cdn::media::WriteMasterPlaylist({v, v}));
}

}  // namespace

int main(int argc, char** argv) {
  g_out = argc > 1 ? argv[1] : std::string(LIVECDN_SOURCE_DIR) + "/tests/fuzz/corpus";
  g_fixtures = argc > 2 ? argv[2] : std::string(LIVECDN_SOURCE_DIR) + "/../shared/fixtures/rtmp";
  DnsQuery();
  RtmpHandshake();
  RtmpChunk();
  Amf0();
  RtmpSession();
  Flv();
  AvcAac();
  Http();
  UrlSigner();
  Json();
  Config();
  Hls();
  std::printf("%d seeds, %zu bytes in %s\n", g_files, g_bytes, g_out.c_str());
  return 0;
}
