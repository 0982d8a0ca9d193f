// MediaPacket: one audio, video or data message of a live stream, immutable once made and
// shared by refcount between the GOP cache and every viewer's queue (never copied per viewer).
// The wire forms (RTMP chunks, FLV tag) are built at most once per packet, on first use, by
// whichever thread asks first (std::call_once), and then shared too.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "lib/base/bytes.h"

namespace cdn::live {

enum class PacketType : uint8_t { kAudio = 8, kVideo = 9, kData = 18 };  // FLV 10.1 tag types

class MediaPacket {
 public:
  MediaPacket(PacketType type, uint32_t timestamp, std::string payload);

  PacketType type() const { return type_; }
  uint32_t timestamp() const { return timestamp_; }
  const std::string& payload() const { return *payload_; }
  bool keyframe() const { return keyframe_; }           // video key frame (not a sequence header)
  bool sequence_header() const { return seq_header_; }  // AVC/HEVC/AAC decoder configuration
  bool metadata() const { return metadata_; }           // onMetaData
  size_t size() const { return payload_->size(); }

  // RTMP chunks (chunk size rtmp::kOutChunkSize, message stream id 1), shared by all players.
  const base::SharedBytes& rtmp_wire() const;
  // FLV tag + PreviousTagSize, shared by all HTTP-FLV viewers.
  const base::SharedBytes& flv_wire() const;

 private:
  PacketType type_;
  uint32_t timestamp_;
  bool keyframe_ = false;
  bool seq_header_ = false;
  bool metadata_ = false;
  base::SharedBytes payload_;
  mutable std::once_flag rtmp_once_, flv_once_;
  mutable base::SharedBytes rtmp_wire_, flv_wire_;
};

using PacketPtr = std::shared_ptr<const MediaPacket>;

}  // namespace cdn::live
