// MPEG-2 transport stream writer (ISO/IEC 13818-1) for HLS segments: PAT/PMT, PES packets with
// PTS/DTS, PCR, per-PID continuity counters that run on across segments, adaptation-field
// stuffing; plus the H.264 AVCC -> Annex B conversion (ITU-T H.264 Annex B, 7.4.1.2.3) that
// puts an AUD and the SPS/PPS in front of every IDR. H.264 + AAC (ADTS) only: HEVC is not
// muxed (stream_type 0x24 would be the place to add it). A pure encoder: it appends to a
// caller's buffer and does no I/O. One TsMuxer per output stream; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "lib/base/status.h"
#include "lib/media/avc.h"

namespace cdn::media {

// 13818-1 2.4.3.2: transport packets are 188 bytes and start with sync_byte 0x47.
constexpr size_t kTsPacketSize = 188;
constexpr uint8_t kTsSyncByte = 0x47;
// PIDs as ffmpeg's mpegts muxer numbers them (players do not care; tools that diff do).
constexpr uint16_t kTsPidPat = 0x0000;    // 2.4.4.3 Table 2-3
constexpr uint16_t kTsPidPmt = 0x1000;
constexpr uint16_t kTsPidVideo = 0x0100;
constexpr uint16_t kTsPidAudio = 0x0101;
// 2.4.4.10 Table 2-34 stream_type.
constexpr uint8_t kTsStreamTypeAacAdts = 0x0f;  // ISO/IEC 13818-7 audio with ADTS transport syntax
constexpr uint8_t kTsStreamTypeH264 = 0x1b;
// 2.4.3.7 Table 2-22 stream_id.
constexpr uint8_t kPesStreamIdVideo = 0xe0;
constexpr uint8_t kPesStreamIdAudio = 0xc0;
// 2.4.2.2: the 90 kHz system clock base; PTS/DTS are 33 bits.
constexpr uint64_t kTs90kMask = (uint64_t{1} << 33) - 1;
// Added to every PTS/DTS so that the PCR (the DTS without it) leads the decode times, and so
// that a negative composition offset still gives a valid PTS: 0.7 s, ffmpeg's default muxdelay.
constexpr int64_t kTsTimestampOffset = 63000;

// CRC-32/MPEG-2 (13818-1 Annex A: polynomial 0x04C11DB7, initial value 0xFFFFFFFF, no
// reflection, no final xor) over PSI sections.
uint32_t Crc32Mpeg2(std::string_view data);

// 2.4.3.7 PTS/DTS field: 5 bytes, `prefix` in the top 4 bits (0x2 PTS only, 0x3 PTS followed by
// a DTS, 0x1 the DTS), the 33-bit value split 3/15/15 with marker bits.
void AppendPesTimestamp(uint8_t prefix, uint64_t ts90k, std::string* out);

class TsMuxer {
 public:
  // Which elementary streams the PMT announces. The PCR rides on the video PID, or on the audio
  // PID when there is no video.
  TsMuxer(bool has_video, bool has_audio) { SetTracks(has_video, has_audio); }
  void SetTracks(bool has_video, bool has_audio);
  bool has_video() const { return has_video_; }
  bool has_audio() const { return has_audio_; }

  // One PAT and one PMT packet: what every segment starts with (RFC 8216 3.2 needs them in each
  // segment so each can be decoded on its own).
  void WriteTables(std::string* out);

  // One H.264 access unit in Annex B form (see AvccToAnnexB) as one PES on kTsPidVideo, with a
  // PCR and, on key frames, random_access_indicator. Times in 90 kHz units, before
  // kTsTimestampOffset; they wrap to 33 bits.
  void WriteVideo(int64_t dts90k, int64_t pts90k, bool keyframe, std::string_view annexb, std::string* out);
  // One or more whole ADTS frames as one PES on kTsPidAudio (PCR too when there is no video).
  void WriteAudio(int64_t pts90k, std::string_view adts, std::string* out);

  // Continuity counter the next packet on `pid` will carry (tests).
  uint8_t next_cc(uint16_t pid) const;

 private:
  struct PesSpec {
    uint16_t pid;
    uint8_t stream_id;
    uint64_t pts;
    std::optional<uint64_t> dts;
    std::optional<uint64_t> pcr_base;
    bool random_access;
  };
  void WritePes(const PesSpec& spec, std::string_view es, std::string* out);
  void WriteSection(uint16_t pid, const std::string& section, std::string* out);
  uint8_t TakeCc(uint16_t pid);

  bool has_video_ = false;
  bool has_audio_ = false;
  uint8_t cc_pat_ = 0, cc_pmt_ = 0, cc_video_ = 0, cc_audio_ = 0;
};

// Converts one AVCC access unit (NAL units each prefixed by a nal_length_size-byte big-endian
// length, ISO/IEC 14496-15 5.3.4.2) to Annex B byte stream form and appends it: an access unit
// delimiter first (H.264 7.3.2.4; any the input carries are dropped), and, when the unit holds an
// IDR slice or `keyframe` is set and it carries no SPS of its own, the SPS and PPS of `config`.
// Errors (Invalid, nothing appended): a bad length size, a NAL length running past the end, an
// empty NAL unit. Input is network data: every length is checked.
base::Status AvccToAnnexB(std::string_view avcc, const AvcConfig& config, bool keyframe, std::string* out);

}  // namespace cdn::media
