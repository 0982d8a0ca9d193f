// KvStore: the one wrapper of RocksDB. A small key/value store with prefix scans and atomic
// batches, for central's catalogs (domains, recordings) and the edge's disk cache. Writes are
// synced to the WAL so a kill -9 loses nothing that was acknowledged. Thread-safe (RocksDB is).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lib/base/status.h"

namespace rocksdb {
class DB;
}

namespace cdn::store {

class KvStore {
 public:
  // Opens (creating when missing) the database in directory `path`.
  static base::Result<std::unique_ptr<KvStore>> Open(const std::string& path);
  ~KvStore();

  base::Result<std::string> Get(std::string_view key) const;  // NotFound when absent
  base::Status Put(std::string_view key, std::string_view value);
  base::Status Delete(std::string_view key);
  // Applies puts (value set) and deletes (nullopt-like: empty pair.second with erase=true) at once.
  base::Status Write(const std::vector<std::pair<std::string, std::string>>& puts, const std::vector<std::string>& deletes);
  // Calls fn(key, value) for every key starting with `prefix`, in key order, until fn returns false.
  void Scan(std::string_view prefix, const std::function<bool(std::string_view, std::string_view)>& fn) const;

 private:
  KvStore() = default;
  std::unique_ptr<rocksdb::DB> db_;
};

}  // namespace cdn::store
