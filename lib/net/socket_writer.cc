#include "lib/net/socket_writer.h"

#include <event2/event.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstring>

#include "lib/net/event_loop.h"

namespace cdn::net {

SocketWriter::SocketWriter(struct event_base* base, int fd, size_t low_watermark, Owner* owner)
    : fd_(fd),
      low_watermark_(low_watermark),
      owner_(owner),
      flush_ev_(event_new(base, -1, 0, &SocketWriter::OnFlush, this)),
      write_ev_(event_new(base, fd, EV_WRITE | EV_PERSIST, &SocketWriter::OnWritable, this)) {}

SocketWriter::~SocketWriter() {
  event_free(flush_ev_);
  event_free(write_ev_);
}

void SocketWriter::Write(std::string_view bytes) {
  if (bytes.empty()) return;
  // Small owned writes share a slot while it has not started to leave.
  if (out_.size() > head_ && !out_.back().shared && out_.back().off == 0 && out_.back().own.size() < 4096) {
    out_.back().own.append(bytes);
  } else {
    out_.push_back(Slice{nullptr, std::string(bytes), 0});
  }
  bytes_ += bytes.size();
  Schedule();
}

void SocketWriter::WriteShared(const base::SharedBytes& bytes) {
  if (!bytes || bytes->empty()) return;
  out_.push_back(Slice{bytes, {}, 0});
  bytes_ += bytes->size();
  Schedule();
}

void SocketWriter::Schedule() {
  if (flush_pending_ || waiting_) return;
  flush_pending_ = true;
  event_active(flush_ev_, EV_WRITE, 0);
}

void SocketWriter::SetDeadline(int64_t ms) {
  deadline_ms_ = ms;
  if (waiting_) WaitWritable();  // re-armed with the deadline
}

void SocketWriter::WaitWritable() {
  const struct timeval tv = MsToTimeval(deadline_ms_);
  event_add(write_ev_, deadline_ms_ > 0 ? &tv : nullptr);
  waiting_ = true;
}

void SocketWriter::OnFlush(int, short, void* arg) {
  auto* self = static_cast<SocketWriter*>(arg);
  self->flush_pending_ = false;
  self->Flush();
}

void SocketWriter::OnWritable(int, short what, void* arg) {
  auto* self = static_cast<SocketWriter*>(arg);
  if (what & EV_TIMEOUT) {
    self->owner_->OnWriterError("write timeout");  // may destroy self
    return;
  }
  self->Flush();
}

void SocketWriter::Flush() {
  constexpr size_t kMaxIov = 64;
  while (head_ < out_.size()) {
    struct iovec iov[kMaxIov];
    size_t n = 0, want = 0;
    for (size_t i = head_; i < out_.size() && n < kMaxIov; ++i, ++n) {
      std::string_view v = out_[i].view();
      iov[n].iov_base = const_cast<char*>(v.data());
      iov[n].iov_len = v.size();
      want += v.size();
    }
    const ssize_t w = writev(fd_, iov, static_cast<int>(n));
    if (w < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
      owner_->OnWriterError(std::string("socket error: ") + strerror(errno));  // may destroy this
      return;
    }
    size_t left = static_cast<size_t>(w);
    bytes_ -= left;
    while (left > 0) {
      Slice& s = out_[head_];
      const size_t len = s.view().size();
      if (left < len) {
        s.off += left;
        break;
      }
      left -= len;
      s = Slice();  // releases the shared payload now
      ++head_;
    }
    if (static_cast<size_t>(w) < want) break;  // the socket is full
  }
  if (head_ == out_.size()) {
    out_.clear();
    head_ = 0;
  } else if (head_ >= 64 && head_ * 2 >= out_.size()) {
    out_.erase(out_.begin(), out_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
  if (out_.empty()) {
    if (waiting_) {
      event_del(write_ev_);
      waiting_ = false;
    }
  } else if (!waiting_) {
    WaitWritable();
  }
  if (bytes_ <= low_watermark_) owner_->OnWriterDrained();  // may destroy this: nothing after it
}

}  // namespace cdn::net
