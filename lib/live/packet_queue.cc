#include "lib/live/packet_queue.h"

namespace cdn::live {

void PacketQueue::Push(const PacketPtr& p) {
  if (p->type() == PacketType::kVideo) has_video_ = true;
  const bool control = p->sequence_header() || p->metadata();
  if (waiting_key_ && !control) {
    if (p->keyframe() || !has_video_) {
      waiting_key_ = false;
    } else {
      ++dropped_;
      return;
    }
  }
  q_.push_back(p);
  bytes_ += p->size();
  if (bytes_ > max_bytes_) Skip();
}

void PacketQueue::Skip() {
  // Keep sequence headers and metadata, drop everything else, then wait for a key frame.
  ++skips_;
  std::deque<PacketPtr> kept;
  size_t kept_bytes = 0;
  for (auto& p : q_) {
    if (p->sequence_header() || p->metadata()) {
      kept_bytes += p->size();
      kept.push_back(std::move(p));
    } else {
      ++dropped_;
    }
  }
  q_.swap(kept);
  bytes_ = kept_bytes;
  waiting_key_ = true;
}

PacketPtr PacketQueue::Pop() {
  if (q_.empty()) return nullptr;
  PacketPtr p = std::move(q_.front());
  q_.pop_front();
  bytes_ -= p->size();
  return p;
}

}  // namespace cdn::live
