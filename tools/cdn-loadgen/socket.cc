#include "tools/cdn-loadgen/socket.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <vector>

#include "lib/net/tcp_connection.h"

namespace cdn::loadgen {

namespace {
constexpr size_t kReadBuffer = 256 << 10;
constexpr int kMaxReadsPerWakeup = 4;  // then let other viewers run

timeval Tv(int64_t ms) { return {static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)}; }
}  // namespace

Socket::Socket(net::EventLoop* loop, Delegate* delegate) : loop_(loop), delegate_(delegate) {}

Socket::~Socket() {
  *alive_ = false;
  CloseFd();
  if (rev_) event_free(rev_);
  if (wev_) event_free(wev_);
}

void Socket::Connect(const config::HostPort& addr, int64_t timeout_ms) {
  sockaddr_storage ss;
  socklen_t len;
  base::Status st = net::MakeSockaddr(addr, &ss, &len);
  std::string why;
  if (st.ok()) {
    fd_ = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) why = std::string("socket: ") + strerror(errno);
  } else {
    why = st.message();
  }
  if (fd_ >= 0) {
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0 && errno != EINPROGRESS) {
      why = std::string("socket error: ") + strerror(errno);
    }
  }
  if (!why.empty()) {
    CloseFd();
    // Reported from the loop, not inside the caller's stack; not at all after Close().
    loop_->Defer([this, why, alive = alive_] {
      if (*alive && !user_closed_) delegate_->OnClosed(why);
    });
    return;
  }
  connecting_ = true;
  wev_ = event_new(loop_->base(), fd_, EV_WRITE, &Socket::OnEvent, this);
  timeval tv = Tv(timeout_ms);
  event_add(wev_, &tv);
}

void Socket::OnEvent(int, short what, void* arg) {
  auto* self = static_cast<Socket*>(arg);
  if (self->connecting_) return self->HandleConnect(what);
  if (what & EV_WRITE) return self->HandleWrite();
  self->HandleRead(what);
}

void Socket::HandleConnect(short what) {
  connecting_ = false;
  if (what & EV_TIMEOUT) return Fail("connect timeout");
  int err = 0;
  socklen_t l = sizeof err;
  getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &l);
  if (err != 0) return Fail(std::string("socket error: ") + strerror(err));
  rev_ = event_new(loop_->base(), fd_, EV_READ | EV_PERSIST, &Socket::OnEvent, this);
  Arm();
  delegate_->OnConnected();
}

void Socket::Arm() {
  if (!rev_ || fd_ < 0) return;
  if (read_timeout_ms_ > 0) {
    timeval tv = Tv(read_timeout_ms_);
    event_add(rev_, &tv);
  } else {
    event_add(rev_, nullptr);
  }
}

void Socket::SetReadTimeout(int64_t ms) {
  read_timeout_ms_ = ms;
  Arm();
}

void Socket::HandleRead(short what) {
  if (what & EV_TIMEOUT) return Fail("read timeout");
  static thread_local std::vector<char> buf(kReadBuffer);
  for (int i = 0; i < kMaxReadsPerWakeup && fd_ >= 0; ++i) {
    const ssize_t n = recv(fd_, buf.data(), buf.size(), 0);
    if (n > 0) {
      delegate_->OnData(std::string_view(buf.data(), static_cast<size_t>(n)));
      if (static_cast<size_t>(n) < buf.size()) return;
      continue;
    }
    if (n == 0) return Fail("peer closed");
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
    return Fail(std::string("socket error: ") + strerror(errno));
  }
}

void Socket::Write(std::string_view bytes) {
  if (fd_ < 0 || connecting_ || bytes.empty()) return;
  if (out_.empty()) {
    const ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      // Reported by the next read (the peer reset): writes never call back.
      return;
    }
    if (n > 0) bytes.remove_prefix(static_cast<size_t>(n));
    if (bytes.empty()) return;
  }
  out_.append(bytes);
  event_add(wev_, nullptr);
}

void Socket::HandleWrite() {
  while (!out_.empty() && fd_ >= 0) {
    const ssize_t n = send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL);
    if (n > 0) {
      out_.erase(0, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      event_add(wev_, nullptr);
      return;
    }
    return Fail(std::string("socket error: ") + strerror(errno));
  }
}

void Socket::Fail(std::string reason) {
  if (fd_ < 0) return;
  CloseFd();
  delegate_->OnClosed(reason);
}

void Socket::Close() {
  user_closed_ = true;
  CloseFd();
}

void Socket::CloseFd() {
  // Events are only deleted here (we may be inside one's callback) and freed with the socket.
  if (rev_) event_del(rev_);
  if (wev_) event_del(wev_);
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  connecting_ = false;
  out_.clear();
}

}  // namespace cdn::loadgen
