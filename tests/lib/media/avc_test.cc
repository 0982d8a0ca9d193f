// AVCDecoderConfigurationRecord and SPS: real libx264 output (checked against ffprobe), crafted
// edge cases, every truncation, and corrupted bytes.
#include "lib/media/avc.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "lib/base/bytes.h"
#include "tests/lib/media/media_test_data.h"

namespace cdn::media {
namespace {

using base::Status;
using testing::BitWriter;
using testing::FromHex;

struct RecordCase {
  const char* name;
  const std::string* tag;  // FLV video tag body: 5-byte AVC header + record
  const char* codec;
  int width, height;
  uint32_t chroma_format_idc, bit_depth;
  bool frame_mbs_only;
};

const RecordCase kRecords[] = {
    {"640x360", &testing::kAvcTag640, "avc1.64001e", 640, 360, 1, 8, true},
    {"1280x720", &testing::kAvcTag720, "avc1.64001f", 1280, 720, 1, 8, true},
    {"1920x1080", &testing::kAvcTag1080, "avc1.640028", 1920, 1080, 1, 8, true},
    {"baseline", &testing::kAvcTagBaseline, "avc1.42c01e", 640, 360, 1, 8, true},
    {"main", &testing::kAvcTagMain, "avc1.4d401f", 1280, 720, 1, 8, true},
    {"interlaced", &testing::kAvcTagInterlaced, "avc1.640028", 1920, 1080, 1, 8, false},
    {"high10", &testing::kAvcTagHigh10, "avc1.6e001e", 640, 360, 1, 10, true},
    {"high444", &testing::kAvcTagHigh444, "avc1.f4000d", 320, 240, 3, 8, true},
    {"642x362", &testing::kAvcTagOdd, "avc1.64001e", 642, 362, 1, 8, true},
};

std::string Record(const RecordCase& c) { return c.tag->substr(5); }

// Where the mandatory part of a record ends (after the last PPS).
size_t MandatoryLength(const AvcConfig& config) {
  size_t n = 6 + 1;
  for (const std::string& s : config.sps) n += 2 + s.size();
  for (const std::string& p : config.pps) n += 2 + p.size();
  return n;
}

TEST_CASE("ParseAvcDecoderConfig on libx264 output") {
  for (const RecordCase& c : kRecords) {
    CAPTURE(c.name);
    auto r = ParseAvcDecoderConfig(Record(c));
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    CHECK(r->width == c.width);
    CHECK(r->height == c.height);
    CHECK(r->nal_length_size == 4);
    REQUIRE(r->sps.size() == 1);
    REQUIRE(r->pps.size() == 1);
    CHECK(static_cast<uint8_t>(r->sps[0][0]) == 0x67);
    CHECK(static_cast<uint8_t>(r->pps[0][0]) == 0x68);
    CHECK(AvcCodecString(*r) == c.codec);
    // The record's own profile bytes agree with the SPS for libx264.
    const std::string rec = Record(c);
    CHECK(r->profile == static_cast<uint8_t>(rec[1]));
    CHECK(r->compat == static_cast<uint8_t>(rec[2]));
    CHECK(r->level == static_cast<uint8_t>(rec[3]));
    auto sps = ParseSps(r->sps[0]);
    REQUIRE(sps.ok());
    CHECK(sps->chroma_format_idc == c.chroma_format_idc);
    CHECK(sps->bit_depth_luma == c.bit_depth);
    CHECK(sps->bit_depth_chroma == c.bit_depth);
    CHECK(sps->frame_mbs_only == c.frame_mbs_only);
    CHECK(sps->coded_width % 16 == 0);
    CHECK(sps->coded_height % 16 == 0);
  }
}

TEST_CASE("ParseAvcDecoderConfig truncated at every length") {
  for (const RecordCase& c : kRecords) {
    CAPTURE(c.name);
    const std::string rec = Record(c);
    auto full = ParseAvcDecoderConfig(rec);
    REQUIRE(full.ok());
    const size_t mandatory = MandatoryLength(*full);
    for (size_t len = 0; len < rec.size(); ++len) {
      CAPTURE(len);
      auto r = ParseAvcDecoderConfig(std::string_view(rec).substr(0, len));
      // The High-profile trailer (chroma_format etc.) is optional; everything before it is not.
      CHECK(r.ok() == (len >= mandatory));
      if (r.ok()) CHECK(r->width == full->width);
    }
  }
}

TEST_CASE("ParseAvcDecoderConfig field handling") {
  const std::string sps = FromHex("6764001eacd940a02ff97011000003000100000300320f162d96");
  const std::string pps = FromHex("68ef8fcb");
  auto build = [&](uint8_t version, uint8_t length_byte, uint8_t sps_byte, std::vector<std::string> spss,
                   std::vector<std::string> ppss) {
    std::string out;
    base::PutU8(&out, version);
    out += FromHex("64001e");
    base::PutU8(&out, length_byte);
    base::PutU8(&out, sps_byte);
    for (const auto& s : spss) {
      base::PutU16(&out, static_cast<uint16_t>(s.size()));
      out += s;
    }
    base::PutU8(&out, static_cast<uint8_t>(ppss.size()));
    for (const auto& p : ppss) {
      base::PutU16(&out, static_cast<uint16_t>(p.size()));
      out += p;
    }
    return out;
  };
  auto ok = ParseAvcDecoderConfig(build(1, 0xff, 0xe1, {sps}, {pps}));
  REQUIRE(ok.ok());
  CHECK(ok->width == 640);

  // Reserved bits written as zeros are tolerated; only the low bits count.
  auto zeros = ParseAvcDecoderConfig(build(1, 0x01, 0x01, {sps}, {pps}));
  REQUIRE(zeros.ok());
  CHECK(zeros->nal_length_size == 2);
  CHECK(ParseAvcDecoderConfig(build(1, 0xfc, 0xe1, {sps}, {pps}))->nal_length_size == 1);
  CHECK(ParseAvcDecoderConfig(build(1, 0xfe, 0xe1, {sps}, {pps})).status().code() == Status::Code::kInvalid);

  auto two = ParseAvcDecoderConfig(build(1, 0xff, 0xe2, {sps, sps}, {pps, pps}));
  REQUIRE(two.ok());
  CHECK(two->sps.size() == 2);
  CHECK(two->pps.size() == 2);
  auto no_pps = ParseAvcDecoderConfig(build(1, 0xff, 0xe1, {sps}, {}));
  REQUIRE(no_pps.ok());
  CHECK(no_pps->pps.empty());

  for (uint8_t version : {0, 2}) {
    CHECK(ParseAvcDecoderConfig(build(version, 0xff, 0xe1, {sps}, {pps})).status().code() ==
          Status::Code::kUnsupported);
  }
  CHECK(ParseAvcDecoderConfig(build(1, 0xff, 0xe0, {}, {pps})).status().code() == Status::Code::kInvalid);
  CHECK_FALSE(ParseAvcDecoderConfig(build(1, 0xff, 0xe1, {pps}, {pps})).ok());       // PPS where SPS belongs
  CHECK_FALSE(ParseAvcDecoderConfig(build(1, 0xff, 0xe1, {sps}, {sps})).ok());       // SPS where PPS belongs
  CHECK_FALSE(ParseAvcDecoderConfig(build(1, 0xff, 0xe1, {""}, {pps})).ok());        // empty SPS
  CHECK_FALSE(ParseAvcDecoderConfig(build(1, 0xff, 0xe1, {sps}, {""})).ok());        // empty PPS
  auto bad_sps = ParseAvcDecoderConfig(build(1, 0xff, 0xe1, {FromHex("6764")}, {pps}));
  CHECK(bad_sps.status().code() == Status::Code::kInvalid);
  CHECK(bad_sps.status().message().find("avcC") != std::string::npos);
  // An SPS length that runs past the end.
  std::string overrun = build(1, 0xff, 0xe1, {sps}, {pps});
  overrun[7] = 0x7f;
  CHECK_FALSE(ParseAvcDecoderConfig(overrun).ok());
  // 31 SPS announced, one present.
  CHECK_FALSE(ParseAvcDecoderConfig(build(1, 0xff, 0xff, {sps}, {pps})).ok());
}

TEST_CASE("ParseAvcDecoderConfig survives every single-byte corruption") {
  for (const RecordCase& c : kRecords) {
    const std::string rec = Record(c);
    for (size_t i = 0; i < rec.size(); ++i) {
      for (uint8_t x : {0x01, 0x10, 0x80, 0xff}) {
        std::string bad = rec;
        bad[i] = static_cast<char>(bad[i] ^ x);
        auto r = ParseAvcDecoderConfig(bad);
        if (r.ok()) {
          CHECK(r->width > 0);
          CHECK(r->height > 0);
          CHECK(r->width <= 65536);
          CHECK(r->height <= 131072);
        }
      }
    }
  }
}

struct SpsCase {
  const char* name;
  const std::string* nal;
  int width, height, coded_width, coded_height;
  uint8_t profile;
  uint32_t chroma_format_idc;
  bool frame_mbs_only;
  bool scaling;
};

const SpsCase kSps[] = {
    {"crop 1232x704", &testing::kSpsCrop720, 1232, 704, 1280, 720, 100, 1, true, false},
    {"interlaced crop", &testing::kSpsCropInterlaced, 1914, 1072, 1920, 1088, 100, 1, false, false},
    {"4:2:2", &testing::kSps422, 322, 241, 336, 256, 122, 2, true, false},
    {"4:4:4 interlaced", &testing::kSps444Interlaced, 321, 242, 336, 256, 244, 3, false, false},
    {"scaling lists 4:2:0", &testing::kSpsScaling420, 640, 360, 640, 368, 100, 1, true, true},
    {"scaling lists 4:4:4", &testing::kSpsScaling444, 320, 240, 320, 240, 244, 3, true, true},
    {"poc type 1 mbaff", &testing::kSpsPocType1, 720, 568, 720, 576, 77, 1, false, false},
    {"monochrome", &testing::kSpsMonochrome, 317, 233, 320, 240, 100, 0, true, false},
};

TEST_CASE("ParseSps on real and ffmpeg-checked SPS") {
  for (const SpsCase& c : kSps) {
    CAPTURE(c.name);
    auto r = ParseSps(*c.nal);
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    CHECK(r->width == c.width);
    CHECK(r->height == c.height);
    CHECK(r->coded_width == c.coded_width);
    CHECK(r->coded_height == c.coded_height);
    CHECK(r->profile_idc == c.profile);
    CHECK(r->chroma_format_idc == c.chroma_format_idc);
    CHECK(r->frame_mbs_only == c.frame_mbs_only);
    CHECK(r->scaling_matrix_present == c.scaling);
  }
  auto poc = ParseSps(testing::kSpsPocType1);
  REQUIRE(poc.ok());
  CHECK(poc->sps_id == 3);
  CHECK(poc->pic_order_cnt_type == 1);
  CHECK(poc->log2_max_frame_num == 8);
  CHECK(poc->max_num_ref_frames == 4);
  CHECK(poc->constraint_flags == 0x40);
  auto mono = ParseSps(testing::kSpsMonochrome);
  REQUIRE(mono.ok());
  CHECK(mono->bit_depth_luma == 10);
  CHECK(mono->pic_order_cnt_type == 2);
}

TEST_CASE("ParseSps truncated at every length: fails, or agrees with the full parse") {
  std::vector<std::string> nals;
  for (const SpsCase& c : kSps) nals.push_back(*c.nal);
  for (const RecordCase& c : kRecords) nals.push_back(ParseAvcDecoderConfig(Record(c))->sps[0]);
  for (const std::string& nal : nals) {
    auto full = ParseSps(nal);
    REQUIRE(full.ok());
    bool seen_ok = false;
    for (size_t len = 0; len < nal.size(); ++len) {
      auto r = ParseSps(std::string_view(nal).substr(0, len));
      if (len < 5) CHECK_FALSE(r.ok());
      if (seen_ok) CHECK(r.ok());  // once all needed bits are in, more bytes keep it ok
      if (r.ok()) {
        seen_ok = true;
        CHECK(r->width == full->width);
        CHECK(r->height == full->height);
      }
    }
  }
}

TEST_CASE("ParseSps survives every single-byte corruption") {
  for (const SpsCase& c : kSps) {
    const std::string& nal = *c.nal;
    for (size_t i = 0; i < nal.size(); ++i) {
      for (uint8_t x : {0x01, 0x08, 0x40, 0xff}) {
        std::string bad = nal;
        bad[i] = static_cast<char>(bad[i] ^ x);
        auto r = ParseSps(bad);
        if (r.ok()) {
          CHECK(r->width > 0);
          CHECK(r->height > 0);
          CHECK(r->width <= r->coded_width);
          CHECK(r->height <= r->coded_height);
        }
      }
    }
  }
}

// Crafted SPS for the limits that real encoders never hit.
struct Fields {
  uint8_t profile = 100;
  uint32_t sps_id = 0;
  uint32_t chroma_format_idc = 1;
  bool separate_colour_plane = false;
  uint32_t bit_depth_minus8 = 0;
  std::vector<int64_t> scaling_deltas;  // one explicit 4x4 list (list 0) when non-empty
  uint32_t log2_max_frame_num_minus4 = 0;
  uint32_t poc_type = 0;
  uint32_t poc_lsb_minus4 = 0;
  std::vector<int64_t> poc_cycle;
  uint32_t cycle_count_override = 0;  // when non-zero, announced instead of poc_cycle.size()
  uint32_t width_mbs_minus1 = 19, height_map_units_minus1 = 14;
  bool frame_mbs_only = true;
  std::vector<uint32_t> crop;  // left, right, top, bottom when non-empty
};

std::string Craft(const Fields& f) {
  BitWriter w;
  w.Bits(8, f.profile);
  w.Bits(8, 0);
  w.Bits(8, 30);
  w.Ue(f.sps_id);
  if (f.profile == 100 || f.profile == 244) {
    w.Ue(f.chroma_format_idc);
    if (f.chroma_format_idc == 3) w.Bit(f.separate_colour_plane);
    w.Ue(f.bit_depth_minus8);
    w.Ue(f.bit_depth_minus8);
    w.Bit(false);
    w.Bit(!f.scaling_deltas.empty());
    if (!f.scaling_deltas.empty()) {
      const int lists = f.chroma_format_idc == 3 ? 12 : 8;
      w.Bit(true);
      for (int64_t d : f.scaling_deltas) w.Se(d);
      for (int i = 1; i < lists; ++i) w.Bit(false);
    }
  }
  w.Ue(f.log2_max_frame_num_minus4);
  w.Ue(f.poc_type);
  if (f.poc_type == 0) w.Ue(f.poc_lsb_minus4);
  if (f.poc_type == 1) {
    w.Bit(false);
    w.Se(-1);
    w.Se(1);
    w.Ue(f.cycle_count_override ? f.cycle_count_override : f.poc_cycle.size());
    for (int64_t v : f.poc_cycle) w.Se(v);
  }
  w.Ue(1);
  w.Bit(false);
  w.Ue(f.width_mbs_minus1);
  w.Ue(f.height_map_units_minus1);
  w.Bit(f.frame_mbs_only);
  if (!f.frame_mbs_only) w.Bit(false);
  w.Bit(true);
  w.Bit(!f.crop.empty());
  for (uint32_t c : f.crop) w.Ue(c);
  w.Bit(false);
  std::string nal = "\x67";
  nal += testing::AddEmulationPrevention(w.Finish());
  return nal;
}

base::Result<SpsInfo> ParseFields(const Fields& f) { return ParseSps(Craft(f)); }

TEST_CASE("crafted SPS: baseline values") {
  auto r = ParseFields(Fields{});
  REQUIRE(r.ok());
  CHECK(r->width == 320);
  CHECK(r->height == 240);
}

TEST_CASE("crafted SPS: range limits of H.264 7.4.2.1.1") {
  auto ok = [](Fields f) { return ParseFields(f).ok(); };
  Fields f;
  f.sps_id = 31;
  CHECK(ok(f));
  f.sps_id = 32;
  CHECK_FALSE(ok(f));
  f = {};
  f.chroma_format_idc = 3;
  CHECK(ok(f));
  f.chroma_format_idc = 4;
  CHECK_FALSE(ok(f));
  f = {};
  f.bit_depth_minus8 = 6;
  CHECK(ok(f));
  f.bit_depth_minus8 = 7;
  CHECK_FALSE(ok(f));
  f = {};
  f.log2_max_frame_num_minus4 = 12;
  CHECK(ok(f));
  f.log2_max_frame_num_minus4 = 13;
  CHECK_FALSE(ok(f));
  f = {};
  f.poc_lsb_minus4 = 12;
  CHECK(ok(f));
  f.poc_lsb_minus4 = 13;
  CHECK_FALSE(ok(f));
  f = {};
  f.poc_type = 2;
  CHECK(ok(f));
  f.poc_type = 3;
  CHECK_FALSE(ok(f));
  f = {};
  f.poc_type = 1;
  f.poc_cycle.assign(255, -3);
  CHECK(ok(f));
  f.poc_cycle.assign(256, -3);
  CHECK_FALSE(ok(f));
  f.poc_cycle.assign(3, 1);
  f.cycle_count_override = 100;  // announces more offsets than there are bits
  CHECK_FALSE(ok(f));
  f = {};
  f.width_mbs_minus1 = 4095;
  f.height_map_units_minus1 = 4095;
  auto big = ParseFields(f);
  REQUIRE(big.ok());
  CHECK(big->width == 65536);
  CHECK(big->height == 65536);
  f.width_mbs_minus1 = 4096;
  CHECK_FALSE(ok(f));
  f.width_mbs_minus1 = 0xfffffffe;  // would overflow int if trusted
  CHECK_FALSE(ok(f));
  f = {};
  f.height_map_units_minus1 = 4096;
  CHECK_FALSE(ok(f));
}

TEST_CASE("crafted SPS: cropping units and over-cropping") {
  Fields f;
  f.crop = {1, 2, 3, 4};  // 4:2:0 progressive: units of 2x2
  auto r = ParseFields(f);
  REQUIRE(r.ok());
  CHECK(r->width == 320 - 6);
  CHECK(r->height == 240 - 14);
  f.frame_mbs_only = false;  // fields: vertical unit 4, height doubled
  r = ParseFields(f);
  REQUIRE(r.ok());
  CHECK(r->coded_height == 480);
  CHECK(r->height == 480 - 28);
  f = {};
  f.crop = {0, 159, 0, 0};
  r = ParseFields(f);
  REQUIRE(r.ok());
  CHECK(r->width == 2);
  f.crop = {0, 160, 0, 0};
  CHECK_FALSE(ParseFields(f).ok());
  f.crop = {80, 80, 0, 0};
  CHECK_FALSE(ParseFields(f).ok());
  f.crop = {0, 0, 120, 0};
  CHECK_FALSE(ParseFields(f).ok());
  f.crop = {0xfffffffe, 0xfffffffe, 0, 0};  // would overflow if added in 32 bits
  CHECK_FALSE(ParseFields(f).ok());
  // 4:4:4 with separate colour planes is ChromaArrayType 0: single-sample units.
  f = {};
  f.chroma_format_idc = 3;
  f.separate_colour_plane = true;
  f.crop = {1, 2, 3, 4};
  r = ParseFields(f);
  REQUIRE(r.ok());
  CHECK(r->separate_colour_plane);
  CHECK(r->width == 317);
  CHECK(r->height == 233);
  f.separate_colour_plane = false;  // plain 4:4:4: also 1x1
  r = ParseFields(f);
  REQUIRE(r.ok());
  CHECK(r->width == 317);
}

TEST_CASE("crafted SPS: scaling list delta range") {
  Fields f;
  f.scaling_deltas = {127, -128, 0, 5, -5, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  CHECK(ParseFields(f).ok());
  f.scaling_deltas = {-8};  // nextScale 0 at j = 0: use the default list, nothing more follows
  CHECK(ParseFields(f).ok());
  f.scaling_deltas = {128};
  CHECK_FALSE(ParseFields(f).ok());
  f.scaling_deltas = {-129};
  CHECK_FALSE(ParseFields(f).ok());
  f.chroma_format_idc = 3;  // 12 lists
  f.scaling_deltas = {2, -10};  // 8 -> 10 -> 0: the list ends early
  auto r = ParseFields(f);
  REQUIRE(r.ok());
  CHECK(r->scaling_matrix_present);
  CHECK(r->width == 320);
}

TEST_CASE("crafted SPS: emulation prevention inside the parsed fields") {
  Fields f;
  f.poc_type = 1;
  f.poc_cycle = {1 << 30, -(1 << 30), 0x7fffffff, 1 << 20};  // long runs of zero bits
  f.crop = {1, 1, 1, 1};
  const std::string nal = Craft(f);
  REQUIRE(nal.find(std::string("\0\0\3", 3)) != std::string::npos);
  auto r = ParseSps(nal);
  REQUIRE(r.ok());
  CHECK(r->width == 316);
  CHECK(r->height == 236);
}

TEST_CASE("ParseSps rejects what is not an SPS") {
  CHECK_FALSE(ParseSps("").ok());
  CHECK_FALSE(ParseSps(FromHex("68ef8fcb")).ok());                 // PPS
  CHECK_FALSE(ParseSps(FromHex("e764001eacd940a02ff970")).ok());   // forbidden_zero_bit
  CHECK_FALSE(ParseSps(FromHex("67")).ok());
  // Bytes of all zeros: an exp-Golomb code that never ends.
  CHECK_FALSE(ParseSps(FromHex("6764001e" "0000000000000000000000")).ok());
}

}  // namespace
}  // namespace cdn::media
