// HttpClient: asynchronous HTTP/1.1 requests on an EventLoop through libevent's evhttp, with a
// whole-request timeout, a body size cap and cancellation: for health probes and API polling.
// Host names are looked up with c-ares on the loop (a Resolver made on first use, /etc/hosts
// first); IP literals and "localhost" connect at once.
// Single-threaded: use it on its loop only. Destroying the client cancels pending requests
// without running their callbacks; a callback may destroy the client.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lib/net/event_loop.h"

struct evhttp_connection;
struct evhttp_request;

namespace cdn::net {

struct HttpResponse {
  int status = 0;  // 0 when no response arrived
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string error;  // empty on a complete response (of any status)
  bool ok() const { return error.empty(); }
  std::string header(std::string_view name) const;  // case-insensitive, "" when absent
};

class Resolver;

class HttpClient {
 public:
  using Callback = std::function<void(const HttpResponse&)>;
  using RequestHeaders = std::vector<std::pair<std::string, std::string>>;

  // `resolver`: for host names (e.g. the edge's, configured); null: one is made on first use.
  explicit HttpClient(EventLoop* loop, size_t max_body = 1 << 20, Resolver* resolver = nullptr);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Starts GET `url` ("http://host[:port]/path?query"). The callback runs exactly once, on the
  // loop, unless the request is cancelled. Returns an id for Cancel (0 if it failed at once;
  // the callback has then been scheduled with the error).
  uint64_t Get(const std::string& url, const RequestHeaders& headers, int64_t timeout_ms, Callback cb);
  // Any method ("GET", "POST", "PUT", "DELETE", "HEAD") with an optional body.
  uint64_t Request(const std::string& method, const std::string& url, const RequestHeaders& headers,
                   const std::string& body, int64_t timeout_ms, Callback cb);
  void Cancel(uint64_t id);
  size_t pending() const { return pending_.size(); }

  struct Pending;  // one request in flight (defined in the .cc)

 private:
  static void OnDone(struct evhttp_request* req, void* arg);
  void Launch(uint64_t id, const std::string& ip);
  void Finish(uint64_t id, HttpResponse resp);

  EventLoop* loop_;
  size_t max_body_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, std::unique_ptr<Pending>> pending_;
  std::set<struct evhttp_connection*> dying_;  // finished, freed on the next loop turn
  Resolver* resolver_ = nullptr;
  std::unique_ptr<Resolver> own_resolver_;  // declared after pending_: destroyed first
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace cdn::net
