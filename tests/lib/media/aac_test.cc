// AudioSpecificConfig, codecs string and ADTS: ffmpeg's AAC encoder output, hand-assembled
// HE-AAC configs (checked with ffprobe), crafted corner cases, every truncation, corruption.
#include "lib/media/aac.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>

#include "tests/lib/media/media_test_data.h"

namespace cdn::media {
namespace {

using base::Status;
using testing::BitWriter;
using testing::FromHex;

struct AscCase {
  const char* name;
  const char* hex;
  uint8_t object_type;
  int sample_rate, channels;
  uint8_t core_object_type, sampling_index;
  int core_sample_rate;
  uint8_t channel_config;
  bool sbr, ps;
  const char* codec;
};

// "ffmpeg" rows are `ffmpeg -c:a aac -f flv` sequence headers; ffmpeg's encoder always appends
// the backward-compatible sync extension with sbrPresentFlag 0. HE rows were assembled by hand
// from 14496-3 1.6.2.1 and fed to ffprobe in an FLV, which reported the same rates and channels.
const AscCase kAsc[] = {
    {"ffmpeg LC 44.1k stereo", "121056e500", 2, 44100, 2, 2, 4, 44100, 2, false, false, "mp4a.40.2"},
    {"ffmpeg LC 48k mono", "118856e500", 2, 48000, 1, 2, 3, 48000, 1, false, false, "mp4a.40.2"},
    {"ffmpeg LC 8k 5.1", "15b056e500", 2, 8000, 6, 2, 11, 8000, 6, false, false, "mp4a.40.2"},
    {"ffmpeg LC 96k stereo", "101056e500", 2, 96000, 2, 2, 0, 96000, 2, false, false, "mp4a.40.2"},
    {"ffmpeg LC 48k 7.1", "11b856e500", 2, 48000, 8, 2, 3, 48000, 7, false, false, "mp4a.40.2"},
    {"ffmpeg LC 22.05k stereo", "139056e500", 2, 22050, 2, 2, 7, 22050, 2, false, false, "mp4a.40.2"},
    {"ffmpeg -aac_pce 5.0(side): PCE with comment",
     "118004c840002008800d4c61766335392e33372e31303056e500", 2, 48000,
     5, 2, 3, 48000, 0, false, false, "mp4a.40.2"},
    {"LC, no extension", "1210", 2, 44100, 2, 2, 4, 44100, 2, false, false, "mp4a.40.2"},
    {"HE-AAC explicit", "2b920800", 5, 44100, 2, 2, 7, 22050, 2, true, false, "mp4a.40.5"},
    {"HE-AAC v2 explicit", "eb8a0800", 29, 44100, 2, 2, 7, 22050, 1, true, true, "mp4a.40.29"},
    {"HE-AAC backward compatible", "139056e5a0", 2, 44100, 2, 2, 7, 22050, 2, true, false, "mp4a.40.2"},
    {"HE-AAC v2 backward compatible", "138856e5a54880", 2, 44100, 2, 2, 7, 22050, 1, true, true, "mp4a.40.2"},
    {"explicit 24-bit frequency", "1780562210", 2, 44100, 2, 2, 15, 44100, 2, false, false, "mp4a.40.2"},
    {"escaped object type 39 (ELD)", "f8e640", 39, 48000, 2, 39, 3, 48000, 2, false, false, "mp4a.40.39"},
    {"escaped object type 42 (USAC), layout unknown", "f94600", 42, 48000, 0, 42, 3, 48000, 0, false, false,
     "mp4a.40.42"},
};

TEST_CASE("ParseAudioSpecificConfig vectors") {
  for (const AscCase& c : kAsc) {
    CAPTURE(c.name);
    auto r = ParseAudioSpecificConfig(FromHex(c.hex));
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    CHECK(r->object_type == c.object_type);
    CHECK(r->sample_rate == c.sample_rate);
    CHECK(r->channels == c.channels);
    CHECK(r->core_object_type == c.core_object_type);
    CHECK(r->sampling_index == c.sampling_index);
    CHECK(r->core_sample_rate == c.core_sample_rate);
    CHECK(r->channel_config == c.channel_config);
    CHECK(r->sbr == c.sbr);
    CHECK(r->ps == c.ps);
    CHECK(AacCodecString(*r) == c.codec);
  }
}

TEST_CASE("ParseAudioSpecificConfig truncated at every length") {
  for (const AscCase& c : kAsc) {
    CAPTURE(c.name);
    const std::string asc = FromHex(c.hex);
    auto full = ParseAudioSpecificConfig(asc);
    REQUIRE(full.ok());
    bool seen_ok = false;
    for (size_t len = 0; len < asc.size(); ++len) {
      CAPTURE(len);
      auto r = ParseAudioSpecificConfig(std::string_view(asc).substr(0, len));
      if (len < 2) CHECK_FALSE(r.ok());  // 13 bits at least
      if (seen_ok) CHECK(r.ok());
      if (!r.ok()) continue;
      seen_ok = true;
      // A cut sync extension only loses the optional SBR/PS news; the core never changes.
      CHECK(r->core_object_type == full->core_object_type);
      CHECK(r->core_sample_rate == full->core_sample_rate);
      CHECK(r->channel_config == full->channel_config);
      if (!full->sbr || c.object_type != kAacObjectLc) CHECK(r->sample_rate == full->sample_rate);
    }
  }
}

TEST_CASE("ParseAudioSpecificConfig rejects reserved and truncated values") {
  auto asc = [](uint32_t aot, uint32_t sfi, uint32_t ch) {
    BitWriter w;
    w.Bits(5, aot);
    w.Bits(4, sfi);
    w.Bits(4, ch);
    w.Bits(3, 0);
    return w.Aligned();
  };
  CHECK(ParseAudioSpecificConfig(asc(2, 4, 2)).ok());
  CHECK(ParseAudioSpecificConfig(asc(0, 4, 2)).status().code() == Status::Code::kInvalid);  // null object
  CHECK_FALSE(ParseAudioSpecificConfig(asc(2, 13, 2)).ok());
  CHECK_FALSE(ParseAudioSpecificConfig(asc(2, 14, 2)).ok());
  for (uint32_t ch : {8u, 9u, 10u, 15u}) CHECK_FALSE(ParseAudioSpecificConfig(asc(2, 4, ch)).ok());
  for (uint32_t ch : {11u, 12u, 13u, 14u}) CHECK(ParseAudioSpecificConfig(asc(2, 4, ch)).ok());
  CHECK(ParseAudioSpecificConfig(asc(2, 4, 11))->channels == 7);
  CHECK(ParseAudioSpecificConfig(asc(2, 4, 13))->channels == 24);
  CHECK_FALSE(ParseAudioSpecificConfig("").ok());
  CHECK_FALSE(ParseAudioSpecificConfig(FromHex("f8")).ok());  // escape without its 6 bits
  // Explicit frequency of 0.
  BitWriter w;
  w.Bits(5, 2);
  w.Bits(4, 15);
  w.Bits(24, 0);
  w.Bits(4, 2);
  w.Bits(3, 0);
  CHECK_FALSE(ParseAudioSpecificConfig(w.Aligned()).ok());
  // HE-AAC with a reserved extension sampling index, and with a null core object type.
  BitWriter reserved_ext;
  reserved_ext.Bits(5, 5);
  reserved_ext.Bits(4, 7);
  reserved_ext.Bits(4, 2);
  reserved_ext.Bits(4, 13);
  reserved_ext.Bits(5, 2);
  reserved_ext.Bits(3, 0);
  CHECK_FALSE(ParseAudioSpecificConfig(reserved_ext.Aligned()).ok());
  BitWriter he;
  he.Bits(5, 5);
  he.Bits(4, 7);
  he.Bits(4, 2);
  he.Bits(4, 4);
  he.Bits(5, 0);
  he.Bits(3, 0);
  CHECK_FALSE(ParseAudioSpecificConfig(he.Aligned()).ok());
}

TEST_CASE("GASpecificConfig variants") {
  // frameLengthFlag, dependsOnCoreCoder + 14-bit coreCoderDelay.
  BitWriter w;
  w.Bits(5, 2);
  w.Bits(4, 3);
  w.Bits(4, 1);
  w.Bit(true);
  w.Bit(true);
  w.Bits(14, 0x3fff);
  w.Bit(false);
  auto r = ParseAudioSpecificConfig(w.Aligned());
  REQUIRE(r.ok());
  CHECK(r->channels == 1);
  CHECK(r->sample_rate == 48000);

  // ER AAC LC (17): extensionFlag with resilience flags and extensionFlag3, then epConfig.
  BitWriter er;
  er.Bits(5, 17);
  er.Bits(4, 4);
  er.Bits(4, 2);
  er.Bits(2, 0);
  er.Bit(true);
  er.Bits(3, 7);
  er.Bit(false);
  er.Bits(2, 0);
  const std::string er_asc = er.Aligned();
  r = ParseAudioSpecificConfig(er_asc);
  REQUIRE(r.ok());
  CHECK(r->object_type == 17);
  CHECK(AacCodecString(*r) == "mp4a.40.17");
  CHECK_FALSE(ParseAudioSpecificConfig(er_asc.substr(0, 2)).ok());

  // Scalable (6): layerNr follows the flags.
  BitWriter sc;
  sc.Bits(5, 6);
  sc.Bits(4, 4);
  sc.Bits(4, 2);
  sc.Bits(3, 0);
  sc.Bits(3, 5);
  r = ParseAudioSpecificConfig(sc.Aligned());
  REQUIRE(r.ok());
  CHECK(r->object_type == 6);

  // ER BSAC (22) extension: numOfSubFrame + layer_length.
  BitWriter bsac;
  bsac.Bits(5, 22);
  bsac.Bits(4, 4);
  bsac.Bits(4, 2);
  bsac.Bits(2, 0);
  bsac.Bit(true);
  bsac.Bits(16, 0xffff);
  bsac.Bit(false);
  bsac.Bits(2, 0);
  r = ParseAudioSpecificConfig(bsac.Aligned());
  REQUIRE(r.ok());
  CHECK(r->object_type == 22);
}

TEST_CASE("program_config_element channel counting") {
  // Front SCE + CPE, side CPE, back SCE, one LFE: 1 + 2 + 2 + 1 + 1 = 7 channels; mixdown fields present.
  BitWriter w;
  w.Bits(5, 2);
  w.Bits(4, 3);
  w.Bits(4, 0);   // channelConfiguration 0: PCE follows
  w.Bits(3, 0);   // GASpecificConfig flags
  w.Bits(4, 0);   // element_instance_tag
  w.Bits(2, 1);   // object_type
  w.Bits(4, 3);   // sampling_frequency_index
  w.Bits(4, 2);   // front
  w.Bits(4, 1);   // side
  w.Bits(4, 1);   // back
  w.Bits(2, 1);   // lfe
  w.Bits(3, 1);   // assoc data
  w.Bits(4, 1);   // cc
  w.Bit(true);
  w.Bits(4, 0);   // mono mixdown
  w.Bit(true);
  w.Bits(4, 0);   // stereo mixdown
  w.Bit(true);
  w.Bits(3, 0);   // matrix mixdown
  w.Bits(5, 0b00000);  // front SCE
  w.Bits(5, 0b10001);  // front CPE
  w.Bits(5, 0b10010);  // side CPE
  w.Bits(5, 0b00011);  // back SCE
  w.Bits(4, 0);        // lfe
  w.Bits(4, 0);        // assoc
  w.Bits(5, 0);        // cc
  const std::string body = w.Aligned();  // byte_alignment()
  const std::string asc = body + FromHex("02") + std::string("hi");  // comment_field_bytes
  auto r = ParseAudioSpecificConfig(asc);
  REQUIRE(r.ok());
  CHECK(r->channels == 7);
  CHECK(r->channel_config == 0);
  CHECK_FALSE(ParseAudioSpecificConfig(body + FromHex("02") + "h").ok());  // comment cut short
}

TEST_CASE("ParseAudioSpecificConfig survives every single-byte corruption") {
  for (const AscCase& c : kAsc) {
    const std::string asc = FromHex(c.hex);
    for (size_t i = 0; i < asc.size(); ++i) {
      for (int x = 1; x < 256; ++x) {
        std::string bad = asc;
        bad[i] = static_cast<char>(bad[i] ^ x);
        auto r = ParseAudioSpecificConfig(bad);
        if (r.ok()) {
          CHECK(r->sample_rate > 0);
          CHECK(r->channels >= 0);
          CHECK(r->channels <= 24 + 2 * 45 + 3);  // a PCE can name at most 45 CPEs + 3 LFEs
        }
      }
    }
  }
}

AacConfig Parsed(const char* hex) {
  auto r = ParseAudioSpecificConfig(FromHex(hex));
  REQUIRE(r.ok());
  return *r;
}

TEST_CASE("AppendAdtsHeader matches ffmpeg's adts muxer") {
  std::string out = "x";
  REQUIRE(AppendAdtsHeader(Parsed("121056e500"), 338, &out));
  CHECK(out.substr(0, 1) == "x");  // appended, not overwritten
  // The first header of `ffmpeg -c:a aac -f adts`, 44.1 kHz stereo.
  CHECK(out.substr(1) == FromHex("fff150802b3ffc"));
  out.clear();
  REQUIRE(AppendAdtsHeader(Parsed("15b056e500"), 696, &out));
  CHECK(out == FromHex("fff16d8057fffc"));  // 8 kHz 5.1
}

TEST_CASE("AppendAdtsHeader describes the core of HE-AAC and maps explicit frequencies") {
  std::string he, lc;
  REQUIRE(AppendAdtsHeader(Parsed("2b920800"), 100, &he));  // LC at 22.05 kHz; SBR is implicit in ADTS
  CHECK(he == FromHex("fff15c800d7ffc"));
  REQUIRE(AppendAdtsHeader(Parsed("1780562210"), 100, &lc));
  std::string want;
  REQUIRE(AppendAdtsHeader(Parsed("1210"), 100, &want));
  CHECK(lc == want);
}

TEST_CASE("AppendAdtsHeader fields round trip") {
  for (uint8_t aot = 1; aot <= 4; ++aot) {
    for (uint8_t index = 0; index < 13; ++index) {
      for (uint8_t ch = 0; ch <= 7; ++ch) {
        for (size_t size : {size_t{0}, size_t{1}, size_t{1000}, kAdtsMaxFrameLength - kAdtsHeaderSize}) {
          AacConfig c;
          c.core_object_type = aot;
          c.sampling_index = index;
          c.channel_config = ch;
          std::string out;
          REQUIRE(AppendAdtsHeader(c, size, &out));
          REQUIRE(out.size() == kAdtsHeaderSize);
          auto b = [&](int i) { return static_cast<uint32_t>(static_cast<uint8_t>(out[i])); };
          CHECK(((b(0) << 4) | (b(1) >> 4)) == 0xfff);       // syncword
          CHECK((b(1) & 0x0f) == 0x1);                      // MPEG-4, layer 0, no CRC
          CHECK((b(2) >> 6) == aot - 1u);
          CHECK(((b(2) >> 2) & 0x0f) == index);
          CHECK((((b(2) & 1) << 2) | (b(3) >> 6)) == ch);
          CHECK((((b(3) & 3) << 11) | (b(4) << 3) | (b(5) >> 5)) == size + kAdtsHeaderSize);
          CHECK((((b(5) & 0x1f) << 6) | (b(6) >> 2)) == 0x7ff);  // buffer fullness: VBR
          CHECK((b(6) & 3) == 0);                                // one raw data block
        }
      }
    }
  }
}

TEST_CASE("AppendAdtsHeader refuses what ADTS cannot carry") {
  AacConfig lc = Parsed("1210");
  std::string out = "keep";
  CHECK_FALSE(AppendAdtsHeader(lc, kAdtsMaxFrameLength - kAdtsHeaderSize + 1, &out));
  CHECK_FALSE(AppendAdtsHeader(lc, size_t{1} << 24, &out));  // e.g. a 16 MB RTMP audio message
  CHECK_FALSE(AppendAdtsHeader(Parsed("f8e640"), 10, &out));  // ELD
  AacConfig c = lc;
  c.core_object_type = 0;
  CHECK_FALSE(AppendAdtsHeader(c, 10, &out));
  c = lc;
  c.channel_config = 11;
  CHECK_FALSE(AppendAdtsHeader(c, 10, &out));
  c = lc;
  c.sampling_index = 15;
  c.core_sample_rate = 44101;
  CHECK_FALSE(AppendAdtsHeader(c, 10, &out));
  c.sampling_index = 13;
  CHECK_FALSE(AppendAdtsHeader(c, 10, &out));
  CHECK(out == "keep");
}

}  // namespace
}  // namespace cdn::media
