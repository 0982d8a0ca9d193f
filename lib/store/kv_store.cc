#include "lib/store/kv_store.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <filesystem>

namespace cdn::store {

namespace {
base::Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return base::Status::Ok();
  if (s.IsNotFound()) return base::Status::NotFound(std::string(what) + ": not found");
  return base::Status::Io(std::string(what) + ": " + s.ToString());
}
rocksdb::WriteOptions Synced() {
  rocksdb::WriteOptions w;
  w.sync = true;
  return w;
}
}  // namespace

base::Result<std::unique_ptr<KvStore>> KvStore::Open(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return base::Status::Io("cannot create " + path + ": " + ec.message());
  rocksdb::Options opts;
  opts.create_if_missing = true;
  opts.max_open_files = 256;
  opts.keep_log_file_num = 2;
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(opts, path, &db);
  if (!s.ok()) return base::Status::Io("cannot open RocksDB at " + path + ": " + s.ToString());
  std::unique_ptr<KvStore> kv(new KvStore());
  kv->db_.reset(db);
  return kv;
}

KvStore::~KvStore() = default;

base::Result<std::string> KvStore::Get(std::string_view key) const {
  std::string v;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), rocksdb::Slice(key.data(), key.size()), &v);
  if (!s.ok()) return FromRocks(s, key);
  return v;
}

base::Status KvStore::Put(std::string_view key, std::string_view value) {
  return FromRocks(db_->Put(Synced(), rocksdb::Slice(key.data(), key.size()), rocksdb::Slice(value.data(), value.size())),
                   key);
}

base::Status KvStore::Delete(std::string_view key) {
  return FromRocks(db_->Delete(Synced(), rocksdb::Slice(key.data(), key.size())), key);
}

base::Status KvStore::Write(const std::vector<std::pair<std::string, std::string>>& puts,
                            const std::vector<std::string>& deletes) {
  rocksdb::WriteBatch b;
  for (const auto& [k, v] : puts) b.Put(k, v);
  for (const auto& k : deletes) b.Delete(k);
  return FromRocks(db_->Write(Synced(), &b), "batch");
}

void KvStore::Scan(std::string_view prefix, const std::function<bool(std::string_view, std::string_view)>& fn) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(rocksdb::Slice(prefix.data(), prefix.size())); it->Valid(); it->Next()) {
    rocksdb::Slice k = it->key();
    if (k.size() < prefix.size() || std::string_view(k.data(), prefix.size()) != prefix) break;
    if (!fn(std::string_view(k.data(), k.size()), std::string_view(it->value().data(), it->value().size()))) break;
  }
}

}  // namespace cdn::store
