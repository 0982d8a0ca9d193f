#include "tools/cdnctl/api.h"

#include <algorithm>
#include <cstdlib>

#include "lib/net/event_loop.h"

namespace cdn::cdnctl {

Args ParseArgs(int argc, char** argv, int start) {
  static const std::vector<std::string> kFlags = {"json", "explain", "rotate", "tcp", "no-auth", "auth-required", "record", "help"};
  Args a;
  for (int i = start; i < argc; ++i) {
    std::string s = argv[i];
    if (s.rfind("--", 0) == 0 && s.size() > 2) {
      std::string key = s.substr(2);
      if (size_t eq = key.find('='); eq != std::string::npos) {
        a.options[key.substr(0, eq)] = key.substr(eq + 1);
      } else if (std::find(kFlags.begin(), kFlags.end(), key) != kFlags.end() || i + 1 >= argc) {
        a.options[key] = "1";
      } else {
        a.options[key] = argv[++i];
      }
    } else {
      a.positional.push_back(s);
    }
  }
  return a;
}

Api Api::FromArgs(const Args& a) {
  Api api;
  const char* env_api = getenv("LIVECDN_API");
  const char* env_token = getenv("LIVECDN_TOKEN");
  api.base = a.Get("api", env_api ? env_api : "http://127.0.0.1:8088");
  api.token = a.Get("token", env_token ? env_token : "");
  while (!api.base.empty() && api.base.back() == '/') api.base.pop_back();
  return api;
}

base::Result<net::HttpResponse> HttpCall(const std::string& method, const std::string& url,
                                         const net::HttpClient::RequestHeaders& headers, const std::string& body,
                                         int64_t timeout_ms) {
  net::EventLoop loop;
  net::HttpClient client(&loop, 64 << 20);
  net::HttpResponse out;
  bool done = false;
  client.Request(method, url, headers, body, timeout_ms, [&](const net::HttpResponse& r) {
    out = r;
    done = true;
    loop.Stop();
  });
  if (!done) loop.Run();
  if (!out.ok()) return base::Status::Io(url + ": " + out.error);
  return out;
}

base::Result<net::HttpResponse> Api::Call(const std::string& method, const std::string& path, const std::string& body) const {
  net::HttpClient::RequestHeaders h;
  if (!token.empty()) h.emplace_back("Authorization", "Bearer " + token);
  if (!body.empty()) h.emplace_back("Content-Type", "application/json");
  return HttpCall(method, base + path, h, body, timeout_ms);
}

base::Result<base::JsonValue> Api::Json(const std::string& method, const std::string& path, const std::string& body) const {
  auto r = Call(method, path, body);
  if (!r.ok()) return r.status();
  if (r->status == 204) return base::JsonValue();
  auto j = base::JsonValue::Parse(r->body);
  if (r->status < 200 || r->status >= 300) {
    std::string why = j.ok() && (*j)["error"].is_string() ? (*j)["error"].str() : r->body;
    if (r->status == 401) why += " (give --token or LIVECDN_TOKEN)";
    return base::Status::Invalid("HTTP " + std::to_string(r->status) + ": " + why);
  }
  if (!j.ok()) return base::Status::Invalid("bad JSON from " + base + path + ": " + j.status().message());
  return j;
}

}  // namespace cdn::cdnctl
