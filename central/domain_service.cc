#include "central/domain_service.h"

#include "lib/auth/domain_json.h"
#include "lib/base/crypto.h"
#include "lib/base/json.h"
#include "lib/base/log.h"

namespace cdn::central {

namespace {
constexpr std::string_view kPrefix = "domain/";
}

std::string RandomKey() {
  char b[16];
  base::RandomBytes(b, sizeof b);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : std::string_view(b, sizeof b)) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

DomainService::DomainService(std::vector<auth::Domain> static_domains, store::KvStore* store)
    : static_(std::move(static_domains)), store_(store) {
  Rebuild();
}

base::Status DomainService::Load() {
  if (!store_) return base::Status::Ok();
  dynamic_.clear();
  base::Status bad = base::Status::Ok();
  store_->Scan(kPrefix, [&](std::string_view key, std::string_view value) {
    auto d = auth::DomainFromJson(value);
    if (!d.ok()) {
      LOG(WARN) << "catalog: skipping " << key << ": " << d.status().message();
      return true;
    }
    d->is_static = false;
    bool shadowed = false;
    for (const auto& s : static_) shadowed = shadowed || s.name == d->name;
    if (!shadowed) dynamic_.push_back(std::move(*d));
    return true;
  });
  Rebuild();
  LOG(INFO) << "domains: " << static_.size() << " static, " << dynamic_.size() << " from the catalog";
  return bad;
}

void DomainService::Rebuild() {
  merged_ = static_;
  merged_.insert(merged_.end(), dynamic_.begin(), dynamic_.end());
  ++version_;
  if (on_change) on_change();
}

const auth::Domain* DomainService::Find(const std::string& name) const {
  for (const auto& d : merged_) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

base::Result<auth::Domain> DomainService::Add(auth::Domain d) {
  if (!auth::ValidDomainName(d.name)) return base::Status::Invalid("bad domain name '" + d.name + "'");
  if (Find(d.name)) return base::Status::Busy("domain " + d.name + " already exists");
  if (d.type == auth::Domain::Type::kPull) {
    const auth::Domain* src = Find(d.source);
    if (!src) return base::Status::Invalid("source '" + d.source + "' is not a known domain");
    if (src->type != auth::Domain::Type::kPush) return base::Status::Invalid("source '" + d.source + "' is not a push domain");
  }
  if (d.auth.key.empty()) d.auth.key = RandomKey();
  d.is_static = false;
  if (store_) CDN_RETURN_IF_ERROR(store_->Put(std::string(kPrefix) + d.name, auth::DomainToJson(d, true)));
  dynamic_.push_back(d);
  Rebuild();
  LOG(INFO) << "domain added: " << d.name << (d.type == auth::Domain::Type::kPush ? " (push)" : " (pull of " + d.source + ")");
  return d;
}

base::Status DomainService::Remove(const std::string& name) {
  const auth::Domain* d = Find(name);
  if (!d) return base::Status::NotFound("no domain " + name);
  if (d->is_static) return base::Status::Denied("domain " + name + " is static (from central.yaml)");
  for (const auto& other : merged_) {
    if (other.type == auth::Domain::Type::kPull && other.source == name)
      return base::Status::Busy("pull domain " + other.name + " still plays from " + name);
  }
  if (store_) CDN_RETURN_IF_ERROR(store_->Delete(std::string(kPrefix) + name));
  std::erase_if(dynamic_, [&](const auth::Domain& x) { return x.name == name; });
  Rebuild();
  LOG(INFO) << "domain removed: " << name;
  return base::Status::Ok();
}

base::Result<auth::Domain> DomainService::RotateKey(const std::string& name, const std::string& new_key) {
  const auth::Domain* found = Find(name);
  if (!found) return base::Status::NotFound("no domain " + name);
  if (found->is_static) return base::Status::Denied("domain " + name + " is static: rotate its keys in central.yaml");
  for (auto& d : dynamic_) {
    if (d.name != name) continue;
    d.auth.key2 = d.auth.key;
    d.auth.key = new_key.empty() ? RandomKey() : new_key;
    if (store_) CDN_RETURN_IF_ERROR(store_->Put(std::string(kPrefix) + d.name, auth::DomainToJson(d, true)));
    auth::Domain copy = d;
    Rebuild();
    LOG(INFO) << "domain " << name << ": key rotated (old primary kept as secondary)";
    return copy;
  }
  return base::Status::NotFound("no domain " + name);
}

KickRequest DomainService::Kick(const std::string& vhost, const std::string& app, const std::string& stream, int64_t now_s) {
  std::erase_if(kicks_, [&](const KickRequest& k) { return k.until < now_s; });
  KickRequest k{vhost, app, stream, now_s + 10, next_kick_++};
  kicks_.push_back(k);
  ++version_;
  if (on_change) on_change();
  return k;
}

std::vector<KickRequest> DomainService::ActiveKicks(int64_t now_s) const {
  std::vector<KickRequest> out;
  for (const auto& k : kicks_) {
    if (k.until >= now_s) out.push_back(k);
  }
  return out;
}

std::string DomainService::ToJson(bool with_keys, int64_t now_s) const {
  std::string body = auth::DomainsToJson(merged_, version_, with_keys);
  // Splice the kicks in before the closing brace.
  body.resize(body.rfind('}'));
  body += ", \"kicks\": [";
  bool first = true;
  for (const auto& k : ActiveKicks(now_s)) {
    if (!first) body += ", ";
    first = false;
    body += "{\"id\": " + std::to_string(k.id) + ", \"vhost\": " + base::JsonQuote(k.vhost) + ", \"app\": " +
            base::JsonQuote(k.app) + ", \"stream\": " + base::JsonQuote(k.stream) + ", \"until\": " +
            std::to_string(k.until) + "}";
  }
  return body + "]}\n";
}

}  // namespace cdn::central
