// libFuzzer target: arbitrary bytes -> the codec-config parsers a publisher's sequence headers
// reach (ISO/IEC 14496-15 AVCDecoderConfigurationRecord, H.264 SPS, ISO/IEC 14496-3
// AudioSpecificConfig), and the frame paths of the HLS packager: AvccToAnnexB (NAL lengths from
// the network) into TsMuxer, ADTS headers. Byte 0 picks the NAL length size and key frame flag;
// all parsers see the rest. Properties: parsed values are in range, TS output is whole
// 188-byte packets, ADTS headers describe the frame they precede.
#include <cstddef>
#include <cstdint>
#include <string>

#include "lib/media/aac.h"
#include "lib/media/avc.h"
#include "lib/media/bit_reader.h"
#include "lib/media/ts_muxer.h"
#include "tests/fuzz/fuzz_util.h"
#include "tests/lib/media/media_test_data.h"

namespace {

namespace media = cdn::media;

void CheckTs(const std::string& ts) {
  FUZZ_CHECK(ts.size() % media::kTsPacketSize == 0);
  for (size_t i = 0; i < ts.size(); i += media::kTsPacketSize) FUZZ_CHECK(static_cast<uint8_t>(ts[i]) == media::kTsSyncByte);
}

void Sps(std::string_view in) {
  auto sps = media::ParseSps(in);
  if (!sps.ok()) return;
  FUZZ_CHECK(sps->width > 0 && sps->height > 0);
  FUZZ_CHECK(sps->width <= sps->coded_width && sps->height <= sps->coded_height);
  FUZZ_CHECK(sps->chroma_format_idc <= 3 && sps->bit_depth_luma <= 14 && sps->bit_depth_chroma <= 14);
}

void AvcConfig(std::string_view in) {
  auto config = media::ParseAvcDecoderConfig(in);
  if (!config.ok()) return;
  FUZZ_CHECK(!config->sps.empty());
  FUZZ_CHECK(config->nal_length_size == 1 || config->nal_length_size == 2 || config->nal_length_size == 4);
  FUZZ_CHECK(media::AvcCodecString(*config).size() == 11);  // avc1.PPCCLL
}

void Frame(std::string_view in, uint8_t opts) {
  static const media::AvcConfig kConfig = [] {
    auto c = media::ParseAvcDecoderConfig(std::string_view(media::testing::kAvcTag640).substr(5));
    FUZZ_CHECK(c.ok());
    return *c;
  }();
  static constexpr uint8_t kLengthSizes[] = {1, 2, 4, 3};  // 3 is not allowed: must fail
  media::AvcConfig config = kConfig;
  config.nal_length_size = kLengthSizes[opts & 3];
  const bool key = opts & 4;
  std::string annexb;
  const auto st = media::AvccToAnnexB(in, config, key, &annexb);
  if (config.nal_length_size == 3) FUZZ_CHECK(!st.ok());
  if (!st.ok()) {
    FUZZ_CHECK(annexb.empty());  // nothing appended on error
    return;
  }
  FUZZ_CHECK(annexb.size() >= 6);  // starts with an access unit delimiter
  media::TsMuxer muxer(true, true);
  std::string ts;
  muxer.WriteTables(&ts);
  // Timestamps from the input too: negative composition offsets and 33-bit wrap are legal.
  const int64_t dts = static_cast<int64_t>(opts) * 40000000;  // past 2^33 for the top values
  muxer.WriteVideo(dts, dts + (in.empty() ? 0 : static_cast<int8_t>(in[0])) * 90, key, annexb, &ts);
  CheckTs(ts);
}

void Aac(std::string_view in) {
  auto config = media::ParseAudioSpecificConfig(in);
  if (!config.ok()) return;
  FUZZ_CHECK(config->sample_rate > 0 && config->core_sample_rate > 0 && config->channels >= 0);
  FUZZ_CHECK(media::AacCodecString(*config).rfind("mp4a.40.", 0) == 0);
  const size_t payload = in.size() * 37;  // sizes around the ADTS cap too
  std::string adts;
  if (!media::AppendAdtsHeader(*config, payload, &adts)) {
    FUZZ_CHECK(adts.empty());
    return;
  }
  FUZZ_CHECK(adts.size() == media::kAdtsHeaderSize);
  FUZZ_CHECK(static_cast<uint8_t>(adts[0]) == 0xff && (static_cast<uint8_t>(adts[1]) & 0xf6) == 0xf0);  // syncword, layer 0
  const uint32_t frame_length = (static_cast<uint32_t>(static_cast<uint8_t>(adts[3]) & 3) << 11) |
                                (static_cast<uint32_t>(static_cast<uint8_t>(adts[4])) << 3) |
                                (static_cast<uint8_t>(adts[5]) >> 5);
  FUZZ_CHECK(frame_length == payload + media::kAdtsHeaderSize);
  adts.append(payload, '\0');
  media::TsMuxer muxer(false, true);
  std::string ts;
  muxer.WriteAudio(static_cast<int64_t>(payload) * 1000, adts, &ts);
  CheckTs(ts);
}

void Bits(std::string_view in) {
  // The exp-Golomb reader over the RBSP, until it runs dry.
  const std::string rbsp = media::NalToRbsp(in);
  FUZZ_CHECK(rbsp.size() <= in.size());
  media::BitReader r(rbsp);
  for (int i = 0; i < 64; ++i) {
    uint32_t u;
    int32_t s;
    const size_t left = r.bits_left();
    if (!((i & 1) ? r.ReadSe(&s) : r.ReadUe(&u))) break;
    FUZZ_CHECK(r.bits_left() < left);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view in = cdn::fuzz::View(data + 1, size - 1);
  Sps(in);
  AvcConfig(in);
  Frame(in, data[0]);
  Aac(in);
  Bits(in);
  return 0;
}
