#include "tools/cdn-loadgen/flv_player.h"

#include "lib/http/query.h"

namespace cdn::loadgen {

using base::Status;

base::Result<HttpTarget> ParseHttpUrl(const std::string& url) {
  auto u = http::ParseUrl(url);
  if (!u || u->scheme != "http") return Status::Invalid("not an http:// URL: " + url);
  HttpTarget t;
  t.addr.host = u->host;
  t.addr.port = static_cast<uint16_t>(u->port > 0 ? u->port : 80);
  t.host_header = u->port > 0 ? t.addr.ToString() : u->host;
  t.path = u->path + (u->query.empty() ? "" : "?" + u->query);
  return t;
}

FlvPlayer::FlvPlayer(net::EventLoop* loop, HttpTarget target, int64_t timeout_ms)
    : loop_(loop), target_(std::move(target)), timeout_ms_(timeout_ms), scanner_(this) {}

FlvPlayer::~FlvPlayer() = default;

void FlvPlayer::Start() {
  stats_.start_us = NowUs();
  tcp_ = std::make_unique<Socket>(loop_, this);
  tcp_->Connect(target_.addr, timeout_ms_);
}

void FlvPlayer::Finish() {
  if (stats_.end_us) return;
  stats_.Close(NowUs(), "");
  if (tcp_) tcp_->Close();
}

void FlvPlayer::Fail(std::string why) {
  if (stats_.end_us) return;
  stats_.Close(NowUs(), stats_.connected_us < 0 ? std::move(why) : "dropped: " + why);
  if (tcp_) tcp_->Close();
}

void FlvPlayer::OnConnected() {
  tcp_->SetReadTimeout(timeout_ms_ * 2);
  tcp_->Write("GET " + target_.path + " HTTP/1.1\r\nHost: " + target_.host_header +
              "\r\nUser-Agent: cdn-loadgen\r\nAccept: */*\r\nConnection: close\r\n\r\n");
}

void FlvPlayer::OnData(std::string_view data) {
  if (stats_.end_us) return;
  stats_.bytes += data.size();
  Status st = scanner_.Consume(data);
  if (!st.ok()) Fail(st.message());
}

void FlvPlayer::OnResponse() { stats_.connected_us = NowUs(); }

void FlvPlayer::OnTag(uint8_t type, uint32_t timestamp, uint32_t, std::string_view head) {
  if (type != 8 && type != 9) return;  // E.4.1 TagType: audio 8, video 9; script data is not media
  stats_.OnMedia(NowUs(), timestamp, type == 9 && IsVideoKeyFrame(head));
}

void FlvPlayer::OnClosed(std::string_view reason) {
  if (stats_.end_us) return;
  stats_.Close(NowUs(), stats_.connected_us < 0 ? std::string(reason) : "dropped: " + std::string(reason));
}

}  // namespace cdn::loadgen
