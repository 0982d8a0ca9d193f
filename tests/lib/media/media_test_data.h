// Media test vectors: real encoder output (ffmpeg 5.1 / libx264 / ffmpeg aac) captured once as
// bytes, so the tests do not need ffmpeg at run time, plus small helpers to craft bitstreams.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cdn::media::testing {

inline std::string FromHex(std::string_view hex) {
  auto nibble = [](char c) -> int { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
  return out;
}

// The first 743 bytes of `ffmpeg -f lavfi -i testsrc2=size=640x360 -f lavfi -i sine -c:v libx264
// -preset veryfast -c:a aac -f flv`: header, onMetaData, AVC and AAC sequence headers, one AAC frame.
inline const std::string kFlvPrefix640 = FromHex(
    "464c5601050000000900000000120001250000000000000002000a6f6e4d65746144617461080000000d000864757261"
    "74696f6e003fba5e353f7ced91000577696474680040840000000000000006686569676874004076800000000000000d"
    "766964656f646174617261746500000000000000000000096672616d6572617465004039000000000000000c76696465"
    "6f636f646563696400401c000000000000000d617564696f646174617261746500405f400000000000000f617564696f"
    "73616d706c65726174650040e5888000000000000f617564696f73616d706c6573697a65004030000000000000000673"
    "746572656f0101000c617564696f636f64656369640040240000000000000007656e636f64657202000d4c6176663539"
    "2e32372e313030000866696c6573697a650040c717000000000000000900000130090000320000000000000017000000"
    "000164001effe1001a6764001eacd940a02ff97011000003000100000300320f162d9601000468ef8fcbfdf8f8000000"
    "003d0800000700000000000000af00121056e500000000120800014000000000000000af01de02004c61766335392e33"
    "372e3130300042361ffffffffc0096b943887a971b6fd7ebacbea6b3552f7adce2fc75b924770e840416d5b3f52fa8ec"
    "6ec9ed6fcefad1100098438563d1fd9bfb3f92d1b8b68dc5bf23ebddd3c5ddd3c5db37477aef79774f1762b8b5334d6c"
    "dd1d9a7355334d5334d5334d5333162b85613855334d62e362e362e36e775b9dd6b75d3674d9d3674d9d3674d9d36762"
    "e362e362e362e36b75dadd76b75dadd762e31251251251251254d9d3674d9d3674d9d367125125125125125125125125"
    "12512512512512512512512512512512512512512512512512512512512512512512512512512512fbcfbc53cf92fbcf"
    "bcfbcfbcfbcfc514514514514514514514514514514514514b0fc7e1d4b8db7ebf5d65f5359aa97bd6e717e3adc923b8"
    "742020000000000000000000000000000000e00000014b");

// libx264 High 3.0, 640x360 (coded 640x368, frame_crop_bottom_offset 4): FLV video tag body.
inline const std::string kAvcTag640 = FromHex(
    "17000000000164001effe1001a6764001eacd940a02ff97011000003000100000300320f162d9601000468ef8fcbfdf8"
    "f800");

// libx264 High 3.1, 1280x720, no cropping.
inline const std::string kAvcTag720 = FromHex(
    "17000000000164001fffe1001a6764001facd9405005bb011000000300100000030320f183196001000468ef8fcbfdf8"
    "f800");

// libx264 High 4.0, 1920x1080 (coded 1920x1088, crop bottom 4).
inline const std::string kAvcTag1080 = FromHex(
    "170000000001640028ffe1001b67640028acd940780227e5c044000003000400000300c83c60c65801000468ef8fcbfd"
    "f8f800");

// libx264 -profile:v baseline: Constrained Baseline 3.0, 640x360, no High extension in avcC.
inline const std::string kAvcTagBaseline = FromHex(
    "17000000000142c01effe100196742c01eda0280bfe5c044000003000400000300c83c58ba8001000468ce0fc8");

// libx264 -profile:v main: Main 3.1, 1280x720.
inline const std::string kAvcTagMain = FromHex(
    "1700000000014d401fffe10019674d401feca02802dd80880000030008000003019078c18cb001000468ef8fc8");

// libx264 interlaced=1: High 4.0 1920x1080, frame_mbs_only_flag 0 (17 map units of 32 rows, crop 2 units of 4).
inline const std::string kAvcTagInterlaced = FromHex(
    "170000000001640028ffe1001a67640028acd94078044fde0220000003002000000643e2c5b2c001000468fe8fcbfdf8"
    "f800");

// libx264 yuv420p10le: High 10 3.0, 640x360, 10-bit.
inline const std::string kAvcTagHigh10 = FromHex(
    "1700000000016e001effe1001b676e001ea6cd940a02ff97011000000300100000030320f162d96001000468ef8fcbfd"
    "fafa00");

// libx264 yuv444p: High 4:4:4 Predictive 1.3, 320x240.
inline const std::string kAvcTagHigh444 = FromHex(
    "170000000001f4000dffe1001967f4000d919b28283f6022000003000200000300641e28532c01000668ef8f192190ff"
    "f8f800");

// libx264 642x362: crop right 7 and bottom 3 chroma units.
inline const std::string kAvcTagOdd = FromHex(
    "17000000000164001effe1001b6764001eacd940a42fe224c044000003000400000300c83c58b65801000468ef8fcbfd"
    "f8f800");

// kAvcTag720's SPS after `-bsf:v h264_metadata=crop_left=32:crop_right=16:crop_top=8:crop_bottom=8`: 1232x704.
inline const std::string kSpsCrop720 = FromHex(
    "6764001facd9405005bc2224a5c044000003000400000300c83c60c658");

// The interlaced SPS after h264_metadata crop_left=2:crop_right=4:crop_top=4:crop_bottom=12: 1914x1072.
inline const std::string kSpsCropInterlaced = FromHex(
    "67640028acd94078044e9a260220000003002000000643e2c5b2c0");

// libx264 yuv422p 322x241: High 4:2:2, crop unit 2x1.
inline const std::string kSps422 = FromHex(
    "677a000dbcd941508788843ff01e201e31000003000100000300320f142996");

// libx264 yuv444p interlaced 321x242: crop unit 1x2.
inline const std::string kSps444Interlaced = FromHex(
    "67f40015919b282a21e1088ffc0f200f0c40000003004000000c87c50a6580");

// kAvcTag640's SPS with seq_scaling_matrix_present_flag = 1 and 8 lists spliced in (explicit 4x4
// and 8x8 lists, use-default, absent, early end); ffmpeg decodes the stream and reports 640x360.
inline const std::string kSpsScaling420 = FromHex(
    "6764001ead8200b82004004d406004a0e41107008a0e81385cd08a0b982d0b0542707c110620620420ec70349c08a042"
    "41905a16940840980ba14080230640dc1d02304008826041170213100e42c08c1d0500a604002181201a8240c04c782c"
    "0761208044689120460278108501142a0f811870a0c808e0c812854140114c0c868210260370c82c160c40a004d02c06"
    "d070609020a05c0b611d940a02ff97011000000300100000030320f162d960");

// kAvcTagHigh444's SPS with 12 scaling lists spliced in, as above; ffmpeg reports 320x240.
inline const std::string kSpsScaling444 = FromHex(
    "67f4000d91b0401704008009a80c00941c8220e01141d0270b9a11417305a160a84e0f8220c40c40841d8e0693811408"
    "48320b42d2810813017428100460c81b83a0460801104c0822e0426201c8581183a0a014c08004302403504818098f05"
    "80ec2410088d122408c04f0210a0228541f0230e1419011c190250a82802298190d04204c06e190582c18814009a0580"
    "da0e0c1204140b816c224230220f18053d94141fb011000003000100000300320f142996");

// Hand-written, checked with ffmpeg's trace_headers: Main, sps_id 3, pic_order_cnt_type 1 with a
// 3-entry cycle, MBAFF (frame_mbs_only 0), 720x576 cropped by 2 units of 4 rows: 720x568.
inline const std::string kSpsPocType1 = FromHex(
    "674d401e2150a28887802582816849fb40");

// Hand-written, checked with trace_headers: High, chroma_format_idc 0, 10-bit, 320x240 with
// crop 1/2/3/4 in single samples: 317x233.
inline const std::string kSpsMonochrome = FromHex(
    "67640015db2d0283fa642a");

// MSB-first bit writer with exp-Golomb codes, for crafting SPS and AudioSpecificConfig cases.
class BitWriter {
 public:
  void Bits(int n, uint64_t v) {
    for (int i = n - 1; i >= 0; --i) Bit((v >> i) & 1);
  }
  void Bit(bool b) {
    if (bits_ % 8 == 0) out_.push_back(0);
    if (b) out_.back() = static_cast<char>(out_.back() | (0x80 >> (bits_ % 8)));
    ++bits_;
  }
  void Ue(uint64_t v) {  // H.264 9.1
    const uint64_t code = v + 1;
    int len = 0;
    while ((code >> len) > 1) ++len;
    Bits(len, 0);
    Bits(len + 1, code);
  }
  void Se(int64_t v) { Ue(v > 0 ? 2 * static_cast<uint64_t>(v) - 1 : 2 * static_cast<uint64_t>(-v)); }
  // rbsp_trailing_bits(): a stop bit, then zeros to the byte boundary.
  std::string Finish() {
    Bit(true);
    while (bits_ % 8) Bit(false);
    return out_;
  }
  std::string Aligned() {
    while (bits_ % 8) Bit(false);
    return out_;
  }

 private:
  std::string out_;
  size_t bits_ = 0;
};

// H.264 7.4.1: inserts emulation_prevention_three_byte so no 0x0000xx (xx <= 3) appears.
inline std::string AddEmulationPrevention(std::string_view rbsp) {
  std::string out;
  int zeros = 0;
  for (char c : rbsp) {
    const uint8_t b = static_cast<uint8_t>(c);
    if (zeros >= 2 && b <= 3) {
      out.push_back(3);
      zeros = 0;
    }
    out.push_back(c);
    zeros = b == 0 ? zeros + 1 : 0;
  }
  return out;
}

}  // namespace cdn::media::testing
