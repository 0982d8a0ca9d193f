#include "lib/net/domain_sync.h"

#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "lib/base/log.h"

namespace cdn::net {

DomainSync::DomainSync(net::EventLoop* loop, std::string api_base, std::string token, int64_t interval_ms,
                       std::string cache_path, Apply apply)
    : loop_(loop),
      url_(api_base.empty() ? "" : api_base + "/api/v1/domains"),
      token_(std::move(token)),
      interval_ms_(interval_ms),
      cache_path_(std::move(cache_path)),
      apply_(std::move(apply)),
      client_(std::make_unique<HttpClient>(loop, 16 << 20)) {}

DomainSync::~DomainSync() = default;

void DomainSync::Start() {
  if (!cache_path_.empty()) {
    std::ifstream in(cache_path_);
    if (in) {
      std::stringstream ss;
      ss << in.rdbuf();
      base::Status st = apply_(ss.str());
      if (st.ok()) {
        LOG(INFO) << "domain table: loaded the last good copy from " << cache_path_;
      } else {
        LOG(WARN) << "ignoring " << cache_path_ << ": " << st.message();
      }
    }
  }
  if (url_.empty()) return;
  timer_ = std::make_unique<Timer>(loop_, [this] { Poll(); });
  timer_->Start(interval_ms_, /*repeat=*/true);
  Poll();
}

void DomainSync::Poll() {
  if (in_flight_) return;
  HttpClient::RequestHeaders headers;
  if (!etag_.empty()) headers.emplace_back("If-None-Match", etag_);
  if (!token_.empty()) headers.emplace_back("Authorization", "Bearer " + token_);
  ++polls_;
  in_flight_ = client_->Get(url_, headers, std::min<int64_t>(interval_ms_, 5000), [this](const HttpResponse& r) {
    in_flight_ = 0;
    if (r.ok() && r.status == 304) {
      last_ok_ = true;
      return;
    }
    std::string why;
    if (!r.ok()) {
      why = r.error;
    } else if (r.status != 200) {
      why = "HTTP " + std::to_string(r.status);
    } else {
      base::Status st = apply_(r.body);
      if (st.ok()) {
        etag_ = r.header("ETag");
        if (!last_ok_) {
          LOG(INFO) << "domain table: in sync with " << url_;
        }
        last_ok_ = true;
        Store(r.body);
        return;
      }
      why = st.message();
    }
    ++failures_;
    if (last_ok_ || failures_ == 1) {
      LOG(WARN) << "domain table poll failed (" << why << "); keeping the last good copy";
    }
    last_ok_ = false;
  });
}

void DomainSync::Store(const std::string& body) {
  if (cache_path_.empty()) return;
  std::string tmp = cache_path_ + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << body;
    if (!out) {
      LOG(WARN) << "cannot write " << tmp;
      return;
    }
  }
  if (std::rename(tmp.c_str(), cache_path_.c_str()) != 0) {
    LOG(WARN) << "cannot rename " << tmp;
  }
}

}  // namespace cdn::net
