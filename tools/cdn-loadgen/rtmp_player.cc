#include "tools/cdn-loadgen/rtmp_player.h"

#include "lib/base/bytes.h"
#include "lib/http/query.h"
#include "lib/rtmp/chunk_writer.h"
#include "lib/rtmp/handshake.h"

namespace cdn::loadgen {

using base::Status;

base::Result<RtmpTarget> ParseRtmpUrl(const std::string& url) {
  auto u = http::ParseUrl(url);
  if (!u || u->scheme != "rtmp") return Status::Invalid("not an rtmp:// URL: " + url);
  RtmpTarget t;
  t.addr.host = u->host;
  t.addr.port = static_cast<uint16_t>(u->port > 0 ? u->port : 1935);
  // ffmpeg's split: the first path element is the app, the rest the stream name.
  std::string_view path = std::string_view(u->path).substr(1);
  const size_t slash = path.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == path.size())
    return Status::Invalid("rtmp URL needs /app/stream: " + url);
  t.app = std::string(path.substr(0, slash));
  t.stream = std::string(path.substr(slash + 1));
  const std::string q = u->query.empty() ? "" : "?" + u->query;
  t.tc_url = "rtmp://" + t.addr.ToString() + "/" + t.app + q;
  t.stream += q;
  return t;
}

RtmpPlayer::RtmpPlayer(net::EventLoop* loop, RtmpTarget target, int64_t timeout_ms)
    : loop_(loop),
      target_(std::move(target)),
      timeout_ms_(timeout_ms),
      scanner_(this),
      handshake_left_(1 + 2 * rtmp::kHandshakeSize),
      session_chunk_size_(rtmp::kDefaultChunkSize) {}

RtmpPlayer::~RtmpPlayer() = default;

void RtmpPlayer::Start() {
  stats_.start_us = NowUs();
  rtmp::ClientSession::Options o;
  o.tc_url = target_.tc_url;
  o.app = target_.app;
  o.stream = target_.stream;
  o.publish = false;
  session_ = std::make_unique<rtmp::ClientSession>(this, std::move(o));
  tcp_ = std::make_unique<Socket>(loop_, this);
  tcp_->Connect(target_.addr, timeout_ms_);
}

void RtmpPlayer::Finish() {
  if (stats_.end_us) return;
  stats_.Close(NowUs(), "");
  if (tcp_) tcp_->Close();
}

void RtmpPlayer::Fail(std::string why) {
  if (stats_.end_us) return;
  stats_.Close(NowUs(), stats_.connected_us < 0 ? std::move(why) : "dropped: " + why);
  if (tcp_) tcp_->Close();
}

void RtmpPlayer::OnConnected() {
  // The server must answer the handshake and commands, and a live stream is never silent for
  // long; the read timeout turns a dead server into a failure.
  tcp_->SetReadTimeout(timeout_ms_ * 2);
  session_->Start();
  Flush();
}

void RtmpPlayer::Flush() {
  std::string* out = session_->output();
  if (!out->empty() && tcp_ && !tcp_->closed()) {
    tcp_->Write(*out);
    out->clear();
  }
}

void RtmpPlayer::OnData(std::string_view data) {
  if (stats_.end_us) return;
  stats_.bytes += data.size();
  if (handshake_left_ > 0) {
    const size_t n = std::min(handshake_left_, data.size());
    Status st = session_->Consume(data.substr(0, n));
    Flush();
    if (!st.ok()) return Fail(st.message());
    handshake_left_ -= n;
    data.remove_prefix(n);
    if (data.empty()) return;
  }
  Status st = scanner_.Consume(data);
  Flush();
  if (!st.ok()) return Fail(st.message());
  // Acknowledge at half the window like ffmpeg (5.4.3), over the chunk stream bytes.
  const uint64_t chunk_bytes = stats_.bytes - (1 + 2 * rtmp::kHandshakeSize);
  if (ack_window_ > 0 && chunk_bytes - last_ack_ >= ack_window_ / 2 && tcp_ && !tcp_->closed()) {
    last_ack_ = chunk_bytes;
    std::string ack;
    rtmp::ChunkWriter::Ack(static_cast<uint32_t>(chunk_bytes), &ack);
    tcp_->Write(ack);
  }
}

void RtmpPlayer::OnMediaHeader(uint8_t type, uint32_t timestamp, uint32_t length, std::string_view head) {
  if (!session_->ready() && stats_.connected_us < 0) {
    // Media before NetStream.Play.Start: the stream is playing all the same.
    if (session_->stream_id() == 0) return;
    stats_.connected_us = NowUs();
  }
  bool key = false;
  if (type == rtmp::kMsgVideo) {
    key = IsVideoKeyFrame(head);
  } else if (type == rtmp::kMsgAggregate) {
    // 7.1.6: the body is FLV tags; look at the first one's header.
    key = head.size() > 11 && head[0] == rtmp::kMsgVideo && IsVideoKeyFrame(head.substr(11));
  }
  stats_.OnMedia(NowUs(), timestamp, key);
}

Status RtmpPlayer::OnOtherMessage(rtmp::Message&& m) {
  if (m.type == rtmp::kMsgWindowAckSize) {
    base::ByteReader r(m.payload);
    uint32_t v;
    if (r.ReadU32(&v)) ack_window_ = v;
    return Status::Ok();  // not passed on: the session would ack from its smaller count
  }
  // The session's ChunkReader sees only these messages, each re-chunked whole (fmt 0 first), at
  // the chunk size it was told about: consistent whatever the server interleaved in between.
  reencoded_.clear();
  rtmp::ChunkWriter::Encode(m.csid, m.type, m.timestamp, m.stream_id, m.payload, session_chunk_size_, &reencoded_);
  if (m.type == rtmp::kMsgSetChunkSize) session_chunk_size_ = scanner_.chunk_size();
  return session_->Consume(reencoded_);
}

void RtmpPlayer::OnReady() {
  if (stats_.connected_us < 0) stats_.connected_us = NowUs();
}

void RtmpPlayer::OnStatus(std::string_view level, std::string_view code, std::string_view description) {
  if (level == "error" || code == "NetStream.Play.Stop" || code == "NetStream.Play.UnpublishNotify") {
    last_status_ = std::string(code);
    if (!description.empty()) last_status_ += ": " + std::string(description);
  }
}

void RtmpPlayer::OnClosed(std::string_view reason) {
  if (stats_.end_us) return;
  std::string why(reason);
  if (!last_status_.empty()) why = last_status_ + " (" + why + ")";
  stats_.Close(NowUs(), stats_.connected_us < 0 ? why : "dropped: " + why);
}

}  // namespace cdn::loadgen
