// DomainTable: the customer domains a node serves (push domains and the pull domains bound to
// them) and how a request's vhost maps to the stream's canonical (push) domain. Immutable once
// built: nodes swap a new shared_ptr in when the table changes. Any thread may read it.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lib/base/status.h"

namespace cdn::auth {

struct DomainAuth {
  std::string type = "A";  // A, B or C (Alibaba Cloud URL signing)
  std::string key, key2;   // primary and secondary
  bool required = false;
};

struct Domain {
  std::string name;
  enum class Type { kPush, kPull } type = Type::kPush;
  std::string source;  // pull: the push domain it plays from
  DomainAuth auth;
  std::vector<std::string> transcode;
  bool record = false;
  bool is_static = false;  // from config; cannot be deleted through the API
};

class DomainTable {
 public:
  // An empty table is "open": every vhost is accepted as its own push domain (SRS's default
  // vhost behaviour), so a bare origin works without configuration.
  explicit DomainTable(std::vector<Domain> domains = {}) : domains_(std::move(domains)) {}

  const Domain* Find(std::string_view name) const;
  bool open() const { return domains_.empty(); }
  const std::vector<Domain>& domains() const { return domains_; }

  // The push domain that names the stream a publisher on `vhost` writes to.
  base::Result<std::string> PublishDomain(std::string_view vhost) const;
  // The push domain whose streams a viewer on `vhost` plays (pull -> source, push -> itself).
  base::Result<std::string> PlayDomain(std::string_view vhost) const;

  // Checks bindings (a pull domain's source exists and is a push domain).
  base::Status Validate() const;

 private:
  std::vector<Domain> domains_;
};

// The vhost used when a client connects by IP without ?vhost= in an open table.
constexpr std::string_view kDefaultVhost = "__defaultVhost__";

}  // namespace cdn::auth
