// AdminApi: central's control API on the admin listener (DESIGN.md: /healthz, /metrics,
// /api/v1/...): the domain table (list with ETag, add, show, delete, key rotation), kicks and
// the stream list. Changes need `Authorization: Bearer <admin.token>` (constant-time check).
// Loop thread only.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "central/domain_service.h"
#include "central/recorder.h"
#include "lib/net/http_server.h"

namespace cdn::central {

class AdminApi {
 public:
  struct Hooks {
    std::function<std::string()> health;       // JSON
    std::function<bool()> draining;
    std::function<std::string()> metrics;      // Prometheus text
    std::function<std::string()> streams;      // JSON
    std::function<void(std::unique_ptr<net::HttpExchange>)> dashboard;  // /dashboard...
    std::function<void(const KickRequest&)> kick;  // applied on this node
    std::function<base::Status(const auth::Domain&)> check_domain;  // node-specific checks (templates)
  };
  AdminApi(DomainService* domains, std::string token, std::string cdn_zone, Hooks hooks)
      : domains_(domains), token_(std::move(token)), zone_(std::move(cdn_zone)), hooks_(std::move(hooks)) {}

  void Handle(std::unique_ptr<net::HttpExchange> ex);
  // The recording catalog (/api/v1/records); set once central has opened it.
  void set_records(const RecordManager* records) { records_ = records; }

 private:
  bool Authorized(const net::HttpExchange& ex) const;
  void Domains(std::unique_ptr<net::HttpExchange> ex, const std::string& rest);
  void Kick(std::unique_ptr<net::HttpExchange> ex);
  void Records(std::unique_ptr<net::HttpExchange> ex, const std::string& rest);

  DomainService* domains_;
  std::string token_;
  std::string zone_;
  Hooks hooks_;
  const RecordManager* records_ = nullptr;
};

}  // namespace cdn::central
