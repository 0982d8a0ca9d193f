// DomainService: central's domain table: the static domains of central.yaml merged with those
// added through the admin API, kept in RocksDB (`domain/<name>` under data_dir/catalog) so they
// survive restarts. Static domains cannot be changed or deleted through the API. Every change
// bumps `version` (the ETag edges and the scheduler poll with) and calls on_change. Also holds
// the recent kick requests that travel to the edges with the table. Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lib/auth/domain_table.h"
#include "lib/base/status.h"
#include "lib/store/kv_store.h"

namespace cdn::central {

struct KickRequest {
  std::string vhost, app, stream;
  int64_t until = 0;  // wall-clock seconds: edges apply it while now <= until
  uint64_t id = 0;
};

class DomainService {
 public:
  DomainService(std::vector<auth::Domain> static_domains, store::KvStore* store);

  base::Status Load();
  const std::vector<auth::Domain>& domains() const { return merged_; }
  uint64_t version() const { return version_; }
  const auth::Domain* Find(const std::string& name) const;

  // Adds a domain; missing keys are generated (push domains require auth by default).
  base::Result<auth::Domain> Add(auth::Domain d);
  base::Status Remove(const std::string& name);
  // Rotation: the old primary becomes the secondary (URLs already handed out keep working
  // until they expire); the new primary is `new_key` or random.
  base::Result<auth::Domain> RotateKey(const std::string& name, const std::string& new_key);

  KickRequest Kick(const std::string& vhost, const std::string& app, const std::string& stream, int64_t now_s);
  std::vector<KickRequest> ActiveKicks(int64_t now_s) const;

  // The table as served: {"version", "domains", "kicks"}.
  std::string ToJson(bool with_keys, int64_t now_s) const;

  std::function<void()> on_change;

 private:
  void Rebuild();
  std::vector<auth::Domain> static_;
  std::vector<auth::Domain> dynamic_;
  std::vector<auth::Domain> merged_;
  std::vector<KickRequest> kicks_;
  store::KvStore* store_;
  uint64_t version_ = 1;
  uint64_t next_kick_ = 1;
};

std::string RandomKey();

}  // namespace cdn::central
