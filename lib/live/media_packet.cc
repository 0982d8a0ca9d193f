#include "lib/live/media_packet.h"

#include "lib/media/flv.h"
#include "lib/media/flv_codec.h"
#include "lib/rtmp/chunk_writer.h"
#include "lib/rtmp/server_session.h"

namespace cdn::live {

MediaPacket::MediaPacket(PacketType type, uint32_t timestamp, std::string payload)
    : type_(type), timestamp_(timestamp), payload_(base::MakeShared(std::move(payload))) {
  const std::string& p = *payload_;
  if (type_ == PacketType::kVideo) {
    auto info = media::ParseVideoTag(p);
    if (info.ok()) {
      seq_header_ = info->sequence_header;
      // An AVC end-of-sequence (0x17 0x02, which ffmpeg sends last) or an enhanced metadata
      // packet carries FrameType 1 but no picture: not a place to start a viewer.
      keyframe_ = info->keyframe && !info->sequence_header && !info->end_of_sequence && !info->metadata;
    }
  } else if (type_ == PacketType::kAudio) {
    auto info = media::ParseAudioTag(p);
    if (info.ok()) seq_header_ = info->sequence_header;
  } else {
    // AMF0 string "onMetaData": 0x02, length 10.
    metadata_ = p.size() > 13 && p.compare(0, 13, std::string("\x02\x00\x0aonMetaData", 13)) == 0;
  }
}

const base::SharedBytes& MediaPacket::rtmp_wire() const {
  std::call_once(rtmp_once_, [this] {
    uint32_t csid = type_ == PacketType::kAudio   ? rtmp::kCsidAudio
                    : type_ == PacketType::kVideo ? rtmp::kCsidVideo
                                                  : rtmp::kCsidData;
    std::string out;
    rtmp::ChunkWriter::Encode(csid, static_cast<uint8_t>(type_), timestamp_, rtmp::kMediaStreamId, *payload_,
                              rtmp::kOutChunkSize, &out);
    rtmp_wire_ = base::MakeShared(std::move(out));
  });
  return rtmp_wire_;
}

const base::SharedBytes& MediaPacket::flv_wire() const {
  std::call_once(flv_once_, [this] {
    std::string out;
    out.reserve(payload_->size() + 15);
    media::AppendFlvTag(static_cast<media::TagType>(type_), timestamp_, *payload_, &out);
    flv_wire_ = base::MakeShared(std::move(out));
  });
  return flv_wire_;
}

}  // namespace cdn::live
