// AVCDecoderConfigurationRecord and SPS parsing; see avc.h.
#include "lib/media/avc.h"

#include <cstdio>
#include <string>

#include "lib/base/bytes.h"
#include "lib/media/bit_reader.h"

namespace cdn::media {
namespace {

using base::Status;

// Far above level 6.2's 8192x4320; keeps every size computation well inside int.
constexpr uint32_t kMaxMbsPerSide = 4096;

// H.264 7.3.2.1.1: profiles whose SPS carries chroma_format_idc .. seq_scaling_matrix_present_flag.
bool HasChromaInfo(uint8_t profile_idc) {
  switch (profile_idc) {
    case 100: case 110: case 122: case 244: case 44: case 83: case 86:
    case 118: case 128: case 138: case 139: case 134: case 135:
      return true;
    default:
      return false;
  }
}

// H.264 7.3.2.1.1.1 scaling_list(): only walked, the values are not kept.
bool SkipScalingList(BitReader* r, int size) {
  int last_scale = 8, next_scale = 8;
  for (int j = 0; j < size; ++j) {
    if (next_scale != 0) {
      int32_t delta;
      if (!r->ReadSe(&delta) || delta < -128 || delta > 127) return false;
      next_scale = (last_scale + delta + 256) % 256;
    }
    last_scale = (next_scale == 0) ? last_scale : next_scale;
  }
  return true;
}

// 14496-15 5.3.3.1.2: `count` NAL units, each a UI16 length and the unit, all of one nal_unit_type.
Status ReadNalList(base::ByteReader* r, int count, uint8_t type, std::vector<std::string>* out) {
  for (int i = 0; i < count; ++i) {
    uint16_t len;
    std::string_view nal;
    if (!r->ReadU16(&len) || !r->ReadBytes(len, &nal)) return Status::Invalid("avcC: truncated");
    if (nal.empty() || (static_cast<uint8_t>(nal[0]) & 0x1f) != type) {
      return Status::Invalid(type == kAvcNalSps ? "avcC: bad SPS" : "avcC: bad PPS");
    }
    out->emplace_back(nal);
  }
  return Status::Ok();
}

// Reads ue(v) into *v and fails unless it is <= max.
bool ReadUeMax(BitReader* r, uint32_t max, uint32_t* v) { return r->ReadUe(v) && *v <= max; }

}  // namespace

base::Result<SpsInfo> ParseSps(std::string_view nal) {
  if (nal.empty()) return Status::Invalid("sps: empty");
  const uint8_t header = static_cast<uint8_t>(nal[0]);
  if ((header & 0x80) || (header & 0x1f) != kAvcNalSps) return Status::Invalid("sps: not an SPS NAL unit");
  const std::string rbsp = NalToRbsp(nal.substr(1));
  BitReader r(rbsp);
  SpsInfo s;
  uint32_t v;
  bool flag;
  const Status truncated = Status::Invalid("sps: truncated or out-of-range field");
  if (!r.ReadBits(8, &v)) return truncated;
  s.profile_idc = static_cast<uint8_t>(v);
  if (!r.ReadBits(8, &v)) return truncated;
  s.constraint_flags = static_cast<uint8_t>(v);
  if (!r.ReadBits(8, &v)) return truncated;
  s.level_idc = static_cast<uint8_t>(v);
  if (!ReadUeMax(&r, 31, &s.sps_id)) return truncated;
  if (HasChromaInfo(s.profile_idc)) {
    if (!ReadUeMax(&r, 3, &s.chroma_format_idc)) return truncated;
    if (s.chroma_format_idc == 3 && !r.ReadFlag(&s.separate_colour_plane)) return truncated;
    uint32_t luma_minus8, chroma_minus8;
    if (!ReadUeMax(&r, 6, &luma_minus8) || !ReadUeMax(&r, 6, &chroma_minus8)) return truncated;
    s.bit_depth_luma = luma_minus8 + 8;
    s.bit_depth_chroma = chroma_minus8 + 8;
    if (!r.ReadFlag(&flag)) return truncated;  // qpprime_y_zero_transform_bypass_flag
    if (!r.ReadFlag(&s.scaling_matrix_present)) return truncated;
    if (s.scaling_matrix_present) {
      const int lists = s.chroma_format_idc != 3 ? 8 : 12;
      for (int i = 0; i < lists; ++i) {
        if (!r.ReadFlag(&flag)) return truncated;  // seq_scaling_list_present_flag[i]
        if (flag && !SkipScalingList(&r, i < 6 ? 16 : 64)) return truncated;
      }
    }
  }
  uint32_t log2_max_frame_num_minus4;
  if (!ReadUeMax(&r, 12, &log2_max_frame_num_minus4)) return truncated;
  s.log2_max_frame_num = log2_max_frame_num_minus4 + 4;
  if (!ReadUeMax(&r, 2, &s.pic_order_cnt_type)) return truncated;
  if (s.pic_order_cnt_type == 0) {
    if (!ReadUeMax(&r, 12, &v)) return truncated;  // log2_max_pic_order_cnt_lsb_minus4
  } else if (s.pic_order_cnt_type == 1) {
    int32_t offset;
    if (!r.ReadFlag(&flag)) return truncated;  // delta_pic_order_always_zero_flag
    if (!r.ReadSe(&offset) || !r.ReadSe(&offset)) return truncated;  // non_ref_pic, top_to_bottom
    uint32_t cycle;
    if (!ReadUeMax(&r, 255, &cycle)) return truncated;
    for (uint32_t i = 0; i < cycle; ++i) {
      if (!r.ReadSe(&offset)) return truncated;  // offset_for_ref_frame[i]
    }
  }
  if (!r.ReadUe(&s.max_num_ref_frames)) return truncated;
  if (!r.ReadFlag(&flag)) return truncated;  // gaps_in_frame_num_value_allowed_flag
  uint32_t width_mbs_minus1, height_map_units_minus1;
  if (!ReadUeMax(&r, kMaxMbsPerSide - 1, &width_mbs_minus1)) return truncated;
  if (!ReadUeMax(&r, kMaxMbsPerSide - 1, &height_map_units_minus1)) return truncated;
  if (!r.ReadFlag(&s.frame_mbs_only)) return truncated;
  if (!s.frame_mbs_only && !r.ReadFlag(&flag)) return truncated;  // mb_adaptive_frame_field_flag
  if (!r.ReadFlag(&flag)) return truncated;                        // direct_8x8_inference_flag
  bool cropping;
  uint32_t crop[4] = {0, 0, 0, 0};  // left, right, top, bottom
  if (!r.ReadFlag(&cropping)) return truncated;
  if (cropping) {
    for (uint32_t& c : crop) {
      if (!ReadUeMax(&r, kMaxMbsPerSide * 16, &c)) return truncated;
    }
  }
  if (!r.ReadFlag(&flag)) return truncated;  // vui_parameters_present_flag: last field read

  // 7.4.2.1.1: frame size in luma samples, and the crop units of equations 7-19 .. 7-22.
  const uint32_t field_factor = s.frame_mbs_only ? 1 : 2;
  s.coded_width = static_cast<int>((width_mbs_minus1 + 1) * 16);
  s.coded_height = static_cast<int>(field_factor * (height_map_units_minus1 + 1) * 16);
  const uint32_t chroma_array_type = s.separate_colour_plane ? 0 : s.chroma_format_idc;
  uint32_t crop_unit_x = 1, crop_unit_y = field_factor;
  if (chroma_array_type != 0) {
    const uint32_t sub_width_c = chroma_array_type == 3 ? 1 : 2;
    const uint32_t sub_height_c = chroma_array_type == 1 ? 2 : 1;
    crop_unit_x = sub_width_c;
    crop_unit_y = sub_height_c * field_factor;
  }
  const uint64_t crop_x = uint64_t{crop_unit_x} * (uint64_t{crop[0]} + crop[1]);
  const uint64_t crop_y = uint64_t{crop_unit_y} * (uint64_t{crop[2]} + crop[3]);
  if (crop_x >= static_cast<uint64_t>(s.coded_width) || crop_y >= static_cast<uint64_t>(s.coded_height)) {
    return Status::Invalid("sps: cropping removes the whole picture");
  }
  s.width = s.coded_width - static_cast<int>(crop_x);
  s.height = s.coded_height - static_cast<int>(crop_y);
  return s;
}

base::Result<AvcConfig> ParseAvcDecoderConfig(std::string_view data) {
  // ISO/IEC 14496-15 5.3.3.1.1: configurationVersion, AVCProfileIndication, profile_compatibility,
  // AVCLevelIndication, 6 reserved bits + lengthSizeMinusOne, 3 reserved bits + numOfSequenceParameterSets.
  base::ByteReader r(data);
  const Status truncated = Status::Invalid("avcC: truncated");
  uint8_t version, profile, compat, level, length_byte, num_sps;
  if (!r.ReadU8(&version) || !r.ReadU8(&profile) || !r.ReadU8(&compat) || !r.ReadU8(&level) ||
      !r.ReadU8(&length_byte) || !r.ReadU8(&num_sps)) {
    return truncated;
  }
  if (version != 1) return Status::Unsupported("avcC: configurationVersion " + std::to_string(version));
  // Reserved bits are meant to be all ones; some encoders write zeros, so they are not checked.
  AvcConfig config;
  config.nal_length_size = static_cast<uint8_t>((length_byte & 0x03) + 1);
  if (config.nal_length_size == 3) return Status::Invalid("avcC: lengthSizeMinusOne 2 is not allowed");
  CDN_RETURN_IF_ERROR(ReadNalList(&r, num_sps & 0x1f, kAvcNalSps, &config.sps));
  uint8_t num_pps;
  if (!r.ReadU8(&num_pps)) return truncated;
  CDN_RETURN_IF_ERROR(ReadNalList(&r, num_pps, kAvcNalPps, &config.pps));
  if (config.sps.empty()) return Status::Invalid("avcC: no SPS");
  auto sps = ParseSps(config.sps[0]);
  if (!sps.ok()) return sps.status().WithContext("avcC");
  config.profile = sps->profile_idc;
  config.compat = sps->constraint_flags;
  config.level = sps->level_idc;
  config.width = sps->width;
  config.height = sps->height;
  return config;
}

std::string AvcCodecString(const AvcConfig& config) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "avc1.%02x%02x%02x", config.profile, config.compat, config.level);
  return buf;
}

}  // namespace cdn::media
