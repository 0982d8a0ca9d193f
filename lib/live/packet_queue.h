// PacketQueue: one viewer's bounded queue of shared packets. When the bytes queued pass the
// bound, the viewer has fallen behind: the queue drops its media and skips ahead to the next
// key frame (the latest sequence headers and metadata are kept), so memory stays bounded whatever
// the viewer does. The owner decides when a viewer that keeps falling behind is cut off
// (skips() counts the skips). Single-threaded: owned by the viewer's connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>

#include "lib/live/media_packet.h"

namespace cdn::live {

class PacketQueue {
 public:
  explicit PacketQueue(size_t max_bytes) : max_bytes_(max_bytes) {}

  // Adds a packet; may drop queued media to stay under the bound.
  void Push(const PacketPtr& p);
  // Removes and returns the oldest packet, or nullptr.
  PacketPtr Pop();
  bool empty() const { return q_.empty(); }
  size_t bytes() const { return bytes_; }
  size_t size() const { return q_.size(); }
  uint64_t skips() const { return skips_; }
  uint64_t dropped_packets() const { return dropped_; }
  size_t max_bytes() const { return max_bytes_; }

 private:
  void Skip();
  size_t max_bytes_;
  std::deque<PacketPtr> q_;
  size_t bytes_ = 0;
  bool waiting_key_ = false;  // after a skip: drop media until a video key frame
  bool has_video_ = false;
  uint64_t skips_ = 0;
  uint64_t dropped_ = 0;
};

}  // namespace cdn::live
