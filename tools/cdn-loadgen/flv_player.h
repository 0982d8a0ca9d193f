// FlvPlayer: one HTTP-FLV viewer of cdn-loadgen: a GET on a plain TCP connection, the response
// scanned by FlvScanner (tag headers only, no payload copies). Lives on one worker loop; freed
// only after the loop stopped.
#pragma once

#include <memory>
#include <string>

#include "lib/config/values.h"
#include "lib/net/event_loop.h"
#include "tools/cdn-loadgen/client.h"
#include "tools/cdn-loadgen/socket.h"
#include "tools/cdn-loadgen/flv_scanner.h"

namespace cdn::loadgen {

struct HttpTarget {
  config::HostPort addr;
  std::string host_header;  // host[:port] as in the URL
  std::string path;         // path?query
};
base::Result<HttpTarget> ParseHttpUrl(const std::string& url);

class FlvPlayer : public Client, public Socket::Delegate, public FlvScanner::Delegate {
 public:
  FlvPlayer(net::EventLoop* loop, HttpTarget target, int64_t timeout_ms);
  ~FlvPlayer() override;

  void Start() override;
  void Finish() override;

  void OnConnected() override;
  void OnData(std::string_view data) override;
  void OnClosed(std::string_view reason) override;
  void OnResponse() override;
  void OnTag(uint8_t type, uint32_t timestamp, uint32_t size, std::string_view head) override;

 private:
  void Fail(std::string why);

  net::EventLoop* loop_;
  HttpTarget target_;
  int64_t timeout_ms_;
  std::unique_ptr<Socket> tcp_;
  FlvScanner scanner_;
};

}  // namespace cdn::loadgen
