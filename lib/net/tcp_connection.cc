#include "lib/net/tcp_connection.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace cdn::net {

base::Status MakeSockaddr(const config::HostPort& hp, sockaddr_storage* out, socklen_t* len) {
  memset(out, 0, sizeof *out);
  auto* v4 = reinterpret_cast<sockaddr_in*>(out);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(out);
  std::string host = hp.host.empty() || hp.host == "*" ? "0.0.0.0" : hp.host;
  if (host == "localhost") host = "127.0.0.1";
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(hp.port);
    *len = sizeof(sockaddr_in);
    return base::Status::Ok();
  }
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(hp.port);
    *len = sizeof(sockaddr_in6);
    return base::Status::Ok();
  }
  return base::Status::Invalid("not a numeric address: " + hp.host);
}

std::string SockaddrToString(const sockaddr* sa) {
  char buf[INET6_ADDRSTRLEN] = "?";
  if (sa->sa_family == AF_INET) {
    auto* v4 = reinterpret_cast<const sockaddr_in*>(sa);
    inet_ntop(AF_INET, &v4->sin_addr, buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(ntohs(v4->sin_port));
  }
  if (sa->sa_family == AF_INET6) {
    auto* v6 = reinterpret_cast<const sockaddr_in6*>(sa);
    inet_ntop(AF_INET6, &v6->sin6_addr, buf, sizeof buf);
    return "[" + std::string(buf) + "]:" + std::to_string(ntohs(v6->sin6_port));
  }
  return "?";
}

TcpConnection::TcpConnection(EventLoop* loop, int fd, std::string peer) : peer_(std::move(peer)) {
  if (fd >= 0) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  bev_ = bufferevent_socket_new(loop->base(), fd, BEV_OPT_CLOSE_ON_FREE);
  base_ = loop->base();
  if (fd >= 0) EnterDirectMode(fd);  // an outgoing connection switches once connected
}

std::unique_ptr<TcpConnection> TcpConnection::Connect(EventLoop* loop, const config::HostPort& addr, Delegate* delegate,
                                                      size_t low_watermark, int64_t timeout_ms) {
  auto c = std::unique_ptr<TcpConnection>(new TcpConnection(loop, -1, addr.ToString()));
  c->Start(delegate, low_watermark);
  // Bounds the connect (libevent waits for writability); the owner resets it once connected.
  struct timeval tv = MsToTimeval(timeout_ms);
  bufferevent_set_timeouts(c->bev_, &tv, &tv);
  sockaddr_storage ss;
  socklen_t len;
  base::Status st = MakeSockaddr(addr, &ss, &len);
  if (!st.ok() || bufferevent_socket_connect(c->bev_, reinterpret_cast<sockaddr*>(&ss), static_cast<int>(len)) != 0) {
    // Report the failure from the loop, not inside the caller's stack.
    TcpConnection* raw = c.get();
    std::string why = st.ok() ? std::string("connect failed: ") + strerror(errno) : st.message();
    loop->Defer([raw, why, alive = raw->alive_] {
      if (*alive) raw->Finish(why);
    });
  }
  return c;
}

TcpConnection::~TcpConnection() {
  *alive_ = false;
  writer_.reset();  // before the bufferevent closes the descriptor
  if (bev_) bufferevent_free(bev_);
}

// Output goes through a SocketWriter from now on; the bufferevent only reads (and writes what
// was queued before an outgoing connection was up).
void TcpConnection::EnterDirectMode(int fd) {
  if (writer_ || fd < 0) return;
  SocketWriter::Owner* owner = this;
  writer_ = std::make_unique<SocketWriter>(base_, fd, low_watermark_, owner);
}

void TcpConnection::Start(Delegate* delegate, size_t low_watermark) {
  delegate_ = delegate;
  bufferevent_setcb(bev_, &TcpConnection::OnRead, &TcpConnection::OnWrite, &TcpConnection::OnEvent, this);
  low_watermark_ = low_watermark;
  bufferevent_setwatermark(bev_, EV_WRITE, low_watermark, 0);
  if (writer_) {
    // Direct mode: the bufferevent only reads (a new one starts with EV_WRITE enabled).
    writer_->set_low_watermark(low_watermark);
    bufferevent_enable(bev_, EV_READ);
    bufferevent_disable(bev_, EV_WRITE);
  } else {
    bufferevent_enable(bev_, EV_READ | EV_WRITE);
  }
}

// Whether the bufferevent's output is empty, asked without taking libevent's buffer lock while it
// has not been written to (the common case: only an outgoing connection's first bytes go there).
bool TcpConnection::BevOutputEmpty() const {
  if (!bev_output_used_) return true;
  if (evbuffer_get_length(bufferevent_get_output(bev_)) > 0) return false;
  bev_output_used_ = false;
  return true;
}

bool TcpConnection::UseWriter() const { return writer_ && BevOutputEmpty(); }

void TcpConnection::OnWriterDrained() {
  if (closing_) {
    if (writer_->pending() == 0) Finish("closed by server");
    return;
  }
  if (delegate_) delegate_->OnWritable();
}

void TcpConnection::OnWriterError(std::string_view reason) { Finish(reason); }

void TcpConnection::SetReadTimeout(int64_t ms) {
  if (ms <= 0) {
    bufferevent_set_timeouts(bev_, nullptr, nullptr);
    return;
  }
  struct timeval tv = MsToTimeval(ms);
  bufferevent_set_timeouts(bev_, &tv, nullptr);
}

void TcpConnection::PauseReading(bool pause) {
  if (closed_) return;
  if (pause) bufferevent_disable(bev_, EV_READ);
  else bufferevent_enable(bev_, EV_READ);
}

void TcpConnection::Write(std::string_view bytes) {
  if (closed_ || closing_ || bytes.empty()) return;
  bytes_sent_ += bytes.size();
  if (UseWriter()) {
    writer_->Write(bytes);
  } else {
    bev_output_used_ = true;
    bufferevent_write(bev_, bytes.data(), bytes.size());
  }
}

void TcpConnection::WriteShared(const base::SharedBytes& bytes) {
  if (closed_ || closing_ || !bytes || bytes->empty()) return;
  bytes_sent_ += bytes->size();
  if (UseWriter()) {
    writer_->WriteShared(bytes);
    return;
  }
  bev_output_used_ = true;
  auto* hold = new base::SharedBytes(bytes);
  evbuffer_add_reference(
      bufferevent_get_output(bev_), bytes->data(), bytes->size(),
      [](const void*, size_t, void* arg) { delete static_cast<base::SharedBytes*>(arg); }, hold);
}

size_t TcpConnection::pending_output() const {
  if (closed_) return 0;
  return (BevOutputEmpty() ? 0 : evbuffer_get_length(bufferevent_get_output(bev_))) + (writer_ ? writer_->pending() : 0);
}

void TcpConnection::Close(bool flush) {
  if (closed_) return;
  if (flush && evbuffer_get_length(bufferevent_get_output(bev_)) > 0) {
    closing_ = true;
    bufferevent_disable(bev_, EV_READ);
    bufferevent_setwatermark(bev_, EV_WRITE, 0, 0);
    struct timeval tv = {5, 0};  // don't wait forever on a peer that never reads
    bufferevent_set_timeouts(bev_, nullptr, &tv);
    bufferevent_enable(bev_, EV_WRITE);
    return;
  }
  if (flush && writer_ && writer_->pending() > 0) {
    closing_ = true;
    bufferevent_disable(bev_, EV_READ);
    writer_->SetDeadline(5000);  // don't wait forever on a peer that never reads
    writer_->Flush();            // finishes at once when everything went out
    return;
  }
  Finish("closed by server");
}

void TcpConnection::Finish(std::string_view reason) {
  if (closed_) return;
  closed_ = true;
  writer_.reset();
  bufferevent_disable(bev_, EV_READ | EV_WRITE);
  // Shut the socket now; the bufferevent is freed with the object.
  bufferevent_setcb(bev_, nullptr, nullptr, nullptr, nullptr);
  bufferevent_free(bev_);
  bev_ = nullptr;
  if (delegate_) delegate_->OnClosed(reason);
}

void TcpConnection::OnRead(struct bufferevent* bev, void* arg) {
  auto* self = static_cast<TcpConnection*>(arg);
  struct evbuffer* in = bufferevent_get_input(bev);
  while (!self->closed_ && !self->closing_) {
    size_t n = evbuffer_get_length(in);
    if (n == 0) break;
    struct evbuffer_iovec vec[8];
    int cnt = evbuffer_peek(in, -1, nullptr, vec, 8);
    if (cnt > 8) cnt = 8;
    size_t used = 0;
    for (int i = 0; i < cnt && !self->closed_; ++i) {
      self->delegate_->OnData(std::string_view(static_cast<const char*>(vec[i].iov_base), vec[i].iov_len));
      used += vec[i].iov_len;
      if (self->closed_ || self->closing_) break;
    }
    if (self->closed_) return;
    evbuffer_drain(in, used);
  }
}

void TcpConnection::OnWrite(struct bufferevent* bev, void* arg) {
  auto* self = static_cast<TcpConnection*>(arg);
  if (self->closing_) {
    if (evbuffer_get_length(bufferevent_get_output(bev)) == 0) self->Finish("closed by server");
    return;
  }
  // What was written before an outgoing connection was up has drained: direct writes from now on.
  if (self->writer_ && evbuffer_get_length(bufferevent_get_output(bev)) == 0) bufferevent_disable(bev, EV_WRITE);
  if (self->delegate_) self->delegate_->OnWritable();
}

void TcpConnection::OnEvent(struct bufferevent*, short what, void* arg) {
  auto* self = static_cast<TcpConnection*>(arg);
  if (what & BEV_EVENT_CONNECTED) {
    int one = 1;
    setsockopt(bufferevent_getfd(self->bev_), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    self->EnterDirectMode(bufferevent_getfd(self->bev_));
    if (evbuffer_get_length(bufferevent_get_output(self->bev_)) == 0) bufferevent_disable(self->bev_, EV_WRITE);
    if (self->delegate_) self->delegate_->OnConnected();
    return;
  }
  if (what & BEV_EVENT_EOF) {
    self->Finish("peer closed");
  } else if (what & BEV_EVENT_TIMEOUT) {
    self->Finish(what & BEV_EVENT_READING ? "read timeout" : "write timeout");
  } else if (what & BEV_EVENT_ERROR) {
    self->Finish(std::string("socket error: ") + strerror(EVUTIL_SOCKET_ERROR()));
  }
}

base::Result<std::unique_ptr<TcpListener>> TcpListener::Listen(EventLoop* loop, const config::HostPort& addr, AcceptFn fn,
                                                               bool reuse_port) {
  sockaddr_storage ss;
  socklen_t len;
  CDN_RETURN_IF_ERROR(MakeSockaddr(addr, &ss, &len));
  std::unique_ptr<TcpListener> l(new TcpListener());
  l->fn_ = std::move(fn);
  l->listener_ = evconnlistener_new_bind(loop->base(), &TcpListener::OnAccept, l.get(),
                                         LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC |
                                             (reuse_port ? LEV_OPT_REUSEABLE_PORT : 0),
                                         1024,
                                         reinterpret_cast<sockaddr*>(&ss), static_cast<int>(len));
  if (!l->listener_) return base::Status::Io("cannot listen on " + addr.ToString() + ": " + strerror(errno));
  sockaddr_storage bound;
  socklen_t blen = sizeof bound;
  getsockname(evconnlistener_get_fd(l->listener_), reinterpret_cast<sockaddr*>(&bound), &blen);
  l->port_ = ntohs(bound.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                                              : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  return l;
}

TcpListener::~TcpListener() {
  if (listener_) evconnlistener_free(listener_);
}

void TcpListener::OnAccept(struct evconnlistener*, int fd, struct sockaddr* addr, int, void* arg) {
  static_cast<TcpListener*>(arg)->fn_(fd, addr);
}

}  // namespace cdn::net
