// SocketWriter: the output half of a non-blocking socket, written directly instead of through a
// libevent bufferevent. Writes are queued (shared payloads by reference: never copied, and no
// allocation per write beyond a slot in a vector) until the callbacks of the current loop pass
// are done, then leave in one writev. Only what the kernel refused makes it watch the socket
// (EPOLLOUT) until it drained. Against a bufferevent this saves two epoll_ctl per write (write
// interest turned on and off around each one) and the ~1 KiB evbuffer chain libevent allocates
// per referenced payload: on 1000 viewers of one stream that was most of the server's CPU.
// It does not own the descriptor. Single-threaded (the loop's thread). The owner may destroy the
// writer inside its callbacks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lib/base/bytes.h"

struct event;
struct event_base;

namespace cdn::net {

class SocketWriter {
 public:
  class Owner {
   public:
    virtual ~Owner() = default;
    // A write left pending() at or below the low watermark.
    virtual void OnWriterDrained() = 0;
    // The socket failed, or a deadline set by SetDeadline passed while output was waiting.
    virtual void OnWriterError(std::string_view reason) = 0;
  };

  SocketWriter(struct event_base* base, int fd, size_t low_watermark, Owner* owner);
  ~SocketWriter();
  SocketWriter(const SocketWriter&) = delete;
  SocketWriter& operator=(const SocketWriter&) = delete;

  void Write(std::string_view bytes);  // copied (small: headers, control messages)
  void WriteShared(const base::SharedBytes& bytes);
  size_t pending() const { return bytes_; }
  void set_low_watermark(size_t bytes) { low_watermark_ = bytes; }
  // Writes what it can now instead of at the end of the loop pass.
  void Flush();
  // From now on, waiting longer than `ms` for the socket to take output is an error.
  void SetDeadline(int64_t ms);

 private:
  struct Slice {
    base::SharedBytes shared;
    std::string own;
    size_t off = 0;
    std::string_view view() const { return (shared ? std::string_view(*shared) : std::string_view(own)).substr(off); }
  };
  static void OnFlush(int fd, short what, void* arg);
  static void OnWritable(int fd, short what, void* arg);
  void Schedule();
  void WaitWritable();  // EPOLLOUT (with the deadline, if any)

  int fd_;
  size_t low_watermark_;
  Owner* owner_;
  struct event* flush_ev_;  // activated (no syscall) to write at the end of a loop pass
  struct event* write_ev_;  // EPOLLOUT, added only while the socket is full
  bool flush_pending_ = false;
  bool waiting_ = false;
  int64_t deadline_ms_ = 0;
  std::vector<Slice> out_;
  size_t head_ = 0;
  size_t bytes_ = 0;
};

}  // namespace cdn::net
