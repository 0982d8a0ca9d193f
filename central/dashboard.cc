#include "central/dashboard.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <tuple>
#include <sstream>

#include "lib/base/json.h"
#include "lib/base/log.h"
#include "lib/config/values.h"
#include "lib/http/query.h"

namespace cdn::central {

namespace {
// The npm files the page asks for: served name -> path under the assets directory.
struct Asset {
  const char* name;
  const char* type;
};
const Asset kAssets[] = {
    {"uPlot.iife.min.js", "application/javascript"},
    {"uPlot.min.css", "text/css"},
    {"hls.min.js", "application/javascript"},
};

std::string BinaryDir() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return ".";
  std::string p(buf, static_cast<size_t>(n));
  return p.substr(0, p.rfind('/'));
}

base::Status CheckBaseUrl(const config::Node& node, const std::string& url) {
  auto u = http::ParseUrl(url);
  if (!u || u->scheme != "http" || u->host.empty())
    return node.Error("expected http://<host>:<port> (an admin listener), got '" + url + "'");
  return base::Status::Ok();
}

std::string TrimSlash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}
}  // namespace

base::Status ReadDashboardConfig(const config::Node& root, DashboardConfig* out) {
  config::Node d = root["dashboard"];
  CDN_RETURN_IF_ERROR(config::CheckKnownKeys(d, {"edges", "scheduler", "assets", "poll"}));
  CDN_RETURN_IF_ERROR(config::ReadStringList(d, "edges", &out->edges));
  for (auto& e : out->edges) {
    CDN_RETURN_IF_ERROR(CheckBaseUrl(d["edges"], e));
    e = TrimSlash(e);
  }
  CDN_RETURN_IF_ERROR(config::ReadString(d, "scheduler", &out->scheduler));
  if (!out->scheduler.empty()) {
    CDN_RETURN_IF_ERROR(CheckBaseUrl(d["scheduler"], out->scheduler));
    out->scheduler = TrimSlash(out->scheduler);
  }
  CDN_RETURN_IF_ERROR(config::ReadString(d, "assets", &out->assets));
  CDN_RETURN_IF_ERROR(config::ReadDurationMs(d, "poll", &out->poll_ms));
  if (out->poll_ms < 200) return d["poll"].Error("must be at least 200ms");
  return base::Status::Ok();
}

Dashboard::Dashboard(net::EventLoop* loop, DashboardConfig config, std::string hls_base)
    : loop_(loop),
      config_(std::move(config)),
      hls_base_(std::move(hls_base)),
      assets_dir_(config_.assets.empty() ? BinaryDir() + "/../share/livecdn/dashboard" : config_.assets),
      client_(loop, 1 << 20),
      timer_(loop, [this] { Poll(); }) {
  for (const auto& e : config_.edges) {
    EdgeProbe p;
    p.health.url = p.streams.url = e;
    edges_.push_back(std::move(p));
  }
  scheduler_.url = config_.scheduler;
}

void Dashboard::Start() {
  if (edges_.empty() && scheduler_.url.empty()) return;
  Poll();
  timer_.Start(config_.poll_ms, true);
}

void Dashboard::Poll() {
  for (auto& e : edges_) {
    Fetch(&e.health, "/healthz");
    Fetch(&e.streams, "/api/v1/streams");
  }
  if (!scheduler_.url.empty()) Fetch(&scheduler_, "/metrics");
}

void Dashboard::Fetch(Probe* p, const std::string& path) {
  if (p->busy) return;  // the last poll is still out (a hung target): one request at a time
  p->busy = true;
  client_.Get(p->url + path, {}, std::max<int64_t>(200, config_.poll_ms - 100), [p](const net::HttpResponse& r) {
    p->busy = false;
    // /healthz answers 503 with the same JSON while draining: that is a reachable edge.
    p->ok = r.ok() && (r.status == 200 || r.status == 503);
    p->error = r.ok() ? (p->ok ? "" : "HTTP " + std::to_string(r.status)) : r.error;
    p->body = p->ok ? r.body : "";
  });
}

std::string Dashboard::ClusterJson() const {
  std::string out = "{\"hls_base\": " + base::JsonQuote(hls_base_) + ", \"edges\": [";
  for (size_t i = 0; i < edges_.size(); ++i) {
    const Probe& e = edges_[i].health;
    if (i) out += ", ";
    // Embedded as-is only when it is JSON (a misbehaving target must not break the page).
    const bool json = e.ok && base::JsonValue::Parse(e.body).ok();
    out += "{\"url\": " + base::JsonQuote(e.url) + ", \"ok\": " + (json ? "true" : "false") +
           ", \"error\": " + base::JsonQuote(json || !e.ok ? e.error : "not JSON") + ", \"health\": " + (json ? e.body : "null") +
           "}";
  }
  out += "], \"streams\": " + EdgeStreamsJson() + ", \"scheduler\": ";
  if (scheduler_.url.empty()) {
    out += "null";
  } else {
    out += "{\"url\": " + base::JsonQuote(scheduler_.url) + ", \"ok\": " + (scheduler_.ok ? "true" : "false") +
           ", \"error\": " + base::JsonQuote(scheduler_.error) + ", \"metrics\": " + base::JsonQuote(scheduler_.body) + "}";
  }
  return out + "}\n";
}

// The streams the edges hold, with their viewers summed across edges; `edges_pulling` counts the
// edges that hold the stream with a publisher (their pull from central, or a local publisher
// relayed up). Neither pulls nor relays count as viewers anywhere (live::Consumer::is_relay), so
// the page's CDN-wide viewers are the edges' plus central's own.
std::string Dashboard::EdgeStreamsJson() const {
  struct Sum {
    uint64_t viewers = 0, bitrate_bps = 0;
    double fps = 0;
    int pulling = 0;
    std::string per_edge;  // JSON objects
  };
  std::map<std::tuple<std::string, std::string, std::string>, Sum> sums;
  for (const EdgeProbe& e : edges_) {
    if (!e.streams.ok) continue;
    auto doc = base::JsonValue::Parse(e.streams.body);
    if (!doc.ok() || !(*doc)["streams"].is_array()) continue;  // not an edge's stream list
    std::string edge = e.streams.url;
    if (auto h = base::JsonValue::Parse(e.health.body); e.health.ok && h.ok() && (*h)["node_id"].is_string())
      edge = (*h)["node_id"].str();
    for (const base::JsonValue& st : (*doc)["streams"].items()) {
      if (!st["vhost"].is_string() || !st["app"].is_string() || !st["stream"].is_string()) continue;
      Sum& sum = sums[{st["vhost"].str(), st["app"].str(), st["stream"].str()}];
      const uint64_t viewers = st["viewers"].uint_or(0, 1u << 30);
      const bool publishing = st["publishing"].boolean();
      sum.viewers += viewers;
      sum.pulling += publishing ? 1 : 0;
      // The ingest as an edge sees it (for streams this central does not hold).
      sum.bitrate_bps = std::max(sum.bitrate_bps, st["bitrate_bps"].uint_or(0));
      if (st["fps"].is_number()) sum.fps = std::max(sum.fps, st["fps"].number());
      if (!sum.per_edge.empty()) sum.per_edge += ", ";
      sum.per_edge += "{\"edge\": " + base::JsonQuote(edge) + ", \"viewers\": " + std::to_string(viewers) +
                      ", \"publishing\": " + (publishing ? "true" : "false") + "}";
    }
  }
  std::string out = "[";
  for (const auto& [key, sum] : sums) {
    const auto& [vhost, app, stream] = key;
    if (out.size() > 1) out += ", ";
    char fps[32];
    snprintf(fps, sizeof fps, "%.2f", sum.fps);
    out += "{\"vhost\": " + base::JsonQuote(vhost) + ", \"app\": " + base::JsonQuote(app) +
           ", \"stream\": " + base::JsonQuote(stream) + ", \"edge_viewers\": " + std::to_string(sum.viewers) +
           ", \"edges_pulling\": " + std::to_string(sum.pulling) + ", \"bitrate_bps\": " +
           std::to_string(sum.bitrate_bps) + ", \"fps\": " + fps + ", \"edges\": [" + sum.per_edge + "]}";
  }
  return out + "]";
}

void Dashboard::ServeAsset(net::HttpExchange* ex, const std::string& name) {
  for (const Asset& a : kAssets) {
    if (name != a.name) continue;
    auto it = asset_cache_.find(name);
    if (it == asset_cache_.end()) {
      std::ifstream f(assets_dir_ + "/" + name, std::ios::binary);
      if (!f) {
        ex->Reply(404, "text/plain", "asset not bundled: " + name + " (tools/deps installs it)\n");
        return;
      }
      std::ostringstream s;
      s << f.rdbuf();
      it = asset_cache_.emplace(name, std::make_shared<const std::string>(s.str())).first;
    }
    ex->ReplyShared(200, a.type, it->second, 0, it->second->size(), {{"Cache-Control", "max-age=3600"}});
    return;
  }
  ex->Reply(404, "text/plain", "not found\n");
}

void Dashboard::Handle(std::unique_ptr<net::HttpExchange> ex) {
  const std::string& p = ex->path();
  if (ex->method() != "GET" && ex->method() != "HEAD") {
    ex->Reply(405, "text/plain", "method not allowed\n");
  } else if (p == "/dashboard" || p == "/dashboard/") {
    ex->Reply(200, "text/html; charset=utf-8", Page(), {{"Cache-Control", "no-cache"}});
  } else if (p == "/dashboard/api/cluster") {
    ex->Reply(200, "application/json", ClusterJson(), {{"Cache-Control", "no-cache"}});
  } else if (p == "/dashboard/api/preview") {
    const http::QueryParams q = http::ParseQuery(ex->query());
    const std::string key = http::QueryGet(q, "stream").value_or("");
    const size_t a = key.find('/'), b = a == std::string::npos ? a : key.find('/', a + 1);
    if (b == std::string::npos || !preview_path) {
      ex->Reply(400, "application/json", "{\"error\": \"stream=<domain>/<app>/<stream> expected\"}\n");
      return;
    }
    auto path = preview_path(key.substr(0, a), key.substr(a + 1, b - a - 1), key.substr(b + 1),
                             authorized && authorized(*ex));
    if (!path.ok()) {
      const int status = path.status().code() == base::Status::Code::kDenied ? 401 : 404;
      ex->Reply(status, "application/json", "{\"error\": " + base::JsonQuote(path.status().message()) + "}\n");
      return;
    }
    ex->Reply(200, "application/json", "{\"path\": " + base::JsonQuote(*path) + "}\n", {{"Cache-Control", "no-store"}});
  } else if (p.rfind("/dashboard/assets/", 0) == 0) {
    ServeAsset(ex.get(), p.substr(18));
  } else {
    ex->Reply(404, "text/plain", "not found\n");
  }
}

}  // namespace cdn::central
