#include "lib/net/flv_server.h"

#include "lib/base/clock.h"
#include "lib/base/log.h"
#include "lib/http/query.h"
#include "lib/live/packet_queue.h"
#include "lib/media/flv.h"

namespace cdn::net {

namespace {
const Headers kCors = {{"Access-Control-Allow-Origin", "*"},
                       {"Access-Control-Allow-Methods", "GET, HEAD, OPTIONS"},
                       {"Access-Control-Allow-Headers", "Range, Origin, Accept"},
                       {"Access-Control-Expose-Headers", "Content-Length, Content-Range"}};
}  // namespace

// One HTTP-FLV viewer: a live::Consumer writing shared FLV tags into a chunked response.
class FlvViewer : public live::Consumer {
 public:
  FlvViewer(FlvServer* server, std::unique_ptr<HttpExchange> ex, std::string name)
      : server_(server),
        ex_(std::move(ex)),
        queue_(server->options_.play_queue_bytes),
        wait_timer_(server->loop_, [this] { OnWaitExpired(); }),
        flush_timer_(server->loop_, [this] { Pump(); }),
        name_(std::move(name)),
        start_ms_(base::MonoMs()) {
    ex_->set_on_close([this] { Finish("client closed", false); });
    ex_->set_on_drained([this] {
      last_progress_ms_ = base::MonoMs();
      Pump();
    });
  }
  ~FlvViewer() override {
    Detach();
  }

  void set_vhost(std::string v) { vhost_ = std::move(v); }
  void Play(live::Stream* s) {
    stream_ = s;
    s->AddConsumer(this);
    if (!streaming_ && stream_) {
      server_->policy_->OnViewerWaiting(stream_);
      wait_timer_.Start(server_->options_.play_wait_ms);
    }
  }

  void OnStreamStart() override {
    if (streaming_ || done_) return;
    wait_timer_.Cancel();
    streaming_ = true;
    last_progress_ms_ = base::MonoMs();
    ++server_->stats_->players;
    server_->stats_->Accept("play", "flv");
    if (stream_) server_->stats_->StartSession(&usage_, Session::Kind::kPlay, "flv", vhost_, stream_->key(), ex_->peer());
    Headers h = kCors;
    h.emplace_back("Cache-Control", "no-cache");
    h.emplace_back("Connection", "close");
    ex_->StartStream(200, "video/x-flv", h);
    ex_->Send(media::FlvFileHeader(true, true));
  }

  void OnPacket(const live::PacketPtr& p) override {
    if (!streaming_ || done_) return;
    const uint64_t skips = queue_.skips(), dropped = queue_.dropped_packets();
    queue_.Push(p);
    if (queue_.skips() != skips) {
      ++server_->stats_->slow_viewer_skips;
      server_->stats_->slow_viewer_dropped += queue_.dropped_packets() - dropped;
      if (static_cast<int64_t>(queue_.skips()) >= server_->options_.play_max_skips) {
        ++server_->stats_->slow_viewer_kicks;
        Finish("viewer too slow", true);
        return;
      }
    }
    if (ex_->pending_output() >= server_->options_.write_high_watermark &&
        base::MonoMs() - last_progress_ms_ > server_->options_.play_stall_ms) {
      ++server_->stats_->slow_viewer_kicks;
      Finish("viewer too slow: socket stalled", false);
      return;
    }
    // Before the first frame (or without a merge window) at once; then once per window.
    const int64_t window = server_->options_.merge_window_ms;
    if (window <= 0 || !first_frame_) {
      Pump();
    } else if (!flush_timer_.pending()) {
      flush_timer_.Start(window);
    }
  }

  void OnStreamEnd() override {
    stream_ = nullptr;
    Finish("stream ended", true);
  }

 private:
  void Pump() {
    if (!streaming_ || done_) return;
    const size_t high = server_->options_.write_high_watermark;
    // Everything due goes out as one HTTP chunk (tags added by reference, never copied).
    batch_.clear();
    size_t batch_bytes = 0;
    while (ex_->pending_output() + batch_bytes < high) {
      live::PacketPtr p = queue_.Pop();
      if (!p) break;
      if (!first_frame_ && p->type() == live::PacketType::kVideo && !p->sequence_header()) {
        first_frame_ = true;
        server_->stats_->FirstFrame("flv", base::MonoMs() - start_ms_);
      }
      const auto& wire = p->flv_wire();
      server_->stats_->flv_bytes_out += wire->size();
      usage_.Count(wire->size());
      batch_bytes += wire->size();
      batch_.push_back(wire);
    }
    ex_->SendSharedBatch(batch_);
    batch_.clear();
  }

  void OnWaitExpired() {
    if (streaming_ || done_) return;
    server_->stats_->Reject("play", "stream_not_found");
    LOG(INFO) << "flv " << name_ << ": stream not found after " << server_->options_.play_wait_ms << " ms";
    ex_->Reply(404, "text/plain", "stream not found\n", kCors);
    Finish("stream not found", false);
  }

  void Detach() {
    if (usage_.active()) {
      Session done = std::move(usage_);
      usage_ = Session();
      server_->policy_->OnSessionEnded(done);
    }
    if (stream_) {
      live::Stream* s = stream_;
      stream_ = nullptr;
      server_->hub_->RemoveConsumer(s, this);
    }
    if (streaming_) --server_->stats_->players;
    streaming_ = false;
  }

  void Finish(std::string_view why, bool end_stream) {
    if (done_) return;
    done_ = true;
    LOG(INFO) << "flv " << name_ << ": " << why;
    wait_timer_.Cancel();
    Detach();
    if (end_stream) ex_->EndStream();
    server_->Remove(this);
  }

  FlvServer* server_;
  std::unique_ptr<HttpExchange> ex_;
  live::Stream* stream_ = nullptr;
  live::PacketQueue queue_;
  Timer wait_timer_;
  Timer flush_timer_;  // play.merge_window
  std::string name_;
  int64_t start_ms_;
  int64_t last_progress_ms_ = 0;
  bool streaming_ = false;
  bool done_ = false;
  bool first_frame_ = false;
  std::vector<base::SharedBytes> batch_;  // reused by Pump
  std::string vhost_;  // the domain the viewer named
  Session usage_;      // the play under way, for byte totals and OnSessionEnded
};

FlvServer::FlvServer(EventLoop* loop, live::StreamHub* hub, LivePolicy* policy, LiveServerOptions options,
                     LiveStats* stats)
    : loop_(loop), hub_(hub), policy_(policy), options_(options), stats_(stats) {
  if (!options_.budget) options_.budget = std::make_shared<ConnectionBudget>(options_.max_connections);
}

FlvServer::~FlvServer() { CloseAll(); }

base::Status FlvServer::Listen(const config::HostPort& addr, bool reuse_port) {
  auto s = HttpServer::Listen(
      loop_, addr, [this](std::unique_ptr<HttpExchange> ex) { OnRequest(std::move(ex)); }, reuse_port);
  if (!s.ok()) return s.status();
  http_ = std::move(*s);
  return base::Status::Ok();
}

void FlvServer::CloseAll() {
  stats_->flv_connections -= static_cast<int64_t>(viewers_.size());
  for (size_t i = 0; i < viewers_.size(); ++i) options_.budget->Release();
  viewers_.clear();
}

bool FlvServer::SplitStreamPath(const std::string& path, std::string_view suffix, std::string* app, std::string* stream) {
  if (path.size() <= suffix.size() + 3 || path.front() != '/') return false;
  if (path.compare(path.size() - suffix.size(), suffix.size(), suffix) != 0) return false;
  std::string_view p(path);
  p.remove_prefix(1);
  p.remove_suffix(suffix.size());
  size_t slash = p.rfind('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 >= p.size()) return false;
  auto a = http::PercentDecode(p.substr(0, slash));
  auto s = http::PercentDecode(p.substr(slash + 1));
  if (!a || !s) return false;
  *app = *a;
  *stream = *s;
  return true;
}

std::string FlvServer::HostOf(const HttpExchange& ex) {
  std::string host = ex.header("Host");
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    host = close == std::string::npos ? host : host.substr(1, close - 1);
  } else {
    host = host.substr(0, host.find(':'));
  }
  return http::ToLower(host);
}

void FlvServer::OnRequest(std::unique_ptr<HttpExchange> ex) {
  std::string app, stream;
  if (ex->method() == "OPTIONS") {
    ex->Reply(204, "", "", kCors);
    return;
  }
  if (!SplitStreamPath(ex->path(), ".flv", &app, &stream)) {
    if (fallback_) {
      fallback_(std::move(ex));
      return;
    }
    ex->Reply(404, "text/plain", "not found\n", kCors);
    return;
  }
  if (ex->method() != "GET") {
    ex->Reply(405, "text/plain", "method not allowed\n", kCors);
    return;
  }
  std::string vhost = HostOf(*ex);
  auto params = http::ParseQuery(ex->query());
  if (auto v = http::QueryGet(params, "vhost")) vhost = http::ToLower(*v);
  const std::string name = ex->peer() + " " + vhost + "/" + app + "/" + stream;
  PlayRequest play;
  play.protocol = PlayProtocol::kFlv;
  play.vhost = vhost;
  play.path = ex->path();
  play.query = ex->query();
  Admission key = policy_->AdmitPlay(play);
  if (!key.ok()) {
    const bool not_found = key.status.code() == base::Status::Code::kNotFound;
    stats_->Reject("play", key.reason);
    LOG(WARN) << "flv " << name << ": rejected (" << key.reason << "): " << key.status.message();
    ex->Reply(not_found ? 404 : 403, "text/plain", key.reason + ": " + key.status.message() + "\n", kCors);
    return;
  }
  if (!options_.budget->TryAcquire()) {
    stats_->Reject("connect", "max_connections");
    LOG(WARN) << "flv " << name << ": refused, max_connections " << options_.budget->max() << " reached";
    ex->Reply(503, "text/plain", "max_connections reached\n", {{"Retry-After", "5"}, {"Connection", "close"}});
    return;
  }
  auto viewer = std::make_unique<FlvViewer>(this, std::move(ex), name);
  FlvViewer* raw = viewer.get();
  raw->set_vhost(vhost);
  viewers_.emplace(raw, std::move(viewer));
  ++stats_->flv_connections;
  raw->Play(hub_->FindOrCreate(key.key));
}

void FlvServer::Remove(FlvViewer* v) {
  loop_->Defer([this, v] {
    auto it = viewers_.find(v);
    if (it == viewers_.end()) return;
    --stats_->flv_connections;
    options_.budget->Release();
    viewers_.erase(it);
  });
}

}  // namespace cdn::net
