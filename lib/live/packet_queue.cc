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
  // Keep the latest metadata and the latest video and audio sequence headers (older ones are
  // superseded: the key frame we resume at follows the latest), drop everything else, then wait
  // for a key frame. Keeping only the latest bounds what a stalled viewer can pile up.
  ++skips_;
  const PacketPtr* latest[3] = {nullptr, nullptr, nullptr};  // metadata, video, audio header
  auto slot = [](const PacketPtr& p) -> int {
    if (p->metadata()) return 0;
    if (!p->sequence_header()) return -1;
    return p->type() == PacketType::kVideo ? 1 : 2;
  };
  for (const auto& p : q_) {
    if (int k = slot(p); k >= 0) latest[k] = &p;
  }
  std::deque<PacketPtr> kept;
  size_t kept_bytes = 0;
  for (auto& p : q_) {
    const int k = slot(p);
    if (k >= 0 && latest[k] == &p) {
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
