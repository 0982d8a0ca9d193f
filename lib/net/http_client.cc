#include "lib/net/http_client.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <strings.h>

#include "lib/http/query.h"
#include "lib/net/resolver.h"

namespace cdn::net {

struct HttpClient::Pending {
  HttpClient* client = nullptr;
  uint64_t id = 0;
  struct evhttp_connection* conn = nullptr;
  struct evhttp_request* req = nullptr;
  Callback cb;
  std::string error;  // from the error callback, which runs before OnDone
  // The request, kept until it is launched (after a name lookup).
  std::string method, url, host_header, target, body;
  RequestHeaders headers;
  int port = 80;
  int64_t timeout_ms = 0;
};

namespace {

// Runs before OnDone when a request fails; remembers why.
void OnRequestError(enum evhttp_request_error error, void* arg) {
  auto* p = static_cast<HttpClient::Pending*>(arg);
  switch (error) {
    case EVREQ_HTTP_TIMEOUT: p->error = "timeout"; break;
    case EVREQ_HTTP_EOF: p->error = "connection closed"; break;
    case EVREQ_HTTP_INVALID_HEADER: p->error = "invalid response header"; break;
    case EVREQ_HTTP_BUFFER_ERROR: p->error = "connection failed"; break;
    case EVREQ_HTTP_DATA_TOO_LONG: p->error = "response too large"; break;
    default: p->error = "request failed"; break;
  }
}

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) return v;
  }
  return "";
}

HttpClient::HttpClient(EventLoop* loop, size_t max_body, Resolver* resolver)
    : loop_(loop), max_body_(max_body), resolver_(resolver) {}

HttpClient::~HttpClient() {
  *alive_ = false;
  for (auto& [id, p] : pending_) {
    if (p->req) evhttp_cancel_request(p->req);
    if (p->conn) evhttp_connection_free(p->conn);
  }
  // Finished connections whose deferred free has not run (the loop stopped first).
  for (struct evhttp_connection* c : dying_) evhttp_connection_free(c);
}

uint64_t HttpClient::Get(const std::string& url, const RequestHeaders& headers, int64_t timeout_ms, Callback cb) {
  return Request("GET", url, headers, "", timeout_ms, std::move(cb));
}

uint64_t HttpClient::Request(const std::string& method, const std::string& url, const RequestHeaders& headers,
                             const std::string& body, int64_t timeout_ms, Callback cb) {
  auto fail = [&](std::string why) {
    std::weak_ptr<bool> alive = alive_;
    loop_->Defer([alive, cb, why] {
      if (alive.expired()) return;
      HttpResponse r;
      r.error = why;
      cb(r);
    });
    return uint64_t{0};
  };
  auto u = http::ParseUrl(url);
  if (!u || u->scheme != "http") return fail("not an http:// URL: " + url);
  std::string host = u->host == "localhost" ? "127.0.0.1" : u->host;

  auto p = std::make_unique<Pending>();
  p->client = this;
  p->id = next_id_++;
  p->cb = std::move(cb);
  p->method = method;
  p->url = url;
  p->port = u->port > 0 ? u->port : 80;
  p->host_header = u->port > 0 ? u->host + ":" + std::to_string(u->port) : u->host;
  p->target = u->path.empty() ? "/" : u->path;
  if (!u->query.empty()) p->target += "?" + u->query;
  p->headers = headers;
  p->body = body;
  p->timeout_ms = timeout_ms;
  const uint64_t id = p->id;
  pending_.emplace(id, std::move(p));
  if (http::IsIpLiteral(host)) {
    Launch(id, host);
    return id;
  }
  // A host name: c-ares on this loop (DESIGN.md: hostnames are allowed wherever an address is).
  if (!resolver_) {
    own_resolver_ = std::make_unique<Resolver>(loop_);
    resolver_ = own_resolver_.get();
  }
  std::weak_ptr<bool> alive = alive_;
  resolver_->Resolve(host, [this, alive, id, host](const Resolver::Answer& a) {
    if (alive.expired() || !*alive.lock() || !pending_.count(id)) return;
    if (!a.error.empty() || a.addresses.empty()) {
      HttpResponse r;
      r.error = "cannot resolve " + host + (a.error.empty() ? "" : ": " + a.error);
      Finish(id, r);
      return;
    }
    Launch(id, a.addresses.front());
  });
  return id;
}

void HttpClient::Launch(uint64_t id, const std::string& ip) {
  Pending* raw = pending_.at(id).get();
  auto fail = [this, id](std::string why) {
    HttpResponse r;
    r.error = std::move(why);
    std::weak_ptr<bool> alive = alive_;
    loop_->Defer([this, alive, id, r] {
      if (!alive.expired()) Finish(id, r);
    });
  };
  raw->conn = evhttp_connection_base_new(loop_->base(), nullptr, ip.c_str(), static_cast<uint16_t>(raw->port));
  if (raw->conn == nullptr) return fail("cannot create connection to " + ip);
  struct timeval tv = MsToTimeval(raw->timeout_ms);
  evhttp_connection_set_timeout_tv(raw->conn, &tv);
  evhttp_connection_set_retries(raw->conn, 0);
  evhttp_connection_set_max_body_size(raw->conn, static_cast<ev_ssize_t>(max_body_));
  evhttp_connection_set_max_headers_size(raw->conn, 64 * 1024);
  raw->req = evhttp_request_new(&HttpClient::OnDone, raw);
  evhttp_request_set_error_cb(raw->req, &OnRequestError);
  struct evkeyvalq* out = evhttp_request_get_output_headers(raw->req);
  evhttp_add_header(out, "Host", raw->host_header.c_str());
  evhttp_add_header(out, "Connection", "close");
  for (const auto& [k, v] : raw->headers) evhttp_add_header(out, k.c_str(), v.c_str());
  enum evhttp_cmd_type cmd = EVHTTP_REQ_GET;
  if (raw->method == "POST") cmd = EVHTTP_REQ_POST;
  else if (raw->method == "PUT") cmd = EVHTTP_REQ_PUT;
  else if (raw->method == "DELETE") cmd = EVHTTP_REQ_DELETE;
  else if (raw->method == "HEAD") cmd = EVHTTP_REQ_HEAD;
  if (!raw->body.empty() || cmd == EVHTTP_REQ_POST || cmd == EVHTTP_REQ_PUT) {
    evbuffer_add(evhttp_request_get_output_buffer(raw->req), raw->body.data(), raw->body.size());
    evhttp_add_header(out, "Content-Length", std::to_string(raw->body.size()).c_str());
  }
  if (evhttp_make_request(raw->conn, raw->req, cmd, raw->target.c_str()) != 0) {
    raw->req = nullptr;  // libevent freed the request on failure
    fail("cannot send request to " + raw->url);
  }
}

void HttpClient::Cancel(uint64_t id) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  Pending* p = it->second.get();
  if (p->req) evhttp_cancel_request(p->req);
  if (p->conn) evhttp_connection_free(p->conn);
  pending_.erase(it);
}

void HttpClient::OnDone(struct evhttp_request* req, void* arg) {
  auto* p = static_cast<Pending*>(arg);
  HttpResponse r;
  p->req = nullptr;  // libevent frees it after this callback
  if (req == nullptr || evhttp_request_get_response_code(req) == 0) {
    r.error = p->error.empty() ? "connection failed" : p->error;
  } else {
    r.status = evhttp_request_get_response_code(req);
    struct evkeyvalq* in = evhttp_request_get_input_headers(req);
    for (struct evkeyval* h = in->tqh_first; h != nullptr; h = h->next.tqe_next) r.headers.emplace_back(h->key, h->value);
    struct evbuffer* body = evhttp_request_get_input_buffer(req);
    size_t n = evbuffer_get_length(body);
    r.body.resize(n);
    if (n > 0) evbuffer_copyout(body, r.body.data(), n);
  }
  p->client->Finish(p->id, std::move(r));
}

void HttpClient::Finish(uint64_t id, HttpResponse resp) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  std::unique_ptr<Pending> p = std::move(it->second);
  pending_.erase(it);
  // The connection may still be inside this very callback: free it on the next turn.
  struct evhttp_connection* conn = p->conn;
  p->conn = nullptr;
  if (conn) {
    dying_.insert(conn);
    std::weak_ptr<bool> alive = alive_;
    loop_->Defer([this, alive, conn] {
      if (alive.expired() || !*alive.lock()) return;  // the destructor freed it
      dying_.erase(conn);
      evhttp_connection_free(conn);
    });
  }
  Callback cb = std::move(p->cb);
  cb(resp);  // last: it may destroy this client
}

}  // namespace cdn::net
