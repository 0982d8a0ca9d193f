#include "cache-edge/upstream.h"

#include <algorithm>

#include "lib/base/clock.h"
#include "lib/base/log.h"

namespace cdn::edge {

namespace {

uint64_t Fnv1a(std::string_view s, uint64_t h = 1469598103934665603ULL) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  // Final avalanche (splitmix64) so similar origin names do not give correlated scores.
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

rtmp::ClientSession::Options SessionFor(const live::StreamKey& key, const config::HostPort& origin, bool publish,
                                        const UpstreamOptions& opts) {
  rtmp::ClientSession::Options o;
  o.tc_url = "rtmp://" + origin.ToString() + "/" + key.app + "?vhost=" + key.vhost;
  o.app = key.app;
  o.stream = key.name + "?vhost=" + key.vhost;
  // Central checks signatures like any edge: sign our own request with the push domain's key.
  if (opts.sign) {
    const std::string q = opts.sign(key, "/" + key.app + "/" + key.name);
    if (!q.empty()) o.stream += "&" + q;
  }
  o.publish = publish;
  o.flash_ver = std::string(net::kEdgeClientId);  // central counts us as a relay, not a viewer
  return o;
}

live::PacketType TypeOf(uint8_t t) {
  return t == 8 ? live::PacketType::kAudio : t == 9 ? live::PacketType::kVideo : live::PacketType::kData;
}

}  // namespace

std::vector<config::HostPort> RendezvousOrder(const std::vector<config::HostPort>& origins, const std::string& key) {
  std::vector<std::pair<uint64_t, config::HostPort>> scored;
  for (const auto& o : origins) scored.emplace_back(Fnv1a(o.ToString(), Fnv1a(key)), o);
  std::stable_sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<config::HostPort> out;
  for (auto& [s, o] : scored) out.push_back(o);
  return out;
}

std::optional<config::HostPort> ResolveOrigin(const UpstreamOptions& o, config::HostPort origin) {
  if (!o.lookup) return origin;
  auto ip = o.lookup(origin.host);
  if (!ip) return std::nullopt;
  origin.host = *ip;
  return origin;
}

// ---- UpstreamPull ----------------------------------------------------------------------------

UpstreamPull::UpstreamPull(Upstreams* owner, live::StreamKey key)
    : owner_(owner),
      key_(std::move(key)),
      order_(RendezvousOrder(owner->options().origins, key_.ToString())),
      backoff_ms_(owner->options().backoff_min_ms),
      retry_timer_(owner->loop(), [this] { Connect(); }) {}

UpstreamPull::~UpstreamPull() {
  stopping_ = true;
  client_.reset();
  Detach();
}

void UpstreamPull::Start() { Connect(); }

void UpstreamPull::Connect() {
  dead_client_.reset();
  auto resolved = ResolveOrigin(owner_->options(), order_[attempt_ % order_.size()]);
  if (!resolved) {
    LOG(WARN) << "pull " << key_.ToString() << ": central " << order_[attempt_ % order_.size()].host << " not resolved yet";
    Retry();
    return;
  }
  const config::HostPort& origin = *resolved;
  LOG(INFO) << "pull " << key_.ToString() << ": connecting to central " << origin.ToString();
  client_ = std::make_unique<net::RtmpClient>(owner_->loop(), this);
  client_->Connect(origin, SessionFor(key_, origin, false, owner_->options()), owner_->options().timeout_ms);
}

void UpstreamPull::OnClientReady() {
  const uint64_t id = owner_->hub()->NextPublisherId();
  auto s = owner_->hub()->Publish(key_, id, base::MonoMs());
  if (!s.ok()) {
    LOG(INFO) << "pull " << key_.ToString() << ": stream has a local publisher, pull not needed";
    stopping_ = true;
    client_->Close("local publisher");
    return;
  }
  publisher_id_ = id;
  backoff_ms_ = owner_->options().backoff_min_ms;
  ++owner_->stats()->upstream[{"pull", "ok"}];
  LOG(INFO) << "pull " << key_.ToString() << ": playing from " << client_->peer();
}

void UpstreamPull::OnClientMedia(rtmp::Message&& msg) {
  if (!publisher_id_) return;
  live::Stream* s = owner_->hub()->Find(key_);
  if (s && s->publisher() == publisher_id_) {
    s->OnMessage(TypeOf(msg.type), msg.timestamp, std::move(msg.payload), base::MonoMs());
  }
}

void UpstreamPull::Detach() {
  if (!publisher_id_) return;
  if (live::Stream* s = owner_->hub()->Find(key_)) owner_->hub()->Unpublish(s, publisher_id_, base::MonoMs());
  publisher_id_ = 0;
}

void UpstreamPull::OnClientClosed(const std::string& why) {
  dead_client_ = std::move(client_);
  Detach();
  if (stopping_) return;
  ++owner_->stats()->upstream[{"pull", "fail"}];
  LOG(WARN) << "pull " << key_.ToString() << ": upstream " << dead_client_->peer() << " lost: " << why
            << "; retrying in " << backoff_ms_ << " ms";
  Retry();
}

void UpstreamPull::Retry() {
  ++attempt_;
  retry_timer_.Start(backoff_ms_);
  backoff_ms_ = std::min(backoff_ms_ * 2, owner_->options().backoff_max_ms);
}

bool UpstreamPull::Tick(int64_t now_ms) {
  if (stopping_ && !client_) return true;
  live::Stream* s = owner_->hub()->Find(key_);
  size_t viewers = s ? s->consumer_count() : 0;
  if (viewers > 0) {
    idle_since_ms_ = -1;
    return false;
  }
  if (!attached()) return true;  // nobody waits and nothing flows: give up now
  if (idle_since_ms_ < 0) idle_since_ms_ = now_ms;
  if (now_ms - idle_since_ms_ >= owner_->options().idle_timeout_ms) {
    LOG(INFO) << "pull " << key_.ToString() << ": no viewers for " << (now_ms - idle_since_ms_) << " ms, stopping";
    return true;
  }
  return false;
}

// ---- UpstreamRelay ---------------------------------------------------------------------------

UpstreamRelay::UpstreamRelay(Upstreams* owner, live::Stream* stream)
    : owner_(owner),
      stream_(stream),
      key_(stream->key()),
      order_(RendezvousOrder(owner->options().origins, key_.ToString())),
      backoff_ms_(owner->options().backoff_min_ms),
      retry_timer_(owner->loop(), [this] { Connect(); }),
      queue_(owner->options().queue_bytes) {}

UpstreamRelay::~UpstreamRelay() {
  finished_ = true;
  client_.reset();
  if (stream_) owner_->hub()->RemoveConsumer(stream_, this);
}

void UpstreamRelay::Start() {
  stream_->AddConsumer(this);
  Connect();
}

void UpstreamRelay::Connect() {
  dead_client_.reset();
  if (finished_) return;
  auto resolved = ResolveOrigin(owner_->options(), order_[attempt_ % order_.size()]);
  if (!resolved) {
    LOG(WARN) << "relay " << key_.ToString() << ": central " << order_[attempt_ % order_.size()].host << " not resolved yet";
    ++attempt_;
    retry_timer_.Start(backoff_ms_);
    backoff_ms_ = std::min(backoff_ms_ * 2, owner_->options().backoff_max_ms);
    return;
  }
  const config::HostPort& origin = *resolved;
  LOG(INFO) << "relay " << key_.ToString() << ": publishing to central " << origin.ToString();
  client_ = std::make_unique<net::RtmpClient>(owner_->loop(), this);
  client_->Connect(origin, SessionFor(key_, origin, true, owner_->options()), owner_->options().timeout_ms);
}

void UpstreamRelay::OnClientReady() {
  backoff_ms_ = owner_->options().backoff_min_ms;
  ++owner_->stats()->upstream[{"relay", "ok"}];
  LOG(INFO) << "relay " << key_.ToString() << ": relaying to " << client_->peer();
  Pump();
}

void UpstreamRelay::Pump() {
  if (!client_ || !client_->ready()) return;
  while (client_->pending_output() < (512u << 10)) {
    live::PacketPtr p = queue_.Pop();
    if (!p) break;
    client_->Send(p);
  }
}

void UpstreamRelay::OnPacket(const live::PacketPtr& packet) {
  queue_.Push(packet);
  Pump();
}

void UpstreamRelay::OnClientClosed(const std::string& why) {
  dead_client_ = std::move(client_);
  if (finished_) return;
  ++owner_->stats()->upstream[{"relay", "fail"}];
  LOG(WARN) << "relay " << key_.ToString() << ": upstream " << dead_client_->peer() << " lost: " << why
            << "; retrying in " << backoff_ms_ << " ms";
  // Start over from what a new viewer would get: metadata, sequence headers, the GOP.
  if (stream_) {
    stream_->RemoveConsumer(this);
    queue_ = live::PacketQueue(owner_->options().queue_bytes);
    stream_->AddConsumer(this);
  }
  ++attempt_;
  retry_timer_.Start(backoff_ms_);
  backoff_ms_ = std::min(backoff_ms_ * 2, owner_->options().backoff_max_ms);
}

void UpstreamRelay::OnStreamEnd() {
  stream_ = nullptr;  // already detached
  finished_ = true;
  retry_timer_.Cancel();
  if (client_) client_->Close("stream ended");
}

// ---- Upstreams -------------------------------------------------------------------------------

Upstreams::~Upstreams() { StopAll(); }

void Upstreams::EnsurePull(const live::StreamKey& key) {
  std::string k = key.ToString();
  if (pulls_.count(k)) return;
  auto p = std::make_unique<UpstreamPull>(this, key);
  UpstreamPull* raw = p.get();
  pulls_.emplace(k, std::move(p));
  raw->Start();
}

void Upstreams::EnsureRelay(live::Stream* stream) {
  std::string k = stream->key().ToString();
  auto it = relays_.find(k);
  if (it != relays_.end() && !it->second->finished()) return;
  if (it != relays_.end()) relays_.erase(it);
  auto r = std::make_unique<UpstreamRelay>(this, stream);
  UpstreamRelay* raw = r.get();
  relays_.emplace(k, std::move(r));
  raw->Start();
}

bool Upstreams::relaying(const live::StreamKey& key) const {
  auto it = relays_.find(key.ToString());
  return it != relays_.end() && !it->second->finished();
}

void Upstreams::Tick(int64_t now_ms) {
  for (auto it = pulls_.begin(); it != pulls_.end();) {
    if (it->second->Tick(now_ms)) it = pulls_.erase(it);
    else ++it;
  }
  for (auto it = relays_.begin(); it != relays_.end();) {
    if (it->second->finished()) it = relays_.erase(it);
    else ++it;
  }
}

void Upstreams::StopAll() {
  pulls_.clear();
  relays_.clear();
}

}  // namespace cdn::edge
