// HttpServer: libevent's evhttp behind a small interface: a handler gets one HttpExchange per
// request and answers it at once or later, whole or as a chunked stream (HTTP-FLV) whose
// payloads are shared packets added by reference. The exchange reports when the client goes
// away and when its output drained. Single-threaded: a server and its exchanges live on one
// loop. An exchange dropped without a reply answers 500.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lib/base/bytes.h"
#include "lib/base/status.h"
#include "lib/config/values.h"
#include "lib/net/event_loop.h"

struct evhttp;
struct evhttp_request;
struct evhttp_connection;

namespace cdn::net {

using Headers = std::vector<std::pair<std::string, std::string>>;

class HttpExchange {
 public:
  explicit HttpExchange(struct evhttp_request* req);
  ~HttpExchange();
  HttpExchange(const HttpExchange&) = delete;
  HttpExchange& operator=(const HttpExchange&) = delete;

  const std::string& method() const { return method_; }
  const std::string& path() const { return path_; }    // raw path, not decoded
  const std::string& query() const { return query_; }  // raw query, no '?'
  const std::string& peer() const { return peer_; }
  std::string header(std::string_view name) const;    // "" when absent
  std::string body() const;

  void Reply(int status, std::string_view content_type, std::string_view body, const Headers& headers = {});
  // Reply with bytes [offset, offset + length) of a shared immutable object added by reference
  // (an HLS segment): kept alive until written, never copied. HEAD gets the headers only.
  void ReplyShared(int status, std::string_view content_type, const base::SharedBytes& body, size_t offset,
                   size_t length, const Headers& headers = {});
  // Reply with bytes [offset, offset + length) of an open file (a recording), sent with sendfile
  // where possible, never read into memory. Takes ownership of `fd`.
  void ReplyFile(int status, std::string_view content_type, int fd, uint64_t offset, uint64_t length,
                 const Headers& headers = {});
  // Streaming (chunked transfer encoding).
  void StartStream(int status, std::string_view content_type, const Headers& headers = {});
  void SendShared(const base::SharedBytes& bytes);
  // Several shared objects as one chunk (each added by reference).
  void SendSharedBatch(const std::vector<base::SharedBytes>& parts);
  void Send(std::string_view bytes);
  void EndStream();
  size_t pending_output() const;
  bool client_gone() const { return gone_; }
  bool replied() const { return replied_; }
  uint64_t bytes_sent() const { return bytes_sent_; }

  // Called when the client closes the connection (the exchange must then be dropped soon).
  void set_on_close(std::function<void()> cb) { on_close_ = std::move(cb); }
  // Called when queued stream output has been written out.
  void set_on_drained(std::function<void()> cb) { on_drained_ = std::move(cb); }

 private:
  class DirectStream;
  static void OnConnClosed(struct evhttp_connection*, void* arg);
  static void OnChunkDone(struct evhttp_connection*, void* arg);
  void AddHeaders(std::string_view content_type, const Headers& headers);
  struct evhttp_request* req_;
  struct evhttp_connection* conn_ = nullptr;
  std::string method_, path_, query_, peer_;
  bool replied_ = false;
  bool streaming_ = false;
  bool gone_ = false;
  uint64_t bytes_sent_ = 0;
  std::function<void()> on_close_, on_drained_;
  DirectStream* direct_ = nullptr;  // a GET stream's writer (owns itself: it may outlive us)
  std::shared_ptr<bool> alive_;
};

class HttpServer {
 public:
  using Handler = std::function<void(std::unique_ptr<HttpExchange>)>;
  // `reuse_port`: SO_REUSEPORT (one port shared by several loops, see TcpListener).
  static base::Result<std::unique_ptr<HttpServer>> Listen(EventLoop* loop, const config::HostPort& addr, Handler handler,
                                                          bool reuse_port = false);
  ~HttpServer();
  uint16_t port() const { return port_; }

 private:
  HttpServer() = default;
  static void OnRequest(struct evhttp_request* req, void* arg);
  struct evhttp* http_ = nullptr;
  Handler handler_;
  uint16_t port_ = 0;
};

const char* HttpReason(int status);

}  // namespace cdn::net
