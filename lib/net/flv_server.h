// FlvServer: HTTP-FLV on an evhttp listener: GET /<app>/<stream>.flv (vhost from Host or
// ?vhost=) answers a chunked FLV stream that starts on a key frame, with CORS headers for
// browser players (mpegts.js, flv.js); 404 after `play_wait_ms` when nothing publishes it.
// Other paths go to an optional fallback handler (HLS). Single-threaded, like RtmpServer.
#pragma once

#include <functional>
#include <memory>
#include <unordered_map>

#include "lib/live/stream_hub.h"
#include "lib/net/http_server.h"
#include "lib/net/live_server.h"

namespace cdn::net {

class FlvViewer;

class FlvServer {
 public:
  FlvServer(EventLoop* loop, live::StreamHub* hub, LivePolicy* policy, LiveServerOptions options, LiveStats* stats);
  ~FlvServer();

  // `reuse_port`: share the port with the same server on other loops (edge workers).
  base::Status Listen(const config::HostPort& addr, bool reuse_port = false);
  uint16_t port() const { return http_ ? http_->port() : 0; }
  size_t viewer_count() const { return viewers_.size(); }
  void set_fallback(HttpServer::Handler h) { fallback_ = std::move(h); }
  void CloseAll();

  // Splits "/live/room.flv" into app "live", stream "room" (suffix ".flv"). False if not.
  static bool SplitStreamPath(const std::string& path, std::string_view suffix, std::string* app, std::string* stream);
  // Host header without port, lower case; "" when absent.
  static std::string HostOf(const HttpExchange& ex);

 private:
  friend class FlvViewer;
  void OnRequest(std::unique_ptr<HttpExchange> ex);
  void Remove(FlvViewer* v);

  EventLoop* loop_;
  live::StreamHub* hub_;
  LivePolicy* policy_;
  LiveServerOptions options_;
  LiveStats* stats_;
  std::unique_ptr<HttpServer> http_;
  HttpServer::Handler fallback_;
  std::unordered_map<FlvViewer*, std::unique_ptr<FlvViewer>> viewers_;
};

}  // namespace cdn::net
