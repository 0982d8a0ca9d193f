// Central: the origin node. Owns the event loop's servers (RTMP, HTTP-FLV, admin), the stream
// hub and the domain table, and the periodic tick that ends streams whose publisher did not
// come back. Built from a validated CentralConfig; runs on one thread (its loop).
#pragma once

#include <functional>
#include <memory>

#include "central/admin_api.h"
#include "central/central_config.h"
#include "central/domain_service.h"
#include "central/hls_server.h"
#include "central/recorder.h"
#include "central/transcoder.h"
#include "lib/store/kv_store.h"
#include "lib/auth/domain_table.h"
#include "lib/live/stream_hub.h"
#include "lib/net/domain_policy.h"
#include "lib/net/event_loop.h"
#include "lib/net/flv_server.h"
#include "lib/net/http_server.h"
#include "lib/net/live_admin.h"
#include "lib/net/live_server.h"
#include "lib/net/rtmp_server.h"
#include "lib/net/webhook.h"

namespace cdn::central {

// The domain policy plus central's sinks: each accepted publish gets an HLS packager.
class CentralPolicy : public net::DomainPolicy {
 public:
  using net::DomainPolicy::DomainPolicy;
  void OnPublishStarted(live::Stream* stream) override {
    if (on_publish) on_publish(stream);
    if (on_publish_event) on_publish_event(stream);
  }
  void OnSessionEnded(const net::Session& s) override {
    if (on_session_ended) on_session_ended(s);
  }
  std::function<void(live::Stream*)> on_publish;
  std::function<void(live::Stream*)> on_publish_event;        // webhooks
  std::function<void(const net::Session&)> on_session_ended;  // webhooks
};

class Central {
 public:
  Central(net::EventLoop* loop, CentralConfig config);
  ~Central();

  base::Status Start();
  // Begins a drain: /healthz says draining (503); existing clients go on.
  void Drain() { draining_ = true; }
  void Shutdown();
  // After Shutdown: `done` runs once queued webhooks are delivered or hooks.drain has passed.
  void DrainWebhooks(std::function<void()> done);

  uint16_t rtmp_port() const { return rtmp_->port(); }
  uint16_t http_port() const { return flv_->port(); }
  uint16_t admin_port() const { return admin_ ? admin_->port() : 0; }
  // Signed event webhooks (config `hooks`); e.g. webhooks()->Emit("record_done", fields). Never null after Start().
  net::Webhooks* webhooks() { return webhooks_.get(); }

 private:
  void Kick(const KickRequest& k);
  void OnPublishStarted(live::Stream* stream);
  std::string Metrics() const;

  net::EventLoop* loop_;
  CentralConfig config_;
  std::unique_ptr<CentralPolicy> policy_;
  std::unique_ptr<net::Webhooks> webhooks_;  // before the servers: outlives their last sessions
  live::StreamHub hub_;
  net::LiveStats stats_;
  std::unique_ptr<net::RtmpServer> rtmp_;
  std::unique_ptr<net::FlvServer> flv_;
  std::unique_ptr<HlsServer> hls_;  // after flv_: destroyed first
  std::unique_ptr<TranscodeManager> transcode_;
  std::unique_ptr<RecordManager> record_;
  std::unique_ptr<net::HttpServer> admin_;
  std::unique_ptr<Dashboard> dashboard_;
  std::unique_ptr<store::KvStore> catalog_;
  std::unique_ptr<DomainService> domains_;
  std::unique_ptr<AdminApi> api_;
  net::Timer tick_;
  net::RateMeter egress_;
  bool draining_ = false;
};

}  // namespace cdn::central
