// RtmpServer: the RTMP listener of central and edge. Each accepted socket becomes an
// RtmpConnection that runs a ServerSession over a TcpConnection and, once admitted, is either
// the publisher of a hub stream or one of its consumers (bounded PacketQueue, writes shared
// pre-chunked packets by reference). Single-threaded: server, connections and hub share a loop.
// Connections are freed from a deferred call, never inside their own callbacks.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>

#include "lib/base/status.h"
#include "lib/config/values.h"
#include "lib/live/stream_hub.h"
#include "lib/net/event_loop.h"
#include "lib/net/live_server.h"
#include "lib/net/tcp_connection.h"

namespace cdn::net {

class RtmpConnection;

class RtmpServer {
 public:
  RtmpServer(EventLoop* loop, live::StreamHub* hub, LivePolicy* policy, LiveServerOptions options, LiveStats* stats);
  ~RtmpServer();

  // `reuse_port`: share the port with the same server on other loops (edge workers).
  base::Status Listen(const config::HostPort& addr, bool reuse_port = false);
  uint16_t port() const { return listener_ ? listener_->port() : 0; }
  size_t connection_count() const { return conns_.size(); }
  // Closes a publisher by id (takeover of a silent publisher).
  void KickPublisher(uint64_t publisher_id);
  void CloseAll();

 private:
  friend class RtmpConnection;
  void OnAccept(int fd, const sockaddr* addr);
  void Remove(RtmpConnection* c);

  EventLoop* loop_;
  live::StreamHub* hub_;
  LivePolicy* policy_;
  LiveServerOptions options_;
  LiveStats* stats_;
  std::unique_ptr<TcpListener> listener_;
  std::unordered_map<RtmpConnection*, std::unique_ptr<RtmpConnection>> conns_;
};

}  // namespace cdn::net
