#include "lib/net/http_server.h"

#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/util.h>

#include <cstdio>
#include <cstring>

#include "lib/net/socket_writer.h"
#include "lib/net/tcp_connection.h"

namespace cdn::net {

const char* HttpReason(int status) {
  switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 416: return "Range Not Satisfiable";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Unknown";
  }
}

// Takes the writing of a streaming response over from evhttp (see StartStream). evhttp keeps the
// connection: its parser, its close detection and the end of the response; the chunks go out
// through a SocketWriter. Outlives the exchange while the last output drains.
class HttpExchange::DirectStream : private SocketWriter::Owner {
 public:
  DirectStream(HttpExchange* ex, struct bufferevent* bev, bool chunked)
      : ex_(ex), req_(ex->req_), bev_(bev), chunked_(chunked) {
    bufferevent_getcb(bev, &read_cb_, &write_cb_, &event_cb_, &cb_arg_);
    SocketWriter::Owner* owner = this;
    writer_ = std::make_unique<SocketWriter>(bufferevent_get_base(bev), bufferevent_getfd(bev), 0, owner);
    // The status line and headers evhttp just queued leave first, through the writer.
    struct evbuffer* out = bufferevent_get_output(bev);
    evbuffer_unfreeze(out, 1);  // a bufferevent keeps its output's start frozen
    std::string head(evbuffer_get_length(out), '\0');
    evbuffer_remove(out, head.data(), head.size());
    evbuffer_freeze(out, 1);
    bufferevent_disable(bev, EV_WRITE);
    bufferevent_setcb(bev, read_cb_, nullptr, &DirectStream::OnEvent, this);
    writer_->Write(head);
  }

  // One chunk made of shared parts (by reference) and/or owned bytes.
  void Send(const base::SharedBytes* parts, size_t n, std::string_view owned, size_t total) {
    if (chunked_) {
      char head[24];
      const int len = snprintf(head, sizeof head, "%zx\r\n", total);
      writer_->Write(std::string_view(head, static_cast<size_t>(len)));
    }
    for (size_t i = 0; i < n; ++i) writer_->WriteShared(parts[i]);
    if (!owned.empty()) writer_->Write(owned);
    if (chunked_) writer_->Write("\r\n");
  }
  size_t pending() const { return writer_->pending(); }

  // The exchange ends the response (or is going away): hand the connection back to evhttp to
  // finish it once our output has drained (bounded: 5 s). Nobody else owns this meanwhile: if
  // evhttp frees the connection first (server shutdown), its close callback abandons us.
  void End(struct evhttp_connection* conn) {
    ex_ = nullptr;
    ending_ = true;
    conn_ = conn;
    if (conn_) evhttp_connection_set_closecb(conn_, &DirectStream::OnConnFreed, this);
    writer_->SetDeadline(5000);
    writer_->Flush();  // may hand back and delete this at once
  }

  static void OnConnFreed(struct evhttp_connection*, void* arg) { static_cast<DirectStream*>(arg)->Abandon(); }

  // evhttp is freeing the connection (server shutdown): stop touching it.
  void Abandon() {
    bufferevent_setcb(bev_, read_cb_, write_cb_, event_cb_, cb_arg_);
    delete this;
  }

 private:
  void OnWriterDrained() override {
    if (ending_) {
      if (writer_->pending() == 0) HandBack();
      return;
    }
    if (ex_ && ex_->on_drained_) {
      auto cb = ex_->on_drained_;  // may destroy the exchange (and end this stream)
      cb();
    }
  }
  void OnWriterError(std::string_view) override { Fail(BEV_EVENT_ERROR | BEV_EVENT_WRITING); }

  static void OnEvent(struct bufferevent* bev, short what, void* arg) {
    auto* self = static_cast<DirectStream*>(arg);
    if ((what & BEV_EVENT_TIMEOUT) && (what & BEV_EVENT_READING)) {
      bufferevent_enable(bev, EV_READ);  // a viewer has nothing to say: silence is fine
      return;
    }
    self->Fail(what);
  }

  // Lets evhttp fail the connection as it would have: close it, free the request, tell the
  // exchange through its close callback.
  // A stream still being written is not finished (libevent's "userdone"), so evhttp detaches the
  // request from the failed connection instead of freeing it: once the exchange has ended
  // (`ending_`), nobody else will free it.
  void Fail(short what) {
    struct bufferevent* bev = bev_;
    auto cb = event_cb_;
    void* arg = cb_arg_;
    struct evhttp_request* orphan = ending_ ? req_ : nullptr;
    if (conn_) evhttp_connection_set_closecb(conn_, nullptr, nullptr);  // we are gone by then
    bufferevent_setcb(bev, read_cb_, write_cb_, event_cb_, cb_arg_);
    if (ex_) ex_->direct_ = nullptr;
    delete this;
    if (cb) cb(bev, what, arg);
    if (orphan && evhttp_request_get_connection(orphan) == nullptr) evhttp_request_free(orphan);
  }

  void HandBack() {
    if (conn_) evhttp_connection_set_closecb(conn_, nullptr, nullptr);
    bufferevent_setcb(bev_, read_cb_, write_cb_, event_cb_, cb_arg_);
    struct evhttp_request* req = req_;
    delete this;
    evhttp_send_reply_end(req);  // writes the last chunk, then closes (Connection: close) or reuses
  }

  HttpExchange* ex_;
  struct evhttp_request* req_;
  struct bufferevent* bev_;
  bool chunked_;
  bool ending_ = false;
  struct evhttp_connection* conn_ = nullptr;  // set once ending
  bufferevent_data_cb read_cb_ = nullptr, write_cb_ = nullptr;
  bufferevent_event_cb event_cb_ = nullptr;
  void* cb_arg_ = nullptr;
  std::unique_ptr<SocketWriter> writer_;
};

HttpExchange::HttpExchange(struct evhttp_request* req) : req_(req), alive_(std::make_shared<bool>(true)) {
  switch (evhttp_request_get_command(req)) {
    case EVHTTP_REQ_GET: method_ = "GET"; break;
    case EVHTTP_REQ_HEAD: method_ = "HEAD"; break;
    case EVHTTP_REQ_POST: method_ = "POST"; break;
    case EVHTTP_REQ_PUT: method_ = "PUT"; break;
    case EVHTTP_REQ_DELETE: method_ = "DELETE"; break;
    case EVHTTP_REQ_OPTIONS: method_ = "OPTIONS"; break;
    case EVHTTP_REQ_PATCH: method_ = "PATCH"; break;
    default: method_ = "OTHER"; break;
  }
  const char* uri = evhttp_request_get_uri(req);
  std::string_view u = uri ? uri : "/";
  size_t q = u.find('?');
  path_ = std::string(u.substr(0, q));
  if (q != std::string_view::npos) query_ = std::string(u.substr(q + 1));
  conn_ = evhttp_request_get_connection(req);
  if (conn_) {
    char* addr = nullptr;
    ev_uint16_t port = 0;
    evhttp_connection_get_peer(conn_, &addr, &port);
    peer_ = std::string(addr ? addr : "?") + ":" + std::to_string(port);
    // (TCP_NODELAY comes from the listening socket: accepted sockets inherit it.)
    if (struct bufferevent* bev = evhttp_connection_get_bufferevent(conn_)) {
      bufferevent_set_max_single_write(bev, 1 << 20);  // libevent 2.1 writes 16 KiB at a time by default
    }
    // Know when the client leaves before we answer (a play waiting for its stream).
    evhttp_connection_set_closecb(conn_, &HttpExchange::OnConnClosed, this);
  }
}

HttpExchange::~HttpExchange() {
  *alive_ = false;
  if (gone_) return;
  if (streaming_) {
    EndStream();
  } else if (!replied_) {
    Reply(500, "text/plain", "internal error: request dropped\n");
  }
}

std::string HttpExchange::header(std::string_view name) const {
  if (gone_) return "";
  const char* v = evhttp_find_header(evhttp_request_get_input_headers(req_), std::string(name).c_str());
  return v ? v : "";
}

std::string HttpExchange::body() const {
  if (gone_) return "";
  struct evbuffer* b = evhttp_request_get_input_buffer(req_);
  size_t n = evbuffer_get_length(b);
  std::string out(n, '\0');
  evbuffer_copyout(b, out.data(), n);
  return out;
}

void HttpExchange::AddHeaders(std::string_view content_type, const Headers& headers) {
  struct evkeyvalq* out = evhttp_request_get_output_headers(req_);
  if (!content_type.empty()) evhttp_add_header(out, "Content-Type", std::string(content_type).c_str());
  evhttp_add_header(out, "Server", "LiveCDN");
  for (const auto& [k, v] : headers) evhttp_add_header(out, k.c_str(), v.c_str());
}

void HttpExchange::Reply(int status, std::string_view content_type, std::string_view body, const Headers& headers) {
  if (replied_ || gone_) return;
  replied_ = true;
  if (conn_) evhttp_connection_set_closecb(conn_, nullptr, nullptr);
  AddHeaders(content_type, headers);
  struct evbuffer* b = evbuffer_new();
  if (method_ != "HEAD") evbuffer_add(b, body.data(), body.size());
  else evhttp_add_header(evhttp_request_get_output_headers(req_), "Content-Length", std::to_string(body.size()).c_str());
  bytes_sent_ += body.size();
  evhttp_send_reply(req_, status, HttpReason(status), b);
  evbuffer_free(b);
  gone_ = true;  // evhttp owns and frees the request now
}

void HttpExchange::ReplyShared(int status, std::string_view content_type, const base::SharedBytes& body, size_t offset,
                               size_t length, const Headers& headers) {
  if (replied_ || gone_) return;
  if (!body || offset > body->size() || length > body->size() - offset) {
    Reply(500, "text/plain", "internal error: bad range\n");
    return;
  }
  replied_ = true;
  if (conn_) evhttp_connection_set_closecb(conn_, nullptr, nullptr);
  AddHeaders(content_type, headers);
  struct evbuffer* b = evbuffer_new();
  if (method_ != "HEAD") {
    if (length > 0) {
      auto* hold = new base::SharedBytes(body);
      evbuffer_add_reference(
          b, body->data() + offset, length,
          [](const void*, size_t, void* arg) { delete static_cast<base::SharedBytes*>(arg); }, hold);
    }
  } else {
    evhttp_add_header(evhttp_request_get_output_headers(req_), "Content-Length", std::to_string(length).c_str());
  }
  if (method_ != "HEAD") bytes_sent_ += length;
  evhttp_send_reply(req_, status, HttpReason(status), b);
  evbuffer_free(b);
  gone_ = true;  // evhttp owns and frees the request now
}

void HttpExchange::ReplyFile(int status, std::string_view content_type, int fd, uint64_t offset, uint64_t length,
                             const Headers& headers) {
  if (replied_ || gone_) {
    close(fd);
    return;
  }
  replied_ = true;
  if (conn_) evhttp_connection_set_closecb(conn_, nullptr, nullptr);
  AddHeaders(content_type, headers);
  struct evbuffer* b = evbuffer_new();
  if (method_ != "HEAD" && length > 0) {
    // sendfile(2) where libevent can; the buffer closes fd when done.
    if (evbuffer_add_file(b, fd, static_cast<ev_off_t>(offset), static_cast<ev_off_t>(length)) != 0) close(fd);
    bytes_sent_ += length;
  } else {
    close(fd);
    evhttp_add_header(evhttp_request_get_output_headers(req_), "Content-Length", std::to_string(length).c_str());
  }
  evhttp_send_reply(req_, status, HttpReason(status), b);
  evbuffer_free(b);
  gone_ = true;
}

void HttpExchange::StartStream(int status, std::string_view content_type, const Headers& headers) {
  if (replied_ || gone_) return;
  replied_ = true;
  streaming_ = true;
  AddHeaders(content_type, headers);
  evhttp_send_reply_start(req_, status, HttpReason(status));
  // A GET stream is written directly from here on (see DirectStream); HEAD stays with evhttp.
  struct bufferevent* bev = conn_ ? evhttp_connection_get_bufferevent(conn_) : nullptr;
  if (method_ == "GET" && bev && bufferevent_getfd(bev) >= 0) {
    const char* te = evhttp_find_header(evhttp_request_get_output_headers(req_), "Transfer-Encoding");
    direct_ = new DirectStream(this, bev, te && strcmp(te, "chunked") == 0);
  }
}

void HttpExchange::SendShared(const base::SharedBytes& bytes) {
  if (!streaming_ || gone_ || !bytes || bytes->empty()) return;
  if (direct_) {
    bytes_sent_ += bytes->size();
    direct_->Send(&bytes, 1, {}, bytes->size());
    return;
  }
  struct evbuffer* b = evbuffer_new();
  auto* hold = new base::SharedBytes(bytes);
  evbuffer_add_reference(
      b, bytes->data(), bytes->size(), [](const void*, size_t, void* arg) { delete static_cast<base::SharedBytes*>(arg); },
      hold);
  bytes_sent_ += bytes->size();
  evhttp_send_reply_chunk_with_cb(req_, b, &HttpExchange::OnChunkDone, this);
  evbuffer_free(b);
}

void HttpExchange::SendSharedBatch(const std::vector<base::SharedBytes>& parts) {
  if (!streaming_ || gone_ || parts.empty()) return;
  if (direct_) {
    size_t total = 0;
    for (const base::SharedBytes& bytes : parts) total += bytes ? bytes->size() : 0;
    if (total == 0) return;
    direct_->Send(parts.data(), parts.size(), {}, total);  // the writer skips empty parts
    bytes_sent_ += total;
    return;
  }
  struct evbuffer* b = evbuffer_new();
  for (const base::SharedBytes& bytes : parts) {
    if (!bytes || bytes->empty()) continue;
    auto* hold = new base::SharedBytes(bytes);
    evbuffer_add_reference(
        b, bytes->data(), bytes->size(),
        [](const void*, size_t, void* arg) { delete static_cast<base::SharedBytes*>(arg); }, hold);
    bytes_sent_ += bytes->size();
  }
  if (evbuffer_get_length(b) > 0) evhttp_send_reply_chunk_with_cb(req_, b, &HttpExchange::OnChunkDone, this);
  evbuffer_free(b);
}

void HttpExchange::Send(std::string_view bytes) {
  if (!streaming_ || gone_ || bytes.empty()) return;
  if (direct_) {
    bytes_sent_ += bytes.size();
    direct_->Send(nullptr, 0, bytes, bytes.size());
    return;
  }
  struct evbuffer* b = evbuffer_new();
  evbuffer_add(b, bytes.data(), bytes.size());
  bytes_sent_ += bytes.size();
  evhttp_send_reply_chunk_with_cb(req_, b, &HttpExchange::OnChunkDone, this);
  evbuffer_free(b);
}

void HttpExchange::EndStream() {
  if (!streaming_ || gone_) return;
  streaming_ = false;
  if (conn_) evhttp_connection_set_closecb(conn_, nullptr, nullptr);
  gone_ = true;  // evhttp owns and frees the request now
  if (direct_) {
    DirectStream* d = direct_;
    direct_ = nullptr;
    d->End(conn_);  // evhttp_send_reply_end once our output drained
    return;
  }
  evhttp_send_reply_end(req_);
}

size_t HttpExchange::pending_output() const {
  if (gone_ || !conn_) return 0;
  if (direct_) return direct_->pending();
  struct bufferevent* bev = evhttp_connection_get_bufferevent(conn_);
  return bev ? evbuffer_get_length(bufferevent_get_output(bev)) : 0;
}

void HttpExchange::OnConnClosed(struct evhttp_connection*, void* arg) {
  auto* self = static_cast<HttpExchange*>(arg);
  // A client that leaves before its response is finished (a live stream, a play still waiting)
  // fails the connection with the request detached from it and not freed (libevent 2.1
  // evhttp_connection_incoming_fail): it is ours to free once the exchange let go of it. At
  // server shutdown the request is still attached and evhttp frees it.
  struct evhttp_request* orphan = evhttp_request_get_connection(self->req_) == nullptr ? self->req_ : nullptr;
  self->gone_ = true;
  self->streaming_ = false;
  if (self->direct_) {  // evhttp frees the connection itself (server shutdown)
    self->direct_->Abandon();
    self->direct_ = nullptr;
  }
  if (self->on_close_) {
    auto cb = self->on_close_;  // may destroy self
    cb();
  }
  if (orphan) evhttp_request_free(orphan);
}

void HttpExchange::OnChunkDone(struct evhttp_connection*, void* arg) {
  auto* self = static_cast<HttpExchange*>(arg);
  if (self->gone_ || !self->on_drained_) return;
  auto cb = self->on_drained_;
  cb();
}

base::Result<std::unique_ptr<HttpServer>> HttpServer::Listen(EventLoop* loop, const config::HostPort& addr, Handler handler,
                                                             bool reuse_port) {
  std::unique_ptr<HttpServer> s(new HttpServer());
  s->handler_ = std::move(handler);
  s->http_ = evhttp_new(loop->base());
  evhttp_set_allowed_methods(s->http_, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
                                           EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
  evhttp_set_max_headers_size(s->http_, 16 * 1024);
  evhttp_set_max_body_size(s->http_, 1 << 20);
  evhttp_set_timeout(s->http_, 30);
  evhttp_set_gencb(s->http_, &HttpServer::OnRequest, s.get());
  std::string host = addr.host.empty() ? "0.0.0.0" : addr.host;
  if (host == "localhost") host = "127.0.0.1";
  // Our own listener: evhttp_bind_socket's backlog is 128, and a burst of viewers past it waits
  // out SYN retransmits (1 s, 3 s...); 1024 like the RTMP port.
  struct evhttp_bound_socket* bs = nullptr;
  sockaddr_storage ss;
  socklen_t len;
  CDN_RETURN_IF_ERROR(MakeSockaddr(config::HostPort{host, addr.port}, &ss, &len));
  struct evconnlistener* l = evconnlistener_new_bind(
      loop->base(), nullptr, nullptr,
      LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC | (reuse_port ? LEV_OPT_REUSEABLE_PORT : 0),
      1024, reinterpret_cast<sockaddr*>(&ss), static_cast<int>(len));
  if (l) {
    // Live responses are written frame by frame: don't let Nagle hold them back (nginx's
    // tcp_nodelay). Set once here: every accepted socket inherits it (no syscall per request).
    int one = 1;
    setsockopt(evconnlistener_get_fd(l), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    bs = evhttp_bind_listener(s->http_, l);  // the listener is freed with the evhttp
  }
  if (!bs) return base::Status::Io("cannot listen on " + addr.ToString() + ": " + strerror(errno));
  sockaddr_storage bound;
  socklen_t blen = sizeof bound;
  getsockname(evhttp_bound_socket_get_fd(bs), reinterpret_cast<sockaddr*>(&bound), &blen);
  s->port_ = ntohs(bound.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                                              : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  return s;
}

HttpServer::~HttpServer() {
  if (http_) evhttp_free(http_);
}

void HttpServer::OnRequest(struct evhttp_request* req, void* arg) {
  auto* self = static_cast<HttpServer*>(arg);
  self->handler_(std::make_unique<HttpExchange>(req));
}

}  // namespace cdn::net
