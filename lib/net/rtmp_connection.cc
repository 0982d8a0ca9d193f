#include "lib/net/rtmp_connection.h"

#include "lib/base/clock.h"
#include "lib/base/log.h"
#include "lib/net/rtmp_server.h"

namespace cdn::net {

namespace {
rtmp::ServerSession::Options SessionOptions(const LiveServerOptions& o) {
  rtmp::ServerSession::Options s;
  s.limits.max_message_size = o.max_message_size;
  return s;
}
}  // namespace

RtmpConnection::RtmpConnection(RtmpServer* server, std::unique_ptr<TcpConnection> tcp)
    : server_(server),
      tcp_(std::move(tcp)),
      session_(this, SessionOptions(server->options_)),
      queue_(server->options_.play_queue_bytes),
      wait_timer_(server->loop_, [this] {
        if (stream_ && !stream_->has_publisher() && !playing_) {
          server_->stats_->Reject("play", "stream_not_found");
          LOG(INFO) << "rtmp " << name_ << ": stream not found after " << server_->options_.play_wait_ms << " ms";
          session_.RejectPlay("NetStream.Play.StreamNotFound", "stream not found");
          Close("stream not found");
        }
      }),
      flush_timer_(server->loop_, [this] { Pump(); }),
      name_(tcp_->peer()) {}

RtmpConnection::~RtmpConnection() { Detach(); }

void RtmpConnection::Start() {
  tcp_->Start(this, server_->options_.write_high_watermark / 2);
  tcp_->SetReadTimeout(server_->options_.handshake_timeout_ms);
}

void RtmpConnection::Detach() {
  if (usage_.active()) {
    Session done = std::move(usage_);
    usage_ = Session();
    server_->policy_->OnSessionEnded(done);
  }
  if (!stream_) return;
  live::Stream* s = stream_;
  stream_ = nullptr;
  if (publisher_id_) {
    // By key, not by `s`: an operator's kick ends the stream (the hub may free it) before it
    // closes the publisher's connection.
    if (live::Stream* cur = server_->hub_->Find(publish_key_)) server_->hub_->Unpublish(cur, publisher_id_, base::MonoMs());
    --server_->stats_->publishers;
  } else {
    if (playing_) --server_->stats_->players;
    server_->hub_->RemoveConsumer(s, this);
  }
  playing_ = false;
}

void RtmpConnection::Close(std::string_view why, bool flush) {
  if (closed_) return;
  closed_ = true;
  LOG(INFO) << "rtmp " << name_ << ": closing: " << why;
  ++server_->stats_->closes[std::string(why.substr(0, why.find(':')))];
  wait_timer_.Cancel();
  Detach();
  Flush();
  tcp_->Close(flush);  // OnClosed follows (now, or when the flush ends) and frees us
}

void RtmpConnection::Flush() {
  std::string* out = session_.output();
  if (out->empty()) return;
  server_->stats_->rtmp_bytes_out += out->size();
  tcp_->Write(*out);
  out->clear();
}

void RtmpConnection::OnData(std::string_view data) {
  if (closed_) return;
  server_->stats_->rtmp_bytes_in += data.size();
  if (usage_.active()) usage_.Count(data.size());
  base::Status st = session_.Consume(data);
  Flush();
  if (!st.ok()) {
    LOG(WARN) << "rtmp " << name_ << ": protocol error: " << st.ToString();
    ++server_->stats_->closes["protocol_error"];
    Close("protocol error: " + st.message());
  }
}

void RtmpConnection::OnWritable() {
  last_progress_ms_ = base::MonoMs();
  Pump();
}

void RtmpConnection::OnClosed(std::string_view reason) {
  if (!closed_) {
    closed_ = true;
    LOG(INFO) << "rtmp " << name_ << ": " << reason;
    wait_timer_.Cancel();
    Detach();
  }
  server_->Remove(this);
}

void RtmpConnection::OnConnect(const rtmp::ConnectInfo& info) {
  name_ = tcp_->peer() + " " + info.vhost + "/" + info.app;
  base::Status st = server_->policy_->AdmitConnect(info);
  if (!st.ok()) {
    LOG(WARN) << "rtmp " << name_ << ": connect rejected: " << st.message();
    server_->stats_->Reject("connect", st.code() == base::Status::Code::kNotFound ? "unknown_domain" : "connect_denied");
    session_.RejectConnect(st.message());
    Close("connect rejected");
    return;
  }
  session_.AcceptConnect();
}

void RtmpConnection::OnPublish(const rtmp::StreamRequest& req) {
  const auto& info = session_.connect_info();
  name_ = tcp_->peer() + " " + info.vhost + "/" + info.app + "/" + req.name;
  Admission key = server_->policy_->AdmitPublish(info, req);
  if (!key.ok()) {
    LOG(WARN) << "rtmp " << name_ << ": publish rejected (" << key.reason << "): " << key.status.message();
    server_->stats_->Reject("publish", key.reason);
    session_.RejectPublish("NetStream.Publish.BadName", key.reason + ": " + key.status.message());
    Close("publish rejected");
    return;
  }
  const uint64_t id = server_->hub_->NextPublisherId();
  auto s = server_->hub_->Publish(key.key, id, base::MonoMs(), [this](uint64_t old) { server_->KickPublisher(old); });
  if (!s.ok()) {
    LOG(WARN) << "rtmp " << name_ << ": publish rejected: " << s.status().message();
    server_->stats_->Reject("publish", "stream_busy");
    session_.RejectPublish("NetStream.Publish.BadName", s.status().message());
    Close("publish rejected: stream busy");
    return;
  }
  stream_ = *s;
  publisher_id_ = id;
  publish_key_ = key.key;
  ++server_->stats_->publishers;
  server_->stats_->Accept("publish", "rtmp");
  server_->stats_->StartSession(&usage_, Session::Kind::kPublish, "rtmp", info.vhost, key.key, tcp_->peer());
  tcp_->SetReadTimeout(server_->options_.publish_idle_ms);
  LOG(INFO) << "rtmp " << name_ << ": publishing " << key.key.ToString();
  session_.AcceptPublish();
  server_->policy_->OnPublishStarted(stream_);
}

void RtmpConnection::OnPlay(const rtmp::StreamRequest& req) {
  const auto& info = session_.connect_info();
  name_ = tcp_->peer() + " " + info.vhost + "/" + info.app + "/" + req.name;
  relay_ = IsEdgeClient(info.flash_ver);
  PlayRequest play;
  play.protocol = PlayProtocol::kRtmp;
  play.vhost = info.vhost;
  play.path = "/" + info.app + "/" + req.name;
  play.query = req.query;
  play.connect_query = info.query;
  Admission key = server_->policy_->AdmitPlay(play);
  if (!key.ok()) {
    LOG(WARN) << "rtmp " << name_ << ": play rejected (" << key.reason << "): " << key.status.message();
    server_->stats_->Reject("play", key.reason);
    session_.RejectPlay("NetStream.Play.Failed", key.reason + ": " + key.status.message());
    Close("play rejected");
    return;
  }
  tcp_->SetReadTimeout(0);  // players may stay silent
  play_requested_ms_ = base::MonoMs();
  stream_ = server_->hub_->FindOrCreate(key.key);
  stream_->AddConsumer(this);  // calls OnStreamStart at once when live
  if (!playing_ && stream_) {
    server_->policy_->OnViewerWaiting(stream_);
    wait_timer_.Start(server_->options_.play_wait_ms);
  }
}

void RtmpConnection::OnMedia(rtmp::Message&& msg) {
  if (!stream_ || !publisher_id_) return;
  live::PacketType type = msg.type == rtmp::kMsgAudio   ? live::PacketType::kAudio
                          : msg.type == rtmp::kMsgVideo ? live::PacketType::kVideo
                                                        : live::PacketType::kData;
  stream_->OnMessage(type, msg.timestamp, std::move(msg.payload), base::MonoMs());
}

void RtmpConnection::OnStop() {
  if (publisher_id_ && stream_) {
    LOG(INFO) << "rtmp " << name_ << ": unpublished";
    Detach();
    publisher_id_ = 0;
  } else if (stream_) {
    Detach();
  }
}

void RtmpConnection::OnStreamStart() {
  if (playing_ || closed_) return;
  wait_timer_.Cancel();
  playing_ = true;
  last_progress_ms_ = base::MonoMs();
  ++server_->stats_->players;
  if (!relay_) server_->stats_->Accept("play", "rtmp");
  if (stream_) {
    server_->stats_->StartSession(&usage_, Session::Kind::kPlay, "rtmp", session_.connect_info().vhost, stream_->key(),
                                  tcp_->peer());
    usage_.relay = relay_;
  }
  session_.AcceptPlay();
  Flush();
}

void RtmpConnection::OnPacket(const live::PacketPtr& packet) {
  if (!playing_ || closed_) return;
  const uint64_t skips = queue_.skips(), dropped = queue_.dropped_packets();
  queue_.Push(packet);
  if (queue_.skips() != skips) {
    ++server_->stats_->slow_viewer_skips;
    server_->stats_->slow_viewer_dropped += queue_.dropped_packets() - dropped;
    if (static_cast<int64_t>(queue_.skips()) >= server_->options_.play_max_skips) {
      ++server_->stats_->slow_viewer_kicks;
      Close("viewer too slow: fell behind " + std::to_string(queue_.skips()) + " times", false);
      return;
    }
  }
  if (tcp_->pending_output() >= server_->options_.write_high_watermark &&
      base::MonoMs() - last_progress_ms_ > server_->options_.play_stall_ms) {
    ++server_->stats_->slow_viewer_kicks;
    Close("viewer too slow: socket stalled for " + std::to_string(base::MonoMs() - last_progress_ms_) + " ms", false);
    return;
  }
  SchedulePump();
}

void RtmpConnection::SchedulePump() {
  // An edge's pull is one connection per stream and edge: batching saves little there, and its
  // delay would add to the edge's own window for every viewer behind it.
  const int64_t window = relay_ ? 0 : server_->options_.merge_window_ms;
  if (window <= 0 || !counted_first_frame_) {
    Pump();
  } else if (!flush_timer_.pending()) {
    flush_timer_.Start(window);
  }
}

void RtmpConnection::Pump() {
  if (closed_) return;
  Flush();
  const size_t high = server_->options_.write_high_watermark;
  while (tcp_->pending_output() < high) {
    live::PacketPtr p = queue_.Pop();
    if (!p) break;
    if (!counted_first_frame_ && p->type() == live::PacketType::kVideo && !p->sequence_header()) {
      counted_first_frame_ = true;
      server_->stats_->FirstFrame("rtmp", base::MonoMs() - play_requested_ms_);
    }
    const auto& wire = p->rtmp_wire();
    server_->stats_->rtmp_bytes_out += wire->size();
    usage_.Count(wire->size());
    tcp_->WriteShared(wire);
  }
}

void RtmpConnection::OnStreamEnd() {
  // Already detached by the stream: just forget it.
  stream_ = nullptr;
  if (playing_) --server_->stats_->players;
  playing_ = false;
  session_.NotifyUnpublished();
  Close("stream ended");
}

}  // namespace cdn::net
