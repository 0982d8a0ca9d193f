#include "lib/rtmp/stream_name.h"

#include "lib/http/query.h"

namespace cdn::rtmp {

void ResolveConnect(ConnectInfo* info) {
  auto [app, app_query] = http::SplitQuery(info->app);
  std::string query(app_query);
  std::string app_clean(app);
  if (auto url = http::ParseUrl(info->tc_url)) {
    info->host = url->host;
    if (!url->query.empty()) query = query.empty() ? url->query : url->query + "&" + query;
  }
  while (!app_clean.empty() && app_clean.back() == '/') app_clean.pop_back();
  info->app = app_clean;
  info->query = query;
  auto params = http::ParseQuery(query);
  if (auto v = http::QueryGet(params, "vhost")) {
    info->vhost = http::ToLower(*v);
  } else if (auto d = http::QueryGet(params, "domain")) {
    info->vhost = http::ToLower(*d);
  } else {
    info->vhost = info->host;
  }
}

void ResolveStreamName(std::string_view raw, StreamRequest* req, ConnectInfo* conn) {
  req->raw = std::string(raw);
  auto [name, query] = http::SplitQuery(raw);
  req->name = std::string(name);
  req->query = std::string(query);
  if (req->query.empty()) req->query = conn->query;
  auto params = http::ParseQuery(query);
  if (auto v = http::QueryGet(params, "vhost")) conn->vhost = http::ToLower(*v);
}

}  // namespace cdn::rtmp
