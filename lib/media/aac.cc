// AudioSpecificConfig parsing and ADTS headers; see aac.h.
#include "lib/media/aac.h"

#include <string>

#include "lib/base/bytes.h"
#include "lib/media/bit_reader.h"

namespace cdn::media {
namespace {

using base::Status;

// 14496-3 1.6.3.4 Table 1.18 samplingFrequencyIndex; 13 and 14 reserved, 15 = explicit 24 bits.
constexpr int kSampleRates[13] = {96000, 88200, 64000, 48000, 44100, 32000, 24000,
                                  22050, 16000, 12000, 11025, 8000,  7350};
constexpr uint32_t kExplicitFrequencyIndex = 15;

// 1.6.3.5 Table 1.19 channelConfiguration, with the 14496-3:2009/Amd 4 additions (11..14).
// 0 = defined by a program_config_element; -1 = reserved.
constexpr int kChannelsForConfig[16] = {0, 1, 2, 3, 4, 5, 6, 8, -1, -1, -1, 7, 8, 24, 8, -1};

// 1.6.5.2 / 1.6.6.2 sync extensions after the specific config (backward-compatible signalling).
constexpr uint32_t kSyncExtensionSbr = 0x2b7;
constexpr uint32_t kSyncExtensionPs = 0x548;
constexpr uint8_t kAacObjectErBsac = 22;

// 1.6.2.1 GetAudioObjectType(): 5 bits, 31 escapes to 32 + 6 more bits.
bool ReadObjectType(BitReader* r, uint8_t* aot) {
  uint32_t v;
  if (!r->ReadBits(5, &v)) return false;
  if (v == 31) {
    uint32_t ext;
    if (!r->ReadBits(6, &ext)) return false;
    v = 32 + ext;
  }
  *aot = static_cast<uint8_t>(v);
  return true;
}

// samplingFrequencyIndex [+ samplingFrequency]; fails on reserved indexes and a zero rate.
bool ReadSampleRate(BitReader* r, uint8_t* index, int* rate) {
  uint32_t v;
  if (!r->ReadBits(4, &v)) return false;
  *index = static_cast<uint8_t>(v);
  if (v == kExplicitFrequencyIndex) {
    if (!r->ReadBits(24, &v) || v == 0) return false;
    *rate = static_cast<int>(v);
    return true;
  }
  if (v >= 13) return false;
  *rate = kSampleRates[v];
  return true;
}

bool UsesGaSpecificConfig(uint8_t aot) {
  switch (aot) {
    case 1: case 2: case 3: case 4: case 6: case 7: case 17: case 19: case 20: case 21: case 22: case 23:
      return true;
    default:
      return false;
  }
}

bool HasEpConfig(uint8_t aot) {
  switch (aot) {
    case 17: case 19: case 20: case 21: case 22: case 23: case 24: case 25: case 26: case 27: case 39:
      return true;
    default:
      return false;
  }
}

// 4.4.1.1 program_config_element(); sets *channels to front + side + back (a CPE counts two) + LFE.
bool ReadProgramConfigElement(BitReader* r, int* channels) {
  uint32_t tag_objtype_sfi, num_front, num_side, num_back, num_lfe, num_assoc, num_cc;
  if (!r->ReadBits(10, &tag_objtype_sfi) || !r->ReadBits(4, &num_front) || !r->ReadBits(4, &num_side) ||
      !r->ReadBits(4, &num_back) || !r->ReadBits(2, &num_lfe) || !r->ReadBits(3, &num_assoc) ||
      !r->ReadBits(4, &num_cc)) {
    return false;
  }
  bool present;
  for (int bits : {4, 4, 3}) {  // mono_mixdown, stereo_mixdown (element_number), matrix_mixdown
    if (!r->ReadFlag(&present) || (present && !r->Skip(bits))) return false;
  }
  int count = 0;
  for (uint32_t i = 0; i < num_front + num_side + num_back; ++i) {
    bool is_cpe;
    if (!r->ReadFlag(&is_cpe) || !r->Skip(4)) return false;
    count += is_cpe ? 2 : 1;
  }
  count += static_cast<int>(num_lfe);
  if (!r->Skip(4 * (num_lfe + num_assoc) + 5 * num_cc)) return false;
  uint32_t comment_bytes;
  if (!r->ByteAlign() || !r->ReadBits(8, &comment_bytes) || !r->Skip(8 * comment_bytes)) return false;
  *channels = count;
  return true;
}

// 4.4.1 GASpecificConfig().
bool ReadGaSpecificConfig(BitReader* r, uint8_t channel_config, uint8_t aot, int* pce_channels) {
  bool depends_on_core, extension;
  if (!r->Skip(1) || !r->ReadFlag(&depends_on_core)) return false;  // frameLengthFlag
  if (depends_on_core && !r->Skip(14)) return false;                 // coreCoderDelay
  if (!r->ReadFlag(&extension)) return false;
  if (channel_config == 0 && !ReadProgramConfigElement(r, pce_channels)) return false;
  if ((aot == 6 || aot == 20) && !r->Skip(3)) return false;  // layerNr
  if (extension) {
    if (aot == kAacObjectErBsac && !r->Skip(5 + 11)) return false;  // numOfSubFrame, layer_length
    if ((aot == 17 || aot == 19 || aot == 20 || aot == 23) && !r->Skip(3)) return false;  // resilience flags
    if (!r->Skip(1)) return false;                                                      // extensionFlag3
  }
  return true;
}

// The backward-compatible SBR/PS signalling of 1.6.2.1 (the syncExtensionType loop).
// Optional trailing data: on any failure the config is left as the core describes it.
void ReadSyncExtension(BitReader r, AacConfig* c) {
  uint32_t sync;
  uint8_t ext_aot, ext_index;
  bool sbr;
  int ext_rate = 0;
  if (r.bits_left() < 16 || !r.ReadBits(11, &sync) || sync != kSyncExtensionSbr) return;
  if (!ReadObjectType(&r, &ext_aot)) return;
  if (ext_aot != kAacObjectSbr && ext_aot != kAacObjectErBsac) return;
  if (!r.ReadFlag(&sbr)) return;
  if (sbr && !ReadSampleRate(&r, &ext_index, &ext_rate)) return;
  if (ext_aot == kAacObjectErBsac && !r.Skip(4)) return;  // extensionChannelConfiguration
  bool ps = false;
  if (ext_aot == kAacObjectSbr && sbr && r.bits_left() >= 12) {
    if (!r.ReadBits(11, &sync)) return;
    if (sync == kSyncExtensionPs && !r.ReadFlag(&ps)) return;
  }
  c->sbr = sbr;
  c->ps = ps;
  if (sbr) c->sample_rate = ext_rate;
}

}  // namespace

base::Result<AacConfig> ParseAudioSpecificConfig(std::string_view data) {
  BitReader r(data);
  AacConfig c;
  const Status truncated = Status::Invalid("AudioSpecificConfig: truncated or reserved value");
  if (!ReadObjectType(&r, &c.object_type) || c.object_type == 0) return truncated;
  if (!ReadSampleRate(&r, &c.sampling_index, &c.core_sample_rate)) return truncated;
  uint32_t channel_config;
  if (!r.ReadBits(4, &channel_config) || kChannelsForConfig[channel_config] < 0) return truncated;
  c.channel_config = static_cast<uint8_t>(channel_config);
  c.sample_rate = c.core_sample_rate;
  c.core_object_type = c.object_type;
  // Explicit hierarchical signalling: HE-AAC (v2) wraps the core object type.
  if (c.object_type == kAacObjectSbr || c.object_type == kAacObjectPs) {
    c.sbr = true;
    c.ps = c.object_type == kAacObjectPs;
    uint8_t ext_index;
    if (!ReadSampleRate(&r, &ext_index, &c.sample_rate)) return truncated;
    if (!ReadObjectType(&r, &c.core_object_type) || c.core_object_type == 0) return truncated;
    // ER BSAC also carries extensionChannelConfiguration.
    if (c.core_object_type == kAacObjectErBsac && !r.Skip(4)) return truncated;
  }
  int channels = kChannelsForConfig[c.channel_config];
  if (UsesGaSpecificConfig(c.core_object_type)) {
    if (!ReadGaSpecificConfig(&r, c.channel_config, c.core_object_type, &channels)) return truncated;
    uint32_t ep_config = 0;
    if (HasEpConfig(c.core_object_type) && !r.ReadBits(2, &ep_config)) return truncated;
    // epConfig 2 and 3 put an ErrorProtectionSpecificConfig before any sync extension.
    if (!c.sbr && ep_config < 2) ReadSyncExtension(r, &c);
  }
  // Parametric stereo turns a mono core into stereo output.
  c.channels = (c.ps && channels == 1) ? 2 : channels;
  return c;
}

std::string AacCodecString(const AacConfig& config) {
  return "mp4a.40." + std::to_string(config.object_type);
}

bool AppendAdtsHeader(const AacConfig& config, size_t payload_size, std::string* out) {
  if (config.core_object_type < 1 || config.core_object_type > 4) return false;  // profile_ObjectType: 2 bits
  uint32_t index = config.sampling_index;
  if (index == kExplicitFrequencyIndex) {
    index = 13;
    for (uint32_t i = 0; i < 13; ++i) {
      if (kSampleRates[i] == config.core_sample_rate) index = i;
    }
  }
  if (index >= 13 || config.channel_config > 7) return false;
  if (payload_size > kAdtsMaxFrameLength - kAdtsHeaderSize) return false;
  const uint32_t frame_length = static_cast<uint32_t>(payload_size + kAdtsHeaderSize);
  const uint32_t profile = config.core_object_type - 1u;
  const uint32_t ch = config.channel_config;
  // 1.A.2.2.1 adts_fixed_header + adts_variable_header: syncword 0xFFF, ID 0 (MPEG-4), layer 0,
  // protection_absent 1, profile, index, private 0, channels, original/home/copyright bits 0,
  // aac_frame_length, adts_buffer_fullness 0x7FF (VBR), number_of_raw_data_blocks_in_frame 0.
  base::PutU8(out, 0xff);
  base::PutU8(out, 0xf1);
  base::PutU8(out, static_cast<uint8_t>((profile << 6) | (index << 2) | (ch >> 2)));
  base::PutU8(out, static_cast<uint8_t>(((ch & 3) << 6) | (frame_length >> 11)));
  base::PutU8(out, static_cast<uint8_t>((frame_length >> 3) & 0xff));
  base::PutU8(out, static_cast<uint8_t>(((frame_length & 7) << 5) | 0x1f));
  base::PutU8(out, 0xfc);
  return true;
}

}  // namespace cdn::media
