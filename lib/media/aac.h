// AAC AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1, the payload of an FLV/RTMP AAC sequence
// header), the RFC 6381 codecs string, and the 7-byte ADTS header (14496-3 1.A.2.2) that MPEG-TS
// / HLS needs in front of each raw AAC frame. Pure functions over untrusted bytes; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "lib/base/status.h"

namespace cdn::media {

// ISO/IEC 14496-3 1.5.1.1 Table 1.1 audio object types.
constexpr uint8_t kAacObjectMain = 1;
constexpr uint8_t kAacObjectLc = 2;
constexpr uint8_t kAacObjectSbr = 5;  // HE-AAC
constexpr uint8_t kAacObjectPs = 29;  // HE-AAC v2

constexpr size_t kAdtsHeaderSize = 7;          // 1.A.2.2.1, protection_absent = 1 (no CRC)
constexpr size_t kAdtsMaxFrameLength = 8191;   // aac_frame_length is 13 bits, header included

struct AacConfig {
  uint8_t object_type = 0;  // as signalled first: 2 for LC (also LC with backward-compatible
                            // SBR), 5 or 29 for explicitly signalled HE-AAC / HE-AAC v2
  int sample_rate = 0;      // output rate: the SBR rate when SBR is present
  int channels = 0;         // output channels: 2 for a mono core with PS
  // The core coder, which is what an ADTS header describes.
  uint8_t core_object_type = 0;   // 2 under HE-AAC
  uint8_t sampling_index = 0;     // core samplingFrequencyIndex; 15 = explicit frequency
  int core_sample_rate = 0;
  uint8_t channel_config = 0;     // channelConfiguration; 0 = program_config_element
  bool sbr = false;
  bool ps = false;
};

// Errors: truncated, reserved sampling index / channel configuration (Invalid). Object types
// without a GASpecificConfig (e.g. ELD, USAC) parse as far as the channel configuration: their
// own SBR/PS is not detected, and channels is 0 when their layout is not a channelConfiguration.
base::Result<AacConfig> ParseAudioSpecificConfig(std::string_view data);

// RFC 6381 3.3: "mp4a.40.<object_type>", e.g. "mp4a.40.2", "mp4a.40.5".
std::string AacCodecString(const AacConfig& config);

// Appends a 7-byte ADTS header (MPEG-4, no CRC, one raw data block) for a payload_size-byte raw
// frame. Returns false, appending nothing, when ADTS cannot describe it: a core object type above
// 4, an explicit frequency that is not in the index table, channel_config > 7, or a frame over
// 8184 bytes. Callers pass network data, so this is a value check, not an assert.
[[nodiscard]] bool AppendAdtsHeader(const AacConfig& config, size_t payload_size, std::string* out);

}  // namespace cdn::media
