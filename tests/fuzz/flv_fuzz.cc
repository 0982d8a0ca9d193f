// libFuzzer target: arbitrary bytes -> FlvReader (FLV 10.1 Annex E), then each tag body through
// what a consumer of published media does with it: ParseVideoTag / ParseAudioTag (legacy and
// Enhanced RTMP), the AVC and AAC sequence headers, onMetaData. Byte 0 cuts the stream
// (fuzz_util.h Pieces), byte 1 bit 0 picks a small tag cap. Properties: fed whole and in pieces
// the reader yields the same tags and error; payload offsets stay inside the tag; the tags,
// written again by AppendFlvTag, read back identical.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "lib/media/aac.h"
#include "lib/media/avc.h"
#include "lib/media/flv.h"
#include "lib/media/flv_codec.h"
#include "lib/rtmp/amf0.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using cdn::base::Status;
using cdn::media::FlvReader;
using cdn::media::FlvTag;
using cdn::media::TagType;

struct Fed {
  std::vector<FlvTag> tags;
  Status status;
};

Fed Feed(const std::vector<std::string_view>& pieces, size_t max_tag) {
  Fed f;
  FlvReader reader(max_tag);
  for (std::string_view p : pieces) {
    f.status = reader.Consume(p, &f.tags);
    if (!f.status.ok()) {
      std::vector<FlvTag> none;
      Status again = reader.Consume("FLV", &none);  // dead for good
      FUZZ_CHECK(again.code() == f.status.code() && again.message() == f.status.message() && none.empty());
      break;
    }
  }
  return f;
}

bool Same(const FlvTag& a, const FlvTag& b) { return a.type == b.type && a.timestamp == b.timestamp && a.data == b.data; }

void Inspect(const FlvTag& tag) {
  const std::string_view d(tag.data);
  switch (tag.type) {
    case TagType::kVideo: {
      auto info = cdn::media::ParseVideoTag(d);
      if (!info.ok()) return;
      FUZZ_CHECK(info->payload_offset <= d.size());
      const std::string_view body = d.substr(info->payload_offset);
      if (info->codec == cdn::media::VideoCodec::kAvc && info->sequence_header) {
        auto config = cdn::media::ParseAvcDecoderConfig(body);
        if (config.ok()) FUZZ_CHECK(config->width > 0 && config->height > 0 && !config->sps.empty());
      }
      return;
    }
    case TagType::kAudio: {
      auto info = cdn::media::ParseAudioTag(d);
      if (!info.ok()) return;
      FUZZ_CHECK(info->payload_offset <= d.size());
      if (info->codec == cdn::media::AudioCodec::kAac && info->sequence_header) {
        auto config = cdn::media::ParseAudioSpecificConfig(d.substr(info->payload_offset));
        if (config.ok()) FUZZ_CHECK(config->sample_rate > 0);
      }
      return;
    }
    case TagType::kScript: {
      std::vector<cdn::rtmp::Amf0Value> values;
      (void)cdn::rtmp::DecodeAmf0All(d, &values);
      return;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const std::string_view in = cdn::fuzz::View(data + 2, size - 2);
  const size_t max_tag = (data[1] & 1) ? 64 : 16 << 20;
  const Fed whole = Feed({in}, max_tag);
  const Fed split = Feed(cdn::fuzz::Pieces(in, data[0]), max_tag);
  FUZZ_CHECK(whole.status.code() == split.status.code() && whole.status.message() == split.status.message());
  FUZZ_CHECK(whole.tags.size() == split.tags.size());
  for (size_t i = 0; i < whole.tags.size(); ++i) FUZZ_CHECK(Same(whole.tags[i], split.tags[i]));

  std::string rewritten = cdn::media::FlvFileHeader(true, true);
  for (const FlvTag& tag : whole.tags) {
    Inspect(tag);
    cdn::media::AppendFlvTag(tag.type, tag.timestamp, tag.data, &rewritten);
  }
  const Fed back = Feed({rewritten}, max_tag);
  FUZZ_CHECK(back.status.ok() && back.tags.size() == whole.tags.size());
  for (size_t i = 0; i < back.tags.size(); ++i) FUZZ_CHECK(Same(back.tags[i], whole.tags[i]));
  return 0;
}
