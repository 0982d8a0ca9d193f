// Socket: a client TCP connection built for many cheap viewers. Each readiness is one recv()
// into a per-thread 256 KiB buffer handed to the delegate as a view (no FIONREAD, no evbuffer
// chains: on a VM every syscall counts, and libevent's bufferevent reads 16 KiB at a time with an
// ioctl before each). Writes are small (requests, commands, acks): sent at once, the rest kept
// until writable. Single-threaded: lives on one EventLoop; Close() never calls back.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "lib/config/values.h"
#include "lib/net/event_loop.h"

struct event;

namespace cdn::loadgen {

class Socket {
 public:
  class Delegate {
   public:
    virtual ~Delegate() = default;
    virtual void OnConnected() = 0;
    virtual void OnData(std::string_view data) = 0;
    // Connect failure, peer close, error or read timeout; the socket is closed when this runs.
    virtual void OnClosed(std::string_view reason) = 0;
  };

  Socket(net::EventLoop* loop, Delegate* delegate);
  ~Socket();
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  // Starts a non-blocking connect bounded by timeout_ms; OnConnected or OnClosed follows (from
  // the loop, never inside this call).
  void Connect(const config::HostPort& addr, int64_t timeout_ms);
  void Write(std::string_view bytes);
  // Reads idle for longer than ms close the socket with "read timeout"; 0 = no limit.
  void SetReadTimeout(int64_t ms);
  void Close();  // no callback
  bool closed() const { return fd_ < 0; }
  size_t pending_output() const { return out_.size(); }

 private:
  static void OnEvent(int fd, short what, void* arg);
  void HandleConnect(short what);
  void HandleRead(short what);
  void HandleWrite();
  void Fail(std::string reason);
  void Arm();
  void CloseFd();

  net::EventLoop* loop_;
  Delegate* delegate_;
  int fd_ = -1;
  bool connecting_ = false;
  struct event* rev_ = nullptr;
  struct event* wev_ = nullptr;
  int64_t read_timeout_ms_ = 0;
  std::string out_;
  bool user_closed_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace cdn::loadgen
