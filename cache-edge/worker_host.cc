#include "cache-edge/worker_host.h"

#include "cache-edge/edge_worker.h"
#include "lib/base/clock.h"
#include "lib/base/log.h"

namespace cdn::edge {

// A consumer of a main hub stream on behalf of one worker: forwards its events and shared
// packets to that worker's loop. Ended by the hub (OnStreamEnd) or by the worker (Detach).
class WorkerHost::Tap : public live::Consumer {
 public:
  Tap(WorkerHost* host, int worker, uint64_t id, live::Stream* stream)
      : host_(host), worker_(worker), id_(id), stream_(stream) {}
  live::Stream* stream() const { return stream_; }

  void OnStreamStart() override {
    host_->ToWorker(worker_, [id = id_](EdgeWorker* w) { w->BridgeStart(id); });
  }
  void OnPacket(const live::PacketPtr& p) override {
    host_->ToWorker(worker_, [id = id_, p](EdgeWorker* w) { w->BridgePacket(id, p); });
  }
  void OnPublisherGone() override {
    host_->ToWorker(worker_, [id = id_](EdgeWorker* w) { w->BridgeGone(id); });
  }
  void OnStreamEnd() override {
    stream_ = nullptr;  // already detached; the worker answers with Detach, which frees us
    host_->ToWorker(worker_, [id = id_](EdgeWorker* w) { w->BridgeEnd(id); });
  }
  // The worker's viewers are counted from its reports (WorkerHost::worker_viewers).
  bool is_viewer() const override { return false; }

 private:
  WorkerHost* host_;
  int worker_;
  uint64_t id_;
  live::Stream* stream_;
};

WorkerHost::WorkerHost(live::StreamHub* hub, net::LivePolicy* policy, HlsProxy* hls,
                       std::function<void(uint64_t)> kick_main)
    : hub_(hub), policy_(policy), hls_(hls), kick_main_(std::move(kick_main)) {}

WorkerHost::~WorkerHost() {
  Stop();
  *alive_ = false;
}

void WorkerHost::SetWorkers(std::vector<EdgeWorker*> workers) {
  workers_ = std::move(workers);
  stats_.assign(workers_.size(), net::LiveStats{});
  viewers_.assign(workers_.size(), {});
}

void WorkerHost::Stop() {
  if (stopped_) return;
  stopped_ = true;
  for (auto& [k, tap] : taps_) {
    if (tap->stream()) hub_->RemoveConsumer(tap->stream(), tap.get());
  }
  taps_.clear();
  const int64_t now = base::MonoMs();
  for (auto& [id, b] : publishers_) {
    if (live::Stream* s = hub_->Find(b.key)) hub_->Unpublish(s, id, now);
  }
  publishers_.clear();
  publisher_of_.clear();
}

void WorkerHost::ToWorker(int w, std::function<void(EdgeWorker*)> fn) {
  if (stopped_ || w <= 0 || w >= static_cast<int>(workers_.size()) || !workers_[w]) return;
  EdgeWorker* worker = workers_[w];
  worker->Post([worker, fn = std::move(fn)] { fn(worker); });
}

void WorkerHost::Attach(int w, uint64_t bridge, const live::StreamKey& key) {
  if (stopped_) return;
  live::Stream* s = hub_->FindOrCreate(key);
  auto tap = std::make_unique<Tap>(this, w, bridge, s);
  Tap* raw = tap.get();
  taps_[{w, bridge}] = std::move(tap);
  s->AddConsumer(raw);  // live: the worker gets start, headers and the GOP at once
  // As for a viewer of the main loop: no publisher here -> pull from central (once per stream).
  if (!s->has_publisher()) policy_->OnViewerWaiting(s);
}

void WorkerHost::Detach(int w, uint64_t bridge) {
  auto it = taps_.find({w, bridge});
  if (it == taps_.end()) return;
  std::unique_ptr<Tap> tap = std::move(it->second);
  taps_.erase(it);
  if (tap->stream()) hub_->RemoveConsumer(tap->stream(), tap.get());
}

void WorkerHost::Publish(int w, uint64_t local_id, const live::StreamKey& key) {
  if (stopped_) return;
  const uint64_t id = hub_->NextPublisherId();
  auto s = hub_->Publish(key, id, base::MonoMs(), [this](uint64_t old) { KickPublisher(old, false); });
  if (!s.ok()) {
    LOG(WARN) << "worker " << w << " publisher of " << key.ToString() << " refused: " << s.status().message();
    ToWorker(w, [local_id](EdgeWorker* worker) { worker->KickPublisher(local_id, false); });
    return;
  }
  publishers_[id] = Bridged{w, local_id, key};
  publisher_of_[{w, local_id}] = id;
  policy_->OnPublishStarted(*s);
}

void WorkerHost::PublishPacket(int w, uint64_t local_id, const live::PacketPtr& p) {
  auto it = publisher_of_.find({w, local_id});
  if (it == publisher_of_.end()) return;
  live::Stream* s = hub_->Find(publishers_.at(it->second).key);
  if (!s || s->publisher() != it->second) return;  // replaced meanwhile
  // The main hub keeps timestamps continuous across publishers (which may land on any loop),
  // so it makes its own packet: one copy per published packet, not per viewer.
  s->OnMessage(p->type(), p->timestamp(), p->payload(), base::MonoMs());
}

void WorkerHost::Unpublish(int w, uint64_t local_id) {
  auto it = publisher_of_.find({w, local_id});
  if (it == publisher_of_.end()) return;
  const uint64_t id = it->second;
  publisher_of_.erase(it);
  auto b = publishers_.find(id);
  if (b == publishers_.end()) return;
  live::StreamKey key = b->second.key;
  publishers_.erase(b);
  if (live::Stream* s = hub_->Find(key)) hub_->Unpublish(s, id, base::MonoMs());
}

void WorkerHost::KickPublisher(uint64_t publisher_id, bool end_stream) {
  auto it = publishers_.find(publisher_id);
  if (it == publishers_.end()) {
    if (kick_main_) kick_main_(publisher_id);
    return;
  }
  const int w = it->second.worker;
  const uint64_t local_id = it->second.local_id;
  ToWorker(w, [local_id, end_stream](EdgeWorker* worker) { worker->KickPublisher(local_id, end_stream); });
}

void WorkerHost::Hls(int w, uint64_t request_id, HlsRequest req) {
  if (stopped_ || !hls_) return;
  hls_->Lookup(std::move(req), [this, alive = alive_, w, request_id](const HlsResult& r) {
    if (!*alive) return;
    ToWorker(w, [request_id, r](EdgeWorker* worker) { worker->HlsDone(request_id, r); });
  });
}

void WorkerHost::HlsSent(const net::HlsViewer& viewer, uint64_t bytes) {
  if (hls_ && hls_->sessions()) hls_->sessions()->Count(viewer, bytes, base::MonoMs());
}

void WorkerHost::Report(int w, net::LiveStats stats, std::map<std::string, size_t> viewers) {
  if (w <= 0 || w >= static_cast<int>(stats_.size())) return;
  stats_[w] = std::move(stats);
  viewers_[w] = std::move(viewers);
}

size_t WorkerHost::worker_viewers(const live::StreamKey& key) const {
  size_t n = 0;
  const std::string k = key.ToString();
  for (const auto& m : viewers_) {
    auto it = m.find(k);
    if (it != m.end()) n += it->second;
  }
  return n;
}

}  // namespace cdn::edge
