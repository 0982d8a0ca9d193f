// Dashboard: central's built-in operator page (/dashboard, issue 8 "Dashboards"). Serves the page
// compiled into the binary (central/dashboard/index.html), the npm libraries it uses (uPlot,
// hls.js) from an assets directory found beside the binary (<bin>/../share/livecdn/dashboard,
// or dashboard.assets), and /dashboard/api/cluster: the last /healthz and /api/v1/streams of each
// configured edge (viewers summed per stream across edges) and the scheduler's /metrics, polled
// by central (browsers cannot read other admin listeners: no CORS there). Missing assets are a
// 404 the page survives (tables without charts/preview). Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lib/base/status.h"
#include "lib/config/node.h"
#include "lib/net/event_loop.h"
#include "lib/net/http_client.h"
#include "lib/net/http_server.h"

namespace cdn::central {

struct DashboardConfig {
  std::vector<std::string> edges;  // admin base URLs, e.g. http://127.0.1.10:8081
  std::string scheduler;           // admin base URL of a dns-scheduler (optional)
  std::string assets;              // directory with uPlot/hls.js; empty: beside the binary
  int64_t poll_ms = 2000;
};

// `dashboard: {edges: [...], scheduler: URL, assets: DIR, poll: 2s}` (all optional).
base::Status ReadDashboardConfig(const config::Node& root, DashboardConfig* out);

class Dashboard {
 public:
  // `hls_base`: where a browser reaches central's HLS ("http://127.0.0.1:8090", or ":8090" for
  // "the page's own host").
  Dashboard(net::EventLoop* loop, DashboardConfig config, std::string hls_base);
  void Start();
  // Paths under /dashboard.
  static bool Owns(const std::string& path) { return path == "/dashboard" || path.rfind("/dashboard/", 0) == 0; }
  void Handle(std::unique_ptr<net::HttpExchange> ex);

  static const std::string& Page();  // the compiled-in HTML (generated dashboard_page.cc)

  // /dashboard/api/preview?stream=<vhost/app/name>: the path + query (signed when the domain
  // requires it) the preview plays on central's HTTP listener. Central sets it; `authorized`
  // says whether the request carried the admin token (needed to sign).
  std::function<base::Result<std::string>(const std::string& vhost, const std::string& app, const std::string& stream,
                                          bool authorized)>
      preview_path;
  std::function<bool(const net::HttpExchange&)> authorized;

 private:
  struct Probe {
    std::string url;
    bool ok = false;
    std::string body, error;
    bool busy = false;
  };
  struct EdgeProbe {
    Probe health, streams;
  };
  void Poll();
  void Fetch(Probe* p, const std::string& path);
  std::string ClusterJson() const;
  std::string EdgeStreamsJson() const;
  void ServeAsset(net::HttpExchange* ex, const std::string& name);

  net::EventLoop* loop_;
  DashboardConfig config_;
  std::string hls_base_;
  std::string assets_dir_;
  std::vector<EdgeProbe> edges_;  // fixed at construction: Fetch keeps pointers into it
  Probe scheduler_;
  net::HttpClient client_;
  net::Timer timer_;
  std::map<std::string, std::shared_ptr<const std::string>> asset_cache_;
};

}  // namespace cdn::central
