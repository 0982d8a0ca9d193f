// Blocking helpers for the CLI: one HTTP request to central's admin API (or a scheduler's),
// run on a private event loop, and the command-line options every verb shares.
// Single-threaded; the CLI does one request at a time.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "lib/base/json.h"
#include "lib/base/status.h"
#include "lib/net/http_client.h"

namespace cdn::cdnctl {

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;  // --key value (flags map to "1")
  bool Has(const std::string& k) const { return options.count(k) > 0; }
  std::string Get(const std::string& k, const std::string& def = "") const {
    auto it = options.find(k);
    return it == options.end() ? def : it->second;
  }
};
// Flags that take no value.
Args ParseArgs(int argc, char** argv, int start);

struct Api {
  std::string base;   // http://127.0.0.1:8088
  std::string token;
  int64_t timeout_ms = 5000;
  static Api FromArgs(const Args& a);
  // Returns the response (any status) or an error when no response arrived.
  base::Result<net::HttpResponse> Call(const std::string& method, const std::string& path, const std::string& body = "") const;
  // Call, then insist on a 2xx JSON body; errors carry the API's own "error" message.
  base::Result<base::JsonValue> Json(const std::string& method, const std::string& path, const std::string& body = "") const;
};

base::Result<net::HttpResponse> HttpCall(const std::string& method, const std::string& url,
                                         const net::HttpClient::RequestHeaders& headers, const std::string& body,
                                         int64_t timeout_ms);

}  // namespace cdn::cdnctl
