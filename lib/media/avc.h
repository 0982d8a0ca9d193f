// H.264 parameter sets: the AVCDecoderConfigurationRecord (ISO/IEC 14496-15 5.3.3.1, the payload
// of an FLV/RTMP AVC sequence header) and the SPS fields a CDN needs (ITU-T H.264 7.3.2.1.1),
// plus the RFC 6381 codecs string. Pure functions over untrusted bytes; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lib/base/status.h"

namespace cdn::media {

// H.264 Table 7-1 nal_unit_type.
constexpr uint8_t kAvcNalSps = 7;
constexpr uint8_t kAvcNalPps = 8;

struct SpsInfo {
  uint8_t profile_idc = 0;
  uint8_t constraint_flags = 0;  // constraint_set0..5_flag + reserved_zero_2bits, as one byte
  uint8_t level_idc = 0;
  uint32_t sps_id = 0;
  uint32_t chroma_format_idc = 1;  // 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4
  bool separate_colour_plane = false;
  uint32_t bit_depth_luma = 8;
  uint32_t bit_depth_chroma = 8;
  bool scaling_matrix_present = false;
  uint32_t log2_max_frame_num = 4;
  uint32_t pic_order_cnt_type = 0;
  uint32_t max_num_ref_frames = 0;
  bool frame_mbs_only = true;  // false: fields / MBAFF (interlaced)
  int coded_width = 0;         // in luma samples, before cropping
  int coded_height = 0;
  int width = 0;               // after frame cropping: the displayed size
  int height = 0;
};

// nal: one SPS NAL unit, header byte included, emulation-prevention bytes still in.
// Parses up to vui_parameters_present_flag; VUI is not needed for the size and is not read.
base::Result<SpsInfo> ParseSps(std::string_view nal);

struct AvcConfig {
  uint8_t profile = 0;  // from the first SPS (the record's copies are not trusted over it)
  uint8_t compat = 0;
  uint8_t level = 0;
  int width = 0;
  int height = 0;
  uint8_t nal_length_size = 4;  // 1, 2 or 4
  std::vector<std::string> sps;  // NAL units, header byte included
  std::vector<std::string> pps;
};

// Needs at least one SPS, which must parse. Trailing fields (the High-profile chroma_format
// extension) are ignored.
base::Result<AvcConfig> ParseAvcDecoderConfig(std::string_view data);

// RFC 6381 3.3: "avc1.PPCCLL", lowercase hex of profile, constraint flags and level.
std::string AvcCodecString(const AvcConfig& config);

}  // namespace cdn::media
