#include "lib/net/rtmp_server.h"

#include <unistd.h>

#include "lib/base/log.h"
#include "lib/net/rtmp_connection.h"

namespace cdn::net {

RtmpServer::RtmpServer(EventLoop* loop, live::StreamHub* hub, LivePolicy* policy, LiveServerOptions options,
                       LiveStats* stats)
    : loop_(loop), hub_(hub), policy_(policy), options_(options), stats_(stats) {
  if (!options_.budget) options_.budget = std::make_shared<ConnectionBudget>(options_.max_connections);
}

RtmpServer::~RtmpServer() { CloseAll(); }

base::Status RtmpServer::Listen(const config::HostPort& addr, bool reuse_port) {
  auto l = TcpListener::Listen(
      loop_, addr, [this](int fd, const sockaddr* sa) { OnAccept(fd, sa); }, reuse_port);
  if (!l.ok()) return l.status();
  listener_ = std::move(*l);
  return base::Status::Ok();
}

void RtmpServer::OnAccept(int fd, const sockaddr* addr) {
  std::string peer = SockaddrToString(addr);
  if (!options_.budget->TryAcquire()) {
    LOG(WARN) << "rtmp " << peer << ": refused, max_connections " << options_.budget->max() << " reached";
    stats_->Reject("connect", "max_connections");
    ::close(fd);
    return;
  }
  auto tcp = std::make_unique<TcpConnection>(loop_, fd, peer);
  auto conn = std::make_unique<RtmpConnection>(this, std::move(tcp));
  RtmpConnection* raw = conn.get();
  conns_.emplace(raw, std::move(conn));
  ++stats_->rtmp_connections;
  raw->Start();
}

void RtmpServer::Remove(RtmpConnection* c) {
  // Deferred: the connection may be inside its own callback.
  loop_->Defer([this, c] {
    auto it = conns_.find(c);
    if (it == conns_.end()) return;
    --stats_->rtmp_connections;
    options_.budget->Release();
    conns_.erase(it);
  });
}

void RtmpServer::KickPublisher(uint64_t publisher_id) {
  for (auto& [raw, c] : conns_) {
    if (c->publisher_id() == publisher_id) {
      c->Close("replaced by a new publisher", false);
      return;
    }
  }
}

void RtmpServer::CloseAll() {
  for (auto& [raw, c] : conns_) c->Close("server shutting down", false);
  stats_->rtmp_connections -= static_cast<int64_t>(conns_.size());
  for (size_t i = 0; i < conns_.size(); ++i) options_.budget->Release();
  conns_.clear();
}

}  // namespace cdn::net
