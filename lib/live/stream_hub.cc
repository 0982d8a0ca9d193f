#include "lib/live/stream_hub.h"

#include <iterator>
#include <vector>

#include "lib/base/log.h"

namespace cdn::live {

base::Result<Stream*> StreamHub::Publish(const StreamKey& key, uint64_t publisher_id, int64_t now_ms,
                                         const std::function<void(uint64_t)>& kick_old) {
  Stream* s = FindOrCreate(key);
  if (s->has_publisher()) {
    if (now_ms - s->last_packet_ms() < options_.takeover_idle_ms || !kick_old) {
      return base::Status::Busy("stream " + key.ToString() + " already has a live publisher");
    }
    uint64_t old = s->publisher();
    LOG(WARN) << "stream " << key.ToString() << ": publisher silent for " << (now_ms - s->last_packet_ms())
              << " ms replaced by a new one";
    CallbackScope scope(this);  // a viewer leaving in OnPublisherGone must not free s under us
    s->DetachPublisher(now_ms);
    kick_old(old);
  }
  s->AttachPublisher(publisher_id, now_ms);
  return s;
}

void StreamHub::Unpublish(Stream* s, uint64_t publisher_id, int64_t now_ms) {
  if (s->publisher() != publisher_id) return;
  {
    CallbackScope scope(this);
    s->DetachPublisher(now_ms);
  }
  MaybeFree(s);
}

Stream* StreamHub::FindOrCreate(const StreamKey& key) {
  std::string k = key.ToString();
  auto it = streams_.find(k);
  if (it != streams_.end()) return it->second.get();
  auto s = std::make_unique<Stream>(key, options_.stream);
  Stream* raw = s.get();
  streams_.emplace(std::move(k), std::move(s));
  return raw;
}

Stream* StreamHub::Find(const StreamKey& key) const {
  auto it = streams_.find(key.ToString());
  return it == streams_.end() ? nullptr : it->second.get();
}

void StreamHub::RemoveConsumer(Stream* s, Consumer* c) {
  s->RemoveConsumer(c);
  MaybeFree(s);
}

void StreamHub::MaybeFree(Stream* s) {
  // Inside a stream's callbacks the stream is still on the stack: the caller frees it after.
  if (callback_depth_ == 0 && s->Idle()) streams_.erase(s->key().ToString());
}

uint64_t StreamHub::EndStream(const StreamKey& key, int64_t now_ms) {
  Stream* s = Find(key);
  if (!s) return 0;
  const uint64_t publisher = s->publisher();
  {
    CallbackScope scope(this);
    if (publisher) s->DetachPublisher(now_ms);
    s->EndAll();
  }
  MaybeFree(s);
  return publisher;
}

void StreamHub::Tick(int64_t now_ms) {
  std::vector<Stream*> expired;
  for (auto& [k, s] : streams_) {
    if (s->GraceExpired(now_ms)) expired.push_back(s.get());
  }
  {
    CallbackScope scope(this);
    for (Stream* s : expired) {
      LOG(INFO) << "stream " << s->key().ToString() << ": publisher did not come back, ending for "
                << s->consumer_count() << " viewer(s)";
      s->EndAll();
    }
  }
  // Frees the ended streams and any other idle one (e.g. looked up but never watched).
  for (auto it = streams_.begin(); it != streams_.end();) {
    it = it->second->Idle() ? streams_.erase(it) : std::next(it);
  }
}

size_t StreamHub::live_count() const {
  size_t n = 0;
  for (const auto& [k, s] : streams_) n += s->has_publisher();
  return n;
}

}  // namespace cdn::live
