#include "dns-scheduler/domain_sync.h"

#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "dns-scheduler/json.h"
#include "lib/base/log.h"
#include "lib/dns/name.h"

namespace cdn::sched {

base::Result<std::vector<std::string>> ParseDomainTable(std::string_view text) {
  auto json = JsonValue::Parse(text);
  if (!json.ok()) return json.status();
  const JsonValue& list = (*json)["domains"];
  if (!list.is_array()) return base::Status::Invalid("domain table: expected {\"domains\": [...]}");
  std::vector<std::string> out;
  for (const auto& d : list.items()) {
    std::string name;
    if (d.is_string()) {
      name = d.str();
    } else if (d.is_object() && d["name"].is_string()) {
      name = d["name"].str();
    } else {
      return base::Status::Invalid("domain table: entry without a name");
    }
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!name.empty() && name.back() == '.') name.pop_back();
    auto wire = dns::NameFromText(name);
    if (name.empty() || !wire.ok()) return base::Status::Invalid("domain table: bad name '" + name + "'");
    out.push_back(name);
  }
  return out;
}

DomainSync::DomainSync(net::EventLoop* loop, std::string api_base, std::string token, int64_t interval_ms,
                       std::string cache_path, OnDomains on_domains)
    : loop_(loop),
      url_(api_base.empty() ? "" : api_base + "/api/v1/domains"),
      token_(std::move(token)),
      interval_ms_(interval_ms),
      cache_path_(std::move(cache_path)),
      on_domains_(std::move(on_domains)),
      client_(std::make_unique<net::HttpClient>(loop, 16 << 20)) {}

DomainSync::~DomainSync() = default;

void DomainSync::Start() {
  if (!cache_path_.empty()) {
    std::ifstream in(cache_path_);
    if (in) {
      std::stringstream ss;
      ss << in.rdbuf();
      auto domains = ParseDomainTable(ss.str());
      if (domains.ok()) {
        LOG(INFO) << "domain table: " << domains->size() << " domains from " << cache_path_;
        on_domains_(*domains);
      } else {
        LOG(WARN) << "ignoring " << cache_path_ << ": " << domains.status().message();
      }
    }
  }
  if (url_.empty()) return;
  timer_ = std::make_unique<net::Timer>(loop_, [this] { Poll(); });
  timer_->Start(interval_ms_, /*repeat=*/true);
  Poll();
}

void DomainSync::Poll() {
  if (in_flight_) return;
  net::HttpClient::RequestHeaders headers;
  if (!etag_.empty()) headers.emplace_back("If-None-Match", etag_);
  if (!token_.empty()) headers.emplace_back("Authorization", "Bearer " + token_);
  ++polls_;
  in_flight_ = client_->Get(url_, headers, std::min<int64_t>(interval_ms_, 5000), [this](const net::HttpResponse& r) {
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
      auto domains = ParseDomainTable(r.body);
      if (domains.ok()) {
        etag_ = r.header("ETag");
        if (!last_ok_) {
          LOG(INFO) << "domain table: " << domains->size() << " domains from " << url_;
        }
        last_ok_ = true;
        Store(r.body);
        on_domains_(*domains);
        return;
      }
      why = domains.status().message();
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

}  // namespace cdn::sched
