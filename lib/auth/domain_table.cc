#include "lib/auth/domain_table.h"

namespace cdn::auth {

const Domain* DomainTable::Find(std::string_view name) const {
  for (const auto& d : domains_) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

base::Result<std::string> DomainTable::PublishDomain(std::string_view vhost) const {
  if (open()) return std::string(vhost.empty() ? kDefaultVhost : vhost);
  const Domain* d = Find(vhost);
  if (!d) return base::Status::NotFound("unknown domain '" + std::string(vhost) + "'");
  if (d->type != Domain::Type::kPush) return base::Status::Denied("'" + d->name + "' is a pull domain, not for publishing");
  return d->name;
}

base::Result<std::string> DomainTable::PlayDomain(std::string_view vhost) const {
  if (open()) return std::string(vhost.empty() ? kDefaultVhost : vhost);
  const Domain* d = Find(vhost);
  if (!d) return base::Status::NotFound("unknown domain '" + std::string(vhost) + "'");
  if (d->type == Domain::Type::kPull) return d->source;
  return d->name;
}

base::Status DomainTable::Validate() const {
  for (const auto& d : domains_) {
    if (d.type != Domain::Type::kPull) continue;
    const Domain* src = Find(d.source);
    if (!src) return base::Status::Invalid("pull domain " + d.name + ": source '" + d.source + "' is not a known domain");
    if (src->type != Domain::Type::kPush) return base::Status::Invalid("pull domain " + d.name + ": source '" + d.source + "' is not a push domain");
  }
  return base::Status::Ok();
}

}  // namespace cdn::auth
