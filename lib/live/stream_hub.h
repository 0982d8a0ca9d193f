// StreamHub: the registry of live streams on one node. Publish/unpublish with the rules real
// publishers need (a second live publisher is refused; a dead one's slot is free at once; a
// publisher silent for `takeover_idle` may be replaced), viewers attach before or after the
// publisher, and streams are freed when publisher and last viewer are gone. Time comes in as
// arguments (Tick(now)) so tests drive it with a fake clock. Single-threaded (one loop).
// Consumers may call RemoveConsumer (and Publish/Unpublish) from inside their callbacks: a stream
// is never freed while one of its callbacks is running.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "lib/base/status.h"
#include "lib/live/stream.h"

namespace cdn::live {

struct HubOptions {
  StreamOptions stream;
  int64_t takeover_idle_ms = 5000;  // a publisher silent this long can be replaced
};

class StreamHub {
 public:
  explicit StreamHub(HubOptions options) : options_(options) {}

  // Claims the publisher slot. Busy when another publisher is live and sending.
  // `kick_old` is called with the old publisher's id when a silent one is replaced.
  base::Result<Stream*> Publish(const StreamKey& key, uint64_t publisher_id, int64_t now_ms,
                                const std::function<void(uint64_t)>& kick_old = nullptr);
  // Releases the slot if `publisher_id` holds it. Viewers wait out the grace.
  void Unpublish(Stream* stream, uint64_t publisher_id, int64_t now_ms);

  // Finds a stream, or creates an empty one for a viewer that arrives first.
  Stream* FindOrCreate(const StreamKey& key);
  Stream* Find(const StreamKey& key) const;
  // Detaches a viewer and frees the stream if nothing holds it any more.
  void RemoveConsumer(Stream* stream, Consumer* c);

  // Ends a stream now (an operator's kick): every viewer gets OnStreamEnd. Returns the id of
  // its publisher (0 if none) for the caller to close; the slot is released.
  uint64_t EndStream(const StreamKey& key, int64_t now_ms);

  // Ends streams whose grace expired and frees idle ones.
  void Tick(int64_t now_ms);

  size_t size() const { return streams_.size(); }
  size_t live_count() const;
  template <typename F>
  void ForEach(F&& f) const {
    for (const auto& [k, s] : streams_) f(*s);
  }
  uint64_t NextPublisherId() { return ++next_id_; }
  const HubOptions& options() const { return options_; }

 private:
  void MaybeFree(Stream* s);
  // Defers frees while the hub is calling into a stream's consumers.
  struct CallbackScope {
    explicit CallbackScope(StreamHub* h) : hub(h) { ++hub->callback_depth_; }
    ~CallbackScope() { --hub->callback_depth_; }
    StreamHub* hub;
  };
  HubOptions options_;
  int callback_depth_ = 0;
  std::map<std::string, std::unique_ptr<Stream>> streams_;
  uint64_t next_id_ = 0;
};

}  // namespace cdn::live
