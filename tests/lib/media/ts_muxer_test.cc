// MPEG-TS muxer: packet structure (188 bytes, sync byte, continuity counters per PID across
// segments, stuffing), PAT/PMT bytes and CRC (ffmpeg's PAT as the reference), PES headers with
// PTS/DTS and PCR, and the AVCC -> Annex B conversion. A small demuxer below reads the output
// back; that ffprobe/ffmpeg decode real segments is the integration test's job.
#include "lib/media/ts_muxer.h"

#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "lib/base/bytes.h"
#include "tests/lib/media/media_test_data.h"

namespace cdn::media {
namespace {

using testing::FromHex;

uint8_t U8(const std::string& s, size_t i) { return static_cast<uint8_t>(s[i]); }

struct TsPacket {
  uint16_t pid;
  bool pusi;
  uint8_t cc;
  bool has_af;
  std::string af;       // adaptation field bytes after the length byte
  std::string payload;  // after the adaptation field
};

std::vector<TsPacket> Split(const std::string& ts) {
  REQUIRE(ts.size() % kTsPacketSize == 0);
  std::vector<TsPacket> out;
  for (size_t off = 0; off < ts.size(); off += kTsPacketSize) {
    const std::string p = ts.substr(off, kTsPacketSize);
    REQUIRE(U8(p, 0) == kTsSyncByte);
    TsPacket t;
    t.pid = static_cast<uint16_t>(((U8(p, 1) & 0x1f) << 8) | U8(p, 2));
    t.pusi = U8(p, 1) & 0x40;
    REQUIRE((U8(p, 1) & 0x80) == 0);  // transport_error_indicator
    REQUIRE((U8(p, 3) & 0xc0) == 0);  // not scrambled
    const uint8_t afc = (U8(p, 3) >> 4) & 3;
    REQUIRE((afc & 1) == 1);  // every packet this muxer writes carries payload
    t.cc = U8(p, 3) & 0x0f;
    size_t pos = 4;
    t.has_af = afc & 2;
    if (t.has_af) {
      const size_t len = U8(p, 4);
      REQUIRE(len <= 183);
      t.af = p.substr(5, len);
      pos = 5 + len;
    }
    t.payload = p.substr(pos);
    out.push_back(t);
  }
  return out;
}

uint64_t ReadTs(const std::string& b, size_t off) {
  CHECK((U8(b, off) & 1) == 1);
  CHECK((U8(b, off + 2) & 1) == 1);
  CHECK((U8(b, off + 4) & 1) == 1);
  return (uint64_t{U8(b, off) & 0x0eu} << 29) | (uint64_t{U8(b, off + 1)} << 22) | (uint64_t{U8(b, off + 2) & 0xfeu} << 14) |
         (uint64_t{U8(b, off + 3)} << 7) | (U8(b, off + 4) >> 1);
}

struct Pes {
  uint16_t pid;
  uint8_t stream_id;
  uint64_t pts;
  int64_t dts = -1;
  int64_t pcr = -1;
  bool random_access = false;
  size_t declared_length;
  std::string es;
};

// Reassembles the PES packets of the given packets (must start on a PUSI for each PID).
std::vector<Pes> ReadPes(const std::vector<TsPacket>& packets) {
  std::vector<Pes> out;
  std::map<uint16_t, size_t> open;  // pid -> index in out
  std::map<uint16_t, std::string> bufs;
  auto finish = [&](uint16_t pid) {
    if (!open.count(pid)) return;
    Pes& p = out[open[pid]];
    const std::string& b = bufs[pid];
    REQUIRE(b.size() >= 14);
    CHECK(b.compare(0, 3, std::string("\0\0\1", 3)) == 0);
    p.stream_id = U8(b, 3);
    p.declared_length = base::GetBE(b, 4, 2);
    const uint8_t flags = U8(b, 7);
    const size_t hlen = U8(b, 8);
    CHECK(U8(b, 6) == 0x84);
    if (flags == 0xc0) {
      CHECK(hlen == 10);
      CHECK((U8(b, 9) >> 4) == 0x3);
      CHECK((U8(b, 14) >> 4) == 0x1);
      p.pts = ReadTs(b, 9);
      p.dts = static_cast<int64_t>(ReadTs(b, 14));
    } else {
      CHECK(flags == 0x80);
      CHECK(hlen == 5);
      CHECK((U8(b, 9) >> 4) == 0x2);
      p.pts = ReadTs(b, 9);
    }
    if (p.declared_length) CHECK(p.declared_length == b.size() - 6);
    p.es = b.substr(9 + hlen);
    open.erase(pid);
  };
  for (const auto& t : packets) {
    if (t.pid == kTsPidPat || t.pid == kTsPidPmt) continue;
    if (t.pusi) {
      finish(t.pid);
      Pes p{};
      p.pid = t.pid;
      if (!t.af.empty()) {
        const uint8_t f = U8(t.af, 0);
        p.random_access = f & 0x40;
        if (f & 0x10) {
          const std::string& a = t.af;
          p.pcr = static_cast<int64_t>((uint64_t{base::GetBE(a, 1, 4)} << 1) | (U8(a, 5) >> 7));
          CHECK((U8(a, 5) & 0x7e) == 0x7e);
        }
      }
      open[t.pid] = out.size();
      out.push_back(p);
      bufs[t.pid].clear();
    }
    REQUIRE(open.count(t.pid));
    bufs[t.pid] += t.payload;
  }
  for (auto pid : std::vector<uint16_t>{kTsPidVideo, kTsPidAudio}) finish(pid);
  return out;
}

TEST_CASE("CRC-32/MPEG-2 check value and self-check") {
  CHECK(Crc32Mpeg2("123456789") == 0x0376e6e7u);  // the catalogued check value
  CHECK(Crc32Mpeg2("") == 0xffffffffu);
}

TEST_CASE("PAT is byte-identical to ffmpeg's, PMT has a valid CRC and the right streams") {
  TsMuxer mux(true, true);
  std::string out;
  mux.WriteTables(&out);
  REQUIRE(out.size() == 2 * kTsPacketSize);
  // `ffmpeg -f mpegts` writes this PAT (program 1 -> PMT PID 0x1000), CRC 2ab104b2.
  const std::string pat = FromHex("474000100000b00d0001c100000001f0002ab104b2");
  CHECK(out.substr(0, pat.size()) == pat);
  CHECK(out.substr(pat.size(), kTsPacketSize - pat.size()) == std::string(kTsPacketSize - pat.size(), '\xff'));

  auto pkts = Split(out);
  CHECK(pkts[1].pid == kTsPidPmt);
  CHECK(pkts[1].pusi);
  const std::string& pmt = pkts[1].payload;
  CHECK(U8(pmt, 0) == 0);  // pointer_field
  CHECK(U8(pmt, 1) == 0x02);
  const size_t len = ((U8(pmt, 2) & 0x0f) << 8) | U8(pmt, 3);
  CHECK(len == 9 + 10 + 4);
  const std::string section = pmt.substr(1, 3 + len);
  CHECK(Crc32Mpeg2(section) == 0);  // CRC over the section including its CRC_32 is 0
  CHECK((base::GetBE(pmt, 9, 2) & 0x1fff) == kTsPidVideo);  // PCR_PID
  CHECK(U8(pmt, 13) == kTsStreamTypeH264);
  CHECK((base::GetBE(pmt, 14, 2) & 0x1fff) == kTsPidVideo);
  CHECK(U8(pmt, 18) == kTsStreamTypeAacAdts);
  CHECK((base::GetBE(pmt, 19, 2) & 0x1fff) == kTsPidAudio);

  SUBCASE("audio only: one stream, the PCR on the audio PID") {
    TsMuxer a(false, true);
    std::string o;
    a.WriteTables(&o);
    auto p = Split(o)[1].payload;
    const size_t l = ((U8(p, 2) & 0x0f) << 8) | U8(p, 3);
    CHECK(l == 9 + 5 + 4);
    CHECK(Crc32Mpeg2(p.substr(1, 3 + l)) == 0);
    CHECK((base::GetBE(p, 9, 2) & 0x1fff) == kTsPidAudio);
    CHECK(U8(p, 13) == kTsStreamTypeAacAdts);
  }
}

TEST_CASE("PTS/DTS field encoding (13818-1 2.4.3.7)") {
  std::string b;
  AppendPesTimestamp(0x2, 0, &b);
  CHECK(b == FromHex("2100010001"));
  b.clear();
  AppendPesTimestamp(0x3, 63000, &b);
  CHECK(b.size() == 5);
  CHECK(ReadTs(b, 0) == 63000);
  CHECK((U8(b, 0) >> 4) == 0x3);
  for (uint64_t v : {uint64_t{1}, uint64_t{0x1ffffffff}, uint64_t{0x100000000}, uint64_t{123456789}}) {
    b.clear();
    AppendPesTimestamp(0x1, v, &b);
    CHECK(ReadTs(b, 0) == v);
  }
  b.clear();
  AppendPesTimestamp(0x2, uint64_t{1} << 33, &b);  // wraps to 0
  CHECK(ReadTs(b, 0) == 0);
}

TEST_CASE("video PES: PTS/DTS with the offset, PCR = DTS, random access on key frames, stuffing") {
  TsMuxer mux(true, true);
  std::string out;
  mux.WriteTables(&out);
  const std::string key(1000, 'K'), delta(50, 'd'), big(70000, 'B');
  mux.WriteVideo(90000, 93600, true, key, &out);
  mux.WriteVideo(93600, 93600, false, delta, &out);
  mux.WriteVideo(97200, 100800, false, big, &out);
  mux.WriteAudio(90000, std::string(300, 'a'), &out);
  auto pkts = Split(out);
  auto pes = ReadPes(pkts);
  REQUIRE(pes.size() == 4);

  CHECK(pes[0].stream_id == kPesStreamIdVideo);
  CHECK(pes[0].pts == 93600 + kTsTimestampOffset);
  CHECK(pes[0].dts == 90000 + kTsTimestampOffset);
  CHECK(pes[0].pcr == 90000);
  CHECK(pes[0].random_access);
  CHECK(pes[0].es == key);

  CHECK(pes[1].dts == -1);  // PTS == DTS: PTS only
  CHECK(pes[1].pts == 93600 + kTsTimestampOffset);
  CHECK(pes[1].pcr == 93600);
  CHECK_FALSE(pes[1].random_access);
  CHECK(pes[1].es == delta);

  CHECK(pes[2].declared_length == 0);  // over 65535 bytes: unbounded (video only)
  CHECK(pes[2].es == big);

  CHECK(pes[3].stream_id == kPesStreamIdAudio);
  CHECK(pes[3].pid == kTsPidAudio);
  CHECK(pes[3].pcr == -1);  // the PCR is on the video PID
  CHECK(pes[3].declared_length == 3 + 5 + 300);
  CHECK(pes[3].es == std::string(300, 'a'));

  SUBCASE("stuffing: only the last packet of a PES is short, padded with 0xff in its adaptation field") {
    for (size_t i = 0; i < pkts.size(); ++i) {
      const auto& t = pkts[i];
      if (t.pid != kTsPidVideo) continue;
      const bool last = i + 1 == pkts.size() || pkts[i + 1].pusi || pkts[i + 1].pid != kTsPidVideo;
      if (!t.pusi && !last) CHECK_FALSE(t.has_af);
      if (last && t.has_af && !t.pusi && t.af.size() > 1) {
        CHECK(U8(t.af, 0) == 0);
        CHECK(t.af.substr(1) == std::string(t.af.size() - 1, '\xff'));
      }
    }
  }
}

TEST_CASE("every stuffing size from 0 to 183 gives whole 188-byte packets and the same bytes back") {
  TsMuxer mux(false, true);
  for (size_t n = 0; n < 400; ++n) {
    std::string out;
    const std::string es(n, static_cast<char>(n));
    mux.WriteAudio(static_cast<int64_t>(n) * 1920, es, &out);
    auto pkts = Split(out);
    auto pes = ReadPes(pkts);
    REQUIRE(pes.size() == 1);
    CHECK(pes[0].es == es);
    CHECK(pes[0].pcr == static_cast<int64_t>(n) * 1920);  // audio only: PCR on audio
    CHECK(pes[0].random_access);
  }
}

TEST_CASE("continuity counters: per PID, mod 16, carried across segments") {
  TsMuxer mux(true, true);
  std::map<uint16_t, int> last;
  for (int seg = 0; seg < 5; ++seg) {
    std::string out;
    mux.WriteTables(&out);
    for (int f = 0; f < 7; ++f) {
      mux.WriteVideo(f * 3600, f * 3600, f == 0, std::string(500 + 37 * f, 'v'), &out);
      mux.WriteAudio(f * 3600, std::string(200, 'a'), &out);
    }
    for (const auto& t : Split(out)) {
      if (last.count(t.pid)) CHECK(t.cc == ((last[t.pid] + 1) & 0x0f));
      last[t.pid] = t.cc;
    }
  }
  CHECK(last.size() == 4);
  CHECK(mux.next_cc(kTsPidPat) == 5);
  CHECK(mux.next_cc(kTsPidPmt) == 5);
}

TEST_CASE("negative composition offsets and 33-bit wrap") {
  TsMuxer mux(true, false);
  std::string out;
  mux.WriteVideo(0, -3600, true, "x", &out);  // PTS before DTS is the encoder's problem; it still encodes
  auto pes = ReadPes(Split(out));
  REQUIRE(pes.size() == 1);
  CHECK(pes[0].pts == kTsTimestampOffset - 3600);
  CHECK(pes[0].dts == kTsTimestampOffset);
  out.clear();
  const int64_t wrap = int64_t{1} << 33;
  mux.WriteVideo(wrap + 10, wrap + 10, false, "y", &out);
  pes = ReadPes(Split(out));
  CHECK(pes[0].pts == 10 + kTsTimestampOffset);
  CHECK(pes[0].pcr == 10);
}

AvcConfig TestConfig(uint8_t len_size = 4) {
  AvcConfig c;
  c.nal_length_size = len_size;
  c.sps = {FromHex("6764001eacd940a02ff97011")};
  c.pps = {FromHex("68ef8fcb")};
  return c;
}

std::string Avcc(const std::vector<std::string>& nals, size_t len_size = 4) {
  std::string out;
  for (const auto& n : nals) {
    base::PutBE(&out, n.size(), len_size);
    out += n;
  }
  return out;
}

const std::string kSc("\0\0\0\1", 4);
const std::string kAudNal = kSc + "\x09\xf0";

TEST_CASE("AVCC -> Annex B: AUD first, SPS/PPS before IDR, in-band AUDs dropped") {
  const std::string sei = FromHex("0605ff");
  const std::string idr = FromHex("6588840021");
  const std::string slice = FromHex("419a2130");
  const auto cfg = TestConfig();
  std::string out;
  REQUIRE(AvccToAnnexB(Avcc({sei, idr}), cfg, true, &out).ok());
  CHECK(out == kAudNal + kSc + cfg.sps[0] + kSc + cfg.pps[0] + kSc + sei + kSc + idr);

  out.clear();
  REQUIRE(AvccToAnnexB(Avcc({std::string("\x09\x10", 2), slice}), cfg, false, &out).ok());
  CHECK(out == kAudNal + kSc + slice);

  SUBCASE("an IDR without the key frame flag still gets parameter sets") {
    std::string o;
    REQUIRE(AvccToAnnexB(Avcc({idr}), cfg, false, &o).ok());
    CHECK(o == kAudNal + kSc + cfg.sps[0] + kSc + cfg.pps[0] + kSc + idr);
  }
  SUBCASE("in-band SPS: not inserted twice") {
    std::string o;
    REQUIRE(AvccToAnnexB(Avcc({cfg.sps[0], cfg.pps[0], idr}), cfg, true, &o).ok());
    CHECK(o == kAudNal + kSc + cfg.sps[0] + kSc + cfg.pps[0] + kSc + idr);
  }
  SUBCASE("1- and 2-byte lengths") {
    for (uint8_t ls : {uint8_t{1}, uint8_t{2}}) {
      std::string o;
      REQUIRE(AvccToAnnexB(Avcc({slice, slice}, ls), TestConfig(ls), false, &o).ok());
      CHECK(o == kAudNal + kSc + slice + kSc + slice);
    }
  }
}

TEST_CASE("AVCC -> Annex B: malformed input is an error at every truncation, nothing appended") {
  const std::string avcc = Avcc({FromHex("6588840021"), FromHex("419a2130")});
  for (size_t n = 1; n < avcc.size(); ++n) {
    if (n == 4 + 5) continue;  // exactly the first NAL unit: a valid access unit
    std::string out = "keep";
    auto st = AvccToAnnexB(avcc.substr(0, n), TestConfig(), true, &out);
    CHECK_FALSE(st.ok());
    CHECK(st.code() == base::Status::Code::kInvalid);
    CHECK(out == "keep");
  }
  std::string out;
  CHECK_FALSE(AvccToAnnexB(std::string("\0\0\0\0", 4), TestConfig(), false, &out).ok());  // empty NAL
  CHECK_FALSE(AvccToAnnexB(Avcc({"x"}), TestConfig(3), false, &out).ok());                // bad length size
  CHECK_FALSE(AvccToAnnexB(std::string("\xff\xff\xff\xff\x65", 5), TestConfig(), false, &out).ok());
  CHECK(out.empty());
  CHECK(AvccToAnnexB("", TestConfig(), false, &out).ok());  // no NAL units: just the AUD
  CHECK(out == kAudNal);
}

}  // namespace
}  // namespace cdn::media
