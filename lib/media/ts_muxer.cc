#include "lib/media/ts_muxer.h"

#include <algorithm>
#include <array>

#include "lib/base/bytes.h"

namespace cdn::media {

namespace {

constexpr size_t kTsHeaderSize = 4;
constexpr size_t kTsPayloadMax = kTsPacketSize - kTsHeaderSize;  // 184
constexpr uint16_t kProgramNumber = 1;
constexpr uint16_t kTransportStreamId = 1;
// 2.4.4.3/2.4.4.8: reserved '11', version_number 0, current_next_indicator 1.
constexpr uint8_t kVersionCurrent = 0xc1;
// 2.4.3.5 adaptation field flags.
constexpr uint8_t kAfRandomAccess = 0x40;
constexpr uint8_t kAfPcr = 0x10;
// 2.4.3.7: '10', no scrambling, no priority, data_alignment_indicator 1.
constexpr uint8_t kPesFlags1 = 0x84;
constexpr uint8_t kPesPtsOnly = 0x80;
constexpr uint8_t kPesPtsDts = 0xc0;
// H.264 Table 7-1 nal_unit_type.
constexpr uint8_t kNalIdr = 5;
constexpr uint8_t kNalAud = 9;
constexpr char kStartCode[] = {0, 0, 0, 1};
// 7.3.2.4 access_unit_delimiter_rbsp: primary_pic_type 7 (any slice type), stop bit.
constexpr char kAud[] = {0, 0, 0, 1, 0x09, static_cast<char>(0xf0)};

std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i << 24;
    for (int k = 0; k < 8; ++k) c = (c & 0x80000000u) ? (c << 1) ^ 0x04c11db7u : c << 1;
    t[i] = c;
  }
  return t;
}

uint64_t Wrap33(int64_t v) { return static_cast<uint64_t>(v) & kTs90kMask; }

}  // namespace

uint32_t Crc32Mpeg2(std::string_view data) {
  static const std::array<uint32_t, 256> kTable = MakeCrcTable();
  uint32_t crc = 0xffffffffu;
  for (unsigned char b : data) crc = (crc << 8) ^ kTable[((crc >> 24) ^ b) & 0xff];
  return crc;
}

void AppendPesTimestamp(uint8_t prefix, uint64_t ts, std::string* out) {
  ts &= kTs90kMask;
  base::PutU8(out, static_cast<uint8_t>((prefix << 4) | ((ts >> 29) & 0x0e) | 1));
  base::PutU8(out, static_cast<uint8_t>(ts >> 22));
  base::PutU8(out, static_cast<uint8_t>(((ts >> 14) & 0xfe) | 1));
  base::PutU8(out, static_cast<uint8_t>(ts >> 7));
  base::PutU8(out, static_cast<uint8_t>(((ts << 1) & 0xfe) | 1));
}

void TsMuxer::SetTracks(bool has_video, bool has_audio) {
  has_video_ = has_video;
  has_audio_ = has_audio;
}

uint8_t TsMuxer::TakeCc(uint16_t pid) {
  uint8_t* cc = pid == kTsPidPat ? &cc_pat_ : pid == kTsPidPmt ? &cc_pmt_ : pid == kTsPidVideo ? &cc_video_ : &cc_audio_;
  const uint8_t v = *cc;
  *cc = (v + 1) & 0x0f;  // 2.4.3.3: continuity_counter, 4 bits, per PID, on packets with payload
  return v;
}

uint8_t TsMuxer::next_cc(uint16_t pid) const {
  return pid == kTsPidPat ? cc_pat_ : pid == kTsPidPmt ? cc_pmt_ : pid == kTsPidVideo ? cc_video_ : cc_audio_;
}

// A PSI section in one packet: pointer_field 0, the section, CRC, 0xff filler (2.4.4.2).
void TsMuxer::WriteSection(uint16_t pid, const std::string& section, std::string* out) {
  const size_t start = out->size();
  base::PutU8(out, kTsSyncByte);
  base::PutU16(out, static_cast<uint16_t>(0x4000 | pid));  // payload_unit_start_indicator
  base::PutU8(out, static_cast<uint8_t>(0x10 | TakeCc(pid)));  // payload only
  base::PutU8(out, 0);                                       // pointer_field
  out->append(section);
  base::PutU32(out, Crc32Mpeg2(section));
  out->resize(start + kTsPacketSize, static_cast<char>(0xff));
}

void TsMuxer::WriteTables(std::string* out) {
  // 2.4.4.3 program_association_section: one program.
  std::string pat;
  base::PutU8(&pat, 0x00);                  // table_id
  base::PutU16(&pat, 0xb000 | (5 + 4 + 4));  // section_syntax_indicator, '0', '11', section_length
  base::PutU16(&pat, kTransportStreamId);
  base::PutU8(&pat, kVersionCurrent);
  base::PutU8(&pat, 0);  // section_number
  base::PutU8(&pat, 0);  // last_section_number
  base::PutU16(&pat, kProgramNumber);
  base::PutU16(&pat, 0xe000 | kTsPidPmt);
  WriteSection(kTsPidPat, pat, out);

  // 2.4.4.8 TS_program_map_section.
  const int streams = int{has_video_} + int{has_audio_};
  const uint16_t pcr_pid = has_video_ || !has_audio_ ? kTsPidVideo : kTsPidAudio;
  std::string pmt;
  base::PutU8(&pmt, 0x02);
  base::PutU16(&pmt, static_cast<uint16_t>(0xb000 | (9 + 5 * streams + 4)));
  base::PutU16(&pmt, kProgramNumber);
  base::PutU8(&pmt, kVersionCurrent);
  base::PutU8(&pmt, 0);
  base::PutU8(&pmt, 0);
  base::PutU16(&pmt, static_cast<uint16_t>(0xe000 | pcr_pid));
  base::PutU16(&pmt, 0xf000);  // program_info_length 0
  if (has_video_) {
    base::PutU8(&pmt, kTsStreamTypeH264);
    base::PutU16(&pmt, 0xe000 | kTsPidVideo);
    base::PutU16(&pmt, 0xf000);  // ES_info_length 0
  }
  if (has_audio_) {
    base::PutU8(&pmt, kTsStreamTypeAacAdts);
    base::PutU16(&pmt, 0xe000 | kTsPidAudio);
    base::PutU16(&pmt, 0xf000);
  }
  WriteSection(kTsPidPmt, pmt, out);
}

void TsMuxer::WriteVideo(int64_t dts90k, int64_t pts90k, bool keyframe, std::string_view annexb, std::string* out) {
  const uint64_t dts = Wrap33(dts90k + kTsTimestampOffset);
  const uint64_t pts = Wrap33(pts90k + kTsTimestampOffset);
  PesSpec spec{kTsPidVideo, kPesStreamIdVideo, pts, std::nullopt, Wrap33(dts90k), keyframe};
  if (pts != dts) spec.dts = dts;
  WritePes(spec, annexb, out);
}

void TsMuxer::WriteAudio(int64_t pts90k, std::string_view adts, std::string* out) {
  const uint64_t pts = Wrap33(pts90k + kTsTimestampOffset);
  PesSpec spec{kTsPidAudio, kPesStreamIdAudio, pts, std::nullopt, std::nullopt, !has_video_};
  if (!has_video_) spec.pcr_base = Wrap33(pts90k);
  WritePes(spec, adts, out);
}

void TsMuxer::WritePes(const PesSpec& spec, std::string_view es, std::string* out) {
  // 2.4.3.6 PES_packet header with the optional fields this muxer uses: PTS, maybe DTS.
  std::string head;
  head.append("\x00\x00\x01", 3);
  base::PutU8(&head, spec.stream_id);
  const size_t header_data = spec.dts ? 10 : 5;
  const size_t pes_length = 3 + header_data + es.size();
  // 2.4.3.7: PES_packet_length 0 ("unbounded") is allowed only for video in a transport stream.
  base::PutU16(&head, pes_length > 0xffff ? 0 : static_cast<uint16_t>(pes_length));
  base::PutU8(&head, kPesFlags1);
  base::PutU8(&head, spec.dts ? kPesPtsDts : kPesPtsOnly);
  base::PutU8(&head, static_cast<uint8_t>(header_data));
  AppendPesTimestamp(spec.dts ? 0x3 : 0x2, spec.pts, &head);
  if (spec.dts) AppendPesTimestamp(0x1, *spec.dts, &head);

  const size_t total = head.size() + es.size();
  size_t pos = 0;  // into head ++ es, without concatenating them
  bool first = true;
  while (pos < total) {
    // Adaptation field content (after its length byte) for the first packet.
    std::string af;
    if (first && (spec.pcr_base || spec.random_access)) {
      base::PutU8(&af, static_cast<uint8_t>((spec.random_access ? kAfRandomAccess : 0) | (spec.pcr_base ? kAfPcr : 0)));
      if (spec.pcr_base) {
        // 2.4.3.5 program_clock_reference_base (33 bits), 6 reserved bits, extension (9 bits) = 0.
        const uint64_t b = *spec.pcr_base;
        base::PutU32(&af, static_cast<uint32_t>(b >> 1));
        base::PutU8(&af, static_cast<uint8_t>(((b & 1) << 7) | 0x7e));
        base::PutU8(&af, 0);
      }
    }
    bool has_af = !af.empty();
    size_t room = kTsPayloadMax - (has_af ? 1 + af.size() : 0);
    const size_t remaining = total - pos;
    if (remaining < room) {
      // Stuffing (2.4.3.5): grow the adaptation field so the payload ends the packet exactly.
      size_t stuff = room - remaining;
      if (!has_af) {
        has_af = true;
        --stuff;  // the adaptation_field_length byte itself
        if (stuff > 0) {
          base::PutU8(&af, 0);  // flags
          --stuff;
        }
      }
      af.append(stuff, static_cast<char>(0xff));
      room = remaining;
    }
    base::PutU8(out, kTsSyncByte);
    base::PutU16(out, static_cast<uint16_t>((first ? 0x4000 : 0) | spec.pid));
    base::PutU8(out, static_cast<uint8_t>((has_af ? 0x30 : 0x10) | TakeCc(spec.pid)));
    if (has_af) {
      base::PutU8(out, static_cast<uint8_t>(af.size()));
      out->append(af);
    }
    size_t n = room;
    while (n > 0) {
      if (pos < head.size()) {
        const size_t k = std::min(n, head.size() - pos);
        out->append(head, pos, k);
        pos += k;
        n -= k;
      } else {
        const size_t k = std::min(n, total - pos);
        out->append(es.substr(pos - head.size(), k));
        pos += k;
        n -= k;
      }
    }
    first = false;
  }
}

base::Status AvccToAnnexB(std::string_view avcc, const AvcConfig& config, bool keyframe, std::string* out) {
  const size_t len_size = config.nal_length_size;
  if (len_size != 1 && len_size != 2 && len_size != 4) return base::Status::Invalid("bad NAL length size");
  // First pass: validate, and see what the unit holds.
  bool idr = false, has_sps = false;
  for (size_t pos = 0; pos < avcc.size();) {
    if (avcc.size() - pos < len_size) return base::Status::Invalid("truncated NAL length");
    const uint32_t n = base::GetBE(avcc, pos, len_size);
    pos += len_size;
    if (n == 0) return base::Status::Invalid("empty NAL unit");
    if (n > avcc.size() - pos) return base::Status::Invalid("NAL unit runs past the frame");
    const uint8_t type = static_cast<uint8_t>(avcc[pos]) & 0x1f;
    idr |= type == kNalIdr;
    has_sps |= type == kAvcNalSps;
    pos += n;
  }
  out->append(kAud, sizeof kAud);
  if ((idr || keyframe) && !has_sps) {
    for (const auto& sps : config.sps) out->append(kStartCode, 4).append(sps);
    for (const auto& pps : config.pps) out->append(kStartCode, 4).append(pps);
  }
  for (size_t pos = 0; pos < avcc.size();) {
    const uint32_t n = base::GetBE(avcc, pos, len_size);
    pos += len_size;
    if ((static_cast<uint8_t>(avcc[pos]) & 0x1f) != kNalAud) out->append(kStartCode, 4).append(avcc.substr(pos, n));
    pos += n;
  }
  return base::Status::Ok();
}

}  // namespace cdn::media
