#include "lib/live/stream.h"

#include <algorithm>

namespace cdn::live {

void Stream::AddConsumer(Consumer* c) {
  consumers_.push_back(c);
  if (publisher_ != 0) SendStart(c);
}

void Stream::SendStart(Consumer* c) {
  c->OnStreamStart();
  if (metadata_) c->OnPacket(metadata_);
  if (video_seq_) c->OnPacket(video_seq_);
  if (audio_seq_) c->OnPacket(audio_seq_);
  for (const auto& p : gop_) {
    if (!p->sequence_header() && !p->metadata()) c->OnPacket(p);
  }
}

size_t Stream::relay_count() const {
  size_t n = 0;
  for (const Consumer* c : consumers_) n += c && c->is_relay();
  return n;
}

size_t Stream::viewer_count() const {
  size_t n = 0;
  for (const Consumer* c : consumers_) n += c && c->is_viewer();
  return n;
}

void Stream::RemoveConsumer(Consumer* c) {
  auto it = std::find(consumers_.begin(), consumers_.end(), c);
  if (it == consumers_.end()) return;
  if (fanning_out_) {
    *it = nullptr;  // compacted after the fan-out loop
    removed_during_fanout_.push_back(c);
  } else {
    consumers_.erase(it);
  }
}

void Stream::AttachPublisher(uint64_t id, int64_t now_ms) {
  const bool was_waiting = publisher_ == 0;
  publisher_ = id;
  publish_start_ms_ = now_ms;
  last_packet_ms_ = now_ms;
  gone_since_ms_ = -1;
  if (ever_published_) need_rebase_ = true;
  ever_published_ = true;
  // A new publisher brings its own GOP and headers; the old GOP must not be replayed.
  gop_.clear();
  gop_bytes_ = 0;
  if (was_waiting) {
    auto snapshot = consumers_;
    for (Consumer* c : snapshot) c->OnStreamStart();
  }
}

void Stream::DetachPublisher(int64_t now_ms) {
  publisher_ = 0;
  gone_since_ms_ = now_ms;
  auto snapshot = consumers_;
  for (Consumer* c : snapshot) c->OnPublisherGone();
}

bool Stream::GraceExpired(int64_t now_ms) const {
  return publisher_ == 0 && gone_since_ms_ >= 0 && now_ms - gone_since_ms_ >= options_.reconnect_grace_ms;
}

PacketPtr Stream::OnMessage(PacketType type, uint32_t timestamp, std::string payload, int64_t now_ms) {
  last_packet_ms_ = now_ms;
  bytes_in_ += payload.size();
  if (need_rebase_ && type != PacketType::kData) {
    // First timed packet of a returning publisher: continue from where the last one stopped.
    ts_offset_ = last_out_ts_ < 0 ? 0 : last_out_ts_ + 1 - static_cast<int64_t>(timestamp);
    need_rebase_ = false;
  }
  int64_t out = static_cast<int64_t>(timestamp) + ts_offset_;
  if (out < 0) out = 0;
  auto p = std::make_shared<const MediaPacket>(type, static_cast<uint32_t>(out), std::move(payload));
  if (type != PacketType::kData && !p->sequence_header()) last_out_ts_ = std::max(last_out_ts_, out);
  ingest_.OnPacket(*p, now_ms);
  CacheAndFanOut(p);
  return p;
}

void Stream::Relay(const PacketPtr& p, int64_t now_ms) {
  last_packet_ms_ = now_ms;
  bytes_in_ += p->size();
  need_rebase_ = false;  // the source hub keeps timestamps continuous
  if (p->type() != PacketType::kData && !p->sequence_header()) {
    last_out_ts_ = std::max(last_out_ts_, static_cast<int64_t>(p->timestamp()));
  }
  ingest_.OnPacket(*p, now_ms);
  CacheAndFanOut(p);
}

void Stream::CacheAndFanOut(const PacketPtr& p) {
  if (p->metadata()) {
    metadata_ = p;
  } else if (p->sequence_header()) {
    (p->type() == PacketType::kVideo ? video_seq_ : audio_seq_) = p;
  } else if (options_.gop_cache) {
    if (p->keyframe()) {
      gop_.clear();
      gop_bytes_ = 0;
    }
    // Audio-only streams have no key frames: the cap keeps the cache bounded (it restarts).
    if (gop_bytes_ + p->size() > options_.gop_cache_max_bytes) {
      gop_.clear();
      gop_bytes_ = 0;
    }
    if (p->keyframe() || !gop_.empty() || !video_seq_) {
      gop_.push_back(p);
      gop_bytes_ += p->size();
    }
  }

  fanning_out_ = true;
  // Consumers added during the fan-out already got this packet from the GOP cache (or joined
  // after it): only those present when it arrived get it here.
  const size_t n = consumers_.size();
  for (size_t i = 0; i < n && i < consumers_.size(); ++i) {
    if (consumers_[i]) consumers_[i]->OnPacket(p);
  }
  fanning_out_ = false;
  if (!removed_during_fanout_.empty()) {
    consumers_.erase(std::remove(consumers_.begin(), consumers_.end(), nullptr), consumers_.end());
    removed_during_fanout_.clear();
  }
}

void Stream::EndAll() {
  auto snapshot = std::move(consumers_);
  consumers_.clear();
  for (Consumer* c : snapshot) {
    if (c) c->OnStreamEnd();
  }
}

}  // namespace cdn::live
