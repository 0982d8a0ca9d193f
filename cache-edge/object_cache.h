// ObjectCache: the edge's HLS cache: a memory LRU bounded by `cache.memory` over a RocksDB disk
// tier bounded by `cache.disk` (immutable objects only: segments), which survives restarts and
// kill -9 (RocksDB's WAL). Keys exclude auth parameters, so one object serves every viewer.
// Loop thread only (the KvStore itself is thread-safe).
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>

#include "lib/base/bytes.h"
#include "lib/base/status.h"
#include "lib/store/kv_store.h"

namespace cdn::edge {

struct CachedObject {
  base::SharedBytes body;
  std::string content_type;
  int64_t fetched_ms = 0;   // monotonic clock
  int64_t max_age_ms = 0;   // fresh while now < fetched + max_age
  bool immutable = false;   // segments: kept on disk too
  bool Fresh(int64_t now_ms) const { return immutable || now_ms < fetched_ms + max_age_ms; }
};
using ObjectPtr = std::shared_ptr<const CachedObject>;

class ObjectCache {
 public:
  ObjectCache(uint64_t memory_bytes, uint64_t disk_bytes, store::KvStore* disk);

  // Rebuilds the disk tier's size index (at start).
  base::Status LoadDiskIndex();
  // Memory first, then disk (promoted to memory). *tier says where it was found.
  ObjectPtr Get(const std::string& key, int64_t now_ms, std::string* tier);
  void Put(const std::string& key, ObjectPtr obj);

  uint64_t memory_bytes() const { return mem_bytes_; }
  uint64_t disk_bytes() const { return disk_bytes_; }
  size_t memory_objects() const { return mem_.size(); }
  size_t disk_objects() const { return disk_index_.size(); }

 private:
  void PutMemory(const std::string& key, ObjectPtr obj);
  void PutDisk(const std::string& key, const CachedObject& obj);

  uint64_t mem_cap_, disk_cap_;
  store::KvStore* disk_;
  // LRU: most recent at the front.
  std::list<std::string> lru_;
  struct MemEntry {
    ObjectPtr obj;
    std::list<std::string>::iterator pos;
  };
  std::unordered_map<std::string, MemEntry> mem_;
  uint64_t mem_bytes_ = 0;
  // Disk: insertion order (oldest first) for eviction.
  std::list<std::string> disk_order_;
  struct DiskEntry {
    uint64_t size;
    std::list<std::string>::iterator pos;
  };
  std::unordered_map<std::string, DiskEntry> disk_index_;
  uint64_t disk_bytes_ = 0;
};

}  // namespace cdn::edge
