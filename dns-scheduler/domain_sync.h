// DomainSync: keeps the customer-domain table in step with central's admin API
// (GET <central_api>/api/v1/domains, JSON {"domains":[{"name":..,"type":..,"source":..}]},
// polled with If-None-Match/ETag). Every good copy is written to <data_dir>/domains.json
// (temp file + rename) and read back at start, so the scheduler answers correctly while
// central is down or absent. Control thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lib/base/status.h"
#include "lib/net/event_loop.h"
#include "lib/net/http_client.h"

namespace cdn::sched {

// Domain names from the API's JSON (lowercased, no trailing dot); invalid entries are errors.
base::Result<std::vector<std::string>> ParseDomainTable(std::string_view json);

class DomainSync {
 public:
  using OnDomains = std::function<void(const std::vector<std::string>&)>;
  // `cache_path` may be empty (no disk copy).
  DomainSync(net::EventLoop* loop, std::string api_base, std::string token, int64_t interval_ms,
             std::string cache_path, OnDomains on_domains);
  ~DomainSync();

  // Loads the disk copy (reporting it through on_domains) and starts polling.
  void Start();
  const std::string& etag() const { return etag_; }
  uint64_t polls() const { return polls_; }
  uint64_t failures() const { return failures_; }
  bool last_ok() const { return last_ok_; }

 private:
  void Poll();
  void Store(const std::string& body);

  net::EventLoop* loop_;
  std::string url_;
  std::string token_;
  int64_t interval_ms_;
  std::string cache_path_;
  OnDomains on_domains_;
  std::string etag_;
  uint64_t polls_ = 0;
  uint64_t failures_ = 0;
  bool last_ok_ = false;
  uint64_t in_flight_ = 0;
  std::unique_ptr<net::HttpClient> client_;
  std::unique_ptr<net::Timer> timer_;
};

}  // namespace cdn::sched
