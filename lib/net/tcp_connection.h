// TcpListener and TcpConnection: libevent bufferevents for stream protocols (RTMP). The
// connection reads into its delegate without copying where it can, writes owned bytes or
// shared payloads by reference (refcount held until the kernel took them), and reports when
// its output drains below a low watermark (for pull-based fan-out). Single-threaded: a
// connection lives on the loop that accepted it. Never delete a connection inside its own
// callback: Close() and let the owner free it from a deferred call.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "lib/base/bytes.h"
#include "lib/base/status.h"
#include "lib/config/values.h"
#include "lib/net/event_loop.h"
#include "lib/net/socket_writer.h"

struct bufferevent;
struct event_base;
struct evconnlistener;

namespace cdn::net {

// Resolves "host" (numeric) + port into a sockaddr; hostnames need the c-ares resolver.
base::Status MakeSockaddr(const config::HostPort& hp, sockaddr_storage* out, socklen_t* len);
std::string SockaddrToString(const sockaddr* sa);

class TcpConnection : private SocketWriter::Owner {
 public:
  class Delegate {
   public:
    virtual ~Delegate() = default;
    // New bytes; the delegate consumes them all (buffering what it must).
    virtual void OnData(std::string_view data) = 0;
    // Output fell to or below the low watermark.
    virtual void OnWritable() {}
    // An outgoing connection (Connect) is established.
    virtual void OnConnected() {}
    // Peer closed, error, or timeout. The connection is closed when this runs.
    virtual void OnClosed(std::string_view reason) = 0;
  };

  TcpConnection(EventLoop* loop, int fd, std::string peer);
  // Starts an outgoing connection; OnConnected or OnClosed follows. `timeout_ms` bounds the connect.
  static std::unique_ptr<TcpConnection> Connect(EventLoop* loop, const config::HostPort& addr, Delegate* delegate,
                                                size_t low_watermark, int64_t timeout_ms);
  ~TcpConnection() override;
  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;

  void Start(Delegate* delegate, size_t low_watermark);
  void Write(std::string_view bytes);
  void WriteShared(const base::SharedBytes& bytes);
  size_t pending_output() const;
  // Closes once output is flushed (or at once when `flush` is false). OnClosed follows.
  void Close(bool flush = true);
  bool closed() const { return closed_; }
  const std::string& peer() const { return peer_; }
  void SetReadTimeout(int64_t ms);
  uint64_t bytes_sent() const { return bytes_sent_; }
  void PauseReading(bool pause);

 private:
  static void OnRead(struct bufferevent* bev, void* arg);
  static void OnWrite(struct bufferevent* bev, void* arg);
  static void OnEvent(struct bufferevent* bev, short what, void* arg);
  void EnterDirectMode(int fd);
  bool UseWriter() const;
  bool BevOutputEmpty() const;
  void OnWriterDrained() override;
  void OnWriterError(std::string_view reason) override;
  void Finish(std::string_view reason);

  struct event_base* base_ = nullptr;
  struct bufferevent* bev_;
  std::unique_ptr<SocketWriter> writer_;  // output, once the socket is connected
  mutable bool bev_output_used_ = false;  // bytes were queued in the bufferevent (before connect)
  size_t low_watermark_ = 0;
  std::string peer_;
  Delegate* delegate_ = nullptr;
  bool closed_ = false;
  bool closing_ = false;
  uint64_t bytes_sent_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

class TcpListener {
 public:
  using AcceptFn = std::function<void(int fd, const sockaddr* addr)>;
  // `reuse_port`: SO_REUSEPORT, so several loops (the edge's workers) listen on one port and
  // the kernel spreads new connections across them.
  static base::Result<std::unique_ptr<TcpListener>> Listen(EventLoop* loop, const config::HostPort& addr, AcceptFn fn,
                                                           bool reuse_port = false);
  ~TcpListener();
  uint16_t port() const { return port_; }

 private:
  TcpListener() = default;
  static void OnAccept(struct evconnlistener*, int fd, struct sockaddr* addr, int len, void* arg);
  struct evconnlistener* listener_ = nullptr;
  AcceptFn fn_;
  uint16_t port_ = 0;
};

}  // namespace cdn::net
