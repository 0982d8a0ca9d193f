#include "lib/net/rtmp_client.h"

#include "lib/base/log.h"
#include "lib/rtmp/server_session.h"

namespace cdn::net {

RtmpClient::RtmpClient(EventLoop* loop, Delegate* delegate) : loop_(loop), delegate_(delegate) {}

RtmpClient::~RtmpClient() = default;

void RtmpClient::Connect(const config::HostPort& addr, rtmp::ClientSession::Options options, int64_t timeout_ms) {
  peer_ = addr.ToString();
  timeout_ms_ = timeout_ms;
  chunk_size_ = options.chunk_size;
  session_ = std::make_unique<rtmp::ClientSession>(this, std::move(options));
  tcp_ = TcpConnection::Connect(loop_, addr, this, 256 << 10, timeout_ms);
}

void RtmpClient::OnConnected() {
  tcp_->SetReadTimeout(timeout_ms_ * 2);  // the server must answer the handshake and commands
  session_->Start();
  Flush();
}

void RtmpClient::Flush() {
  std::string* out = session_->output();
  if (!out->empty() && tcp_) {
    tcp_->Write(*out);
    out->clear();
  }
}

void RtmpClient::OnData(std::string_view data) {
  if (closed_) return;
  base::Status st = session_->Consume(data);
  Flush();
  if (!st.ok()) {
    last_error_ = st.message();
    Close(st.message());
  }
}

void RtmpClient::OnWritable() {
  if (!closed_) delegate_->OnClientWritable();
}

void RtmpClient::OnReady() {
  // Players upstream may be silent for a while (a stream between GOPs is not); publishers
  // receive little: keep a generous idle bound either way.
  tcp_->SetReadTimeout(timeout_ms_ * 4);
  delegate_->OnClientReady();
}

void RtmpClient::OnMedia(rtmp::Message&& msg) { delegate_->OnClientMedia(std::move(msg)); }

void RtmpClient::OnStatus(std::string_view level, std::string_view code, std::string_view description) {
  if (level == "error") last_error_ = std::string(code) + ": " + std::string(description);
  else if (code == "NetStream.Play.UnpublishNotify" || code == "NetStream.Play.Stop") last_error_ = std::string(code);
}

void RtmpClient::Send(const live::PacketPtr& p) {
  if (closed_ || !ready()) return;
  Flush();
  // The shared wire form is chunked at kOutChunkSize on message stream 1: reuse it (no copy)
  // when this session matches, which is the case with our own central and with nginx/SRS.
  if (session_->stream_id() == rtmp::kMediaStreamId && chunk_size_ == rtmp::kOutChunkSize) {
    tcp_->WriteShared(p->rtmp_wire());
  } else {
    session_->SendMedia(static_cast<uint8_t>(p->type()), p->timestamp(), p->payload());
    Flush();
  }
}

void RtmpClient::Close(std::string_view why) {
  if (closed_) return;
  if (last_error_.empty()) last_error_ = std::string(why);
  if (tcp_) tcp_->Close(false);  // OnClosed follows
}

void RtmpClient::OnClosed(std::string_view reason) {
  if (closed_) return;
  closed_ = true;
  std::string why = last_error_.empty() ? std::string(reason) : last_error_ + " (" + std::string(reason) + ")";
  delegate_->OnClientClosed(why);
}

}  // namespace cdn::net
