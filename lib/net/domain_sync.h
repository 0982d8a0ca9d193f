// DomainSync: keeps a node's customer-domain table in step with central's admin API
// (GET <central_api>/api/v1/domains, JSON {"domains":[...]}, polled with If-None-Match/ETag).
// Every good copy is written to <cache_path> (temp file + rename) and read back at start, so
// edges and the scheduler keep serving the domains they knew while central is down. The node
// parses and applies the body (`apply`); only a body it accepts is stored. Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lib/base/status.h"
#include "lib/net/event_loop.h"
#include "lib/net/http_client.h"

namespace cdn::net {

class DomainSync {
 public:
  // Parses and applies a table body; an error leaves the node on its last good table.
  using Apply = std::function<base::Status(const std::string& body)>;
  // `cache_path` may be empty (no disk copy).
  DomainSync(EventLoop* loop, std::string api_base, std::string token, int64_t interval_ms,
             std::string cache_path, Apply apply);
  ~DomainSync();

  // Loads the disk copy (through apply) and starts polling.
  void Start();
  const std::string& etag() const { return etag_; }
  uint64_t polls() const { return polls_; }
  uint64_t failures() const { return failures_; }
  bool last_ok() const { return last_ok_; }

 private:
  void Poll();
  void Store(const std::string& body);

  EventLoop* loop_;
  std::string url_;
  std::string token_;
  int64_t interval_ms_;
  std::string cache_path_;
  Apply apply_;
  std::string etag_;
  uint64_t polls_ = 0;
  uint64_t failures_ = 0;
  bool last_ok_ = false;
  uint64_t in_flight_ = 0;
  std::unique_ptr<HttpClient> client_;
  std::unique_ptr<Timer> timer_;
};

}  // namespace cdn::net
