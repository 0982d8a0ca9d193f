// RtmpClient: one outgoing RTMP connection (edge -> central), publishing or playing, as a
// TcpConnection driving an rtmp::ClientSession. Publishing writes a stream's shared packets
// (by reference when the wire form matches: chunk size 4096, message stream id 1). Single-
// threaded; the owner frees it after OnClientClosed, from a deferred call.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "lib/config/values.h"
#include "lib/live/media_packet.h"
#include "lib/net/event_loop.h"
#include "lib/net/tcp_connection.h"
#include "lib/rtmp/client_session.h"

namespace cdn::net {

class RtmpClient : public TcpConnection::Delegate, public rtmp::ClientSession::Delegate {
 public:
  class Delegate {
   public:
    virtual ~Delegate() = default;
    virtual void OnClientReady() = 0;
    virtual void OnClientMedia(rtmp::Message&& msg) {}
    virtual void OnClientWritable() {}
    // Connection failed or closed; `why` says how (refused, timeout, StreamNotFound ...).
    virtual void OnClientClosed(const std::string& why) = 0;
  };

  RtmpClient(EventLoop* loop, Delegate* delegate);
  ~RtmpClient() override;

  void Connect(const config::HostPort& addr, rtmp::ClientSession::Options options, int64_t timeout_ms);
  // Publishing once ready: queues the packet for the upstream socket.
  void Send(const live::PacketPtr& p);
  size_t pending_output() const { return tcp_ ? tcp_->pending_output() : 0; }
  bool ready() const { return session_ && session_->ready(); }
  void Close(std::string_view why);
  const std::string& peer() const { return peer_; }
  uint64_t bytes_received() const { return session_ ? session_->bytes_received() : 0; }

  // TcpConnection::Delegate
  void OnConnected() override;
  void OnData(std::string_view data) override;
  void OnWritable() override;
  void OnClosed(std::string_view reason) override;
  // ClientSession::Delegate
  void OnReady() override;
  void OnMedia(rtmp::Message&& msg) override;
  void OnStatus(std::string_view level, std::string_view code, std::string_view description) override;

 private:
  void Flush();
  EventLoop* loop_;
  Delegate* delegate_;
  std::unique_ptr<TcpConnection> tcp_;
  std::unique_ptr<rtmp::ClientSession> session_;
  std::string peer_;
  std::string last_error_;
  bool closed_ = false;
  int64_t timeout_ms_ = 5000;
  uint32_t chunk_size_ = 0;
};

}  // namespace cdn::net
