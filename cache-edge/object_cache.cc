#include "cache-edge/object_cache.h"

#include "lib/base/log.h"

namespace cdn::edge {

namespace {
constexpr std::string_view kDiskPrefix = "obj/";

// Disk value: u8 content-type length, content type, body.
std::string Encode(const CachedObject& o) {
  std::string v;
  v.reserve(1 + o.content_type.size() + o.body->size());
  v.push_back(static_cast<char>(std::min<size_t>(o.content_type.size(), 255)));
  v.append(o.content_type.substr(0, 255));
  v.append(*o.body);
  return v;
}
}  // namespace

ObjectCache::ObjectCache(uint64_t memory_bytes, uint64_t disk_bytes, store::KvStore* disk)
    : mem_cap_(memory_bytes), disk_cap_(disk_bytes), disk_(disk) {}

base::Status ObjectCache::LoadDiskIndex() {
  if (!disk_) return base::Status::Ok();
  disk_->Scan(kDiskPrefix, [&](std::string_view k, std::string_view v) {
    std::string key(k.substr(kDiskPrefix.size()));
    disk_order_.push_back(key);
    disk_index_[key] = DiskEntry{v.size(), std::prev(disk_order_.end())};
    disk_bytes_ += v.size();
    return true;
  });
  LOG(INFO) << "cache: disk tier holds " << disk_index_.size() << " objects, " << disk_bytes_ << " bytes";
  return base::Status::Ok();
}

ObjectPtr ObjectCache::Get(const std::string& key, int64_t now_ms, std::string* tier) {
  auto it = mem_.find(key);
  if (it != mem_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second.pos);
    *tier = "memory";
    return it->second.obj;
  }
  if (!disk_ || !disk_index_.count(key)) return nullptr;
  auto v = disk_->Get(std::string(kDiskPrefix) + key);
  if (!v.ok() || v->empty()) return nullptr;
  const size_t ct = static_cast<uint8_t>((*v)[0]);
  if (v->size() < 1 + ct) return nullptr;
  auto obj = std::make_shared<CachedObject>();
  obj->content_type = v->substr(1, ct);
  obj->body = base::MakeShared(v->substr(1 + ct));
  obj->fetched_ms = now_ms;
  obj->immutable = true;
  *tier = "disk";
  PutMemory(key, obj);
  return obj;
}

void ObjectCache::Put(const std::string& key, ObjectPtr obj) {
  if (obj->immutable && disk_) PutDisk(key, *obj);
  PutMemory(key, std::move(obj));
}

void ObjectCache::PutMemory(const std::string& key, ObjectPtr obj) {
  const uint64_t size = obj->body->size() + key.size();
  if (size > mem_cap_) return;
  auto it = mem_.find(key);
  if (it != mem_.end()) {
    mem_bytes_ -= it->second.obj->body->size() + key.size();
    lru_.erase(it->second.pos);
    mem_.erase(it);
  }
  while (mem_bytes_ + size > mem_cap_ && !lru_.empty()) {
    const std::string& victim = lru_.back();
    auto v = mem_.find(victim);
    mem_bytes_ -= v->second.obj->body->size() + victim.size();
    mem_.erase(v);
    lru_.pop_back();
  }
  lru_.push_front(key);
  mem_[key] = MemEntry{std::move(obj), lru_.begin()};
  mem_bytes_ += size;
}

void ObjectCache::PutDisk(const std::string& key, const CachedObject& obj) {
  if (disk_index_.count(key)) return;
  std::string value = Encode(obj);
  if (value.size() > disk_cap_) return;
  std::vector<std::string> evict;
  while (disk_bytes_ + value.size() > disk_cap_ && !disk_order_.empty()) {
    const std::string victim = disk_order_.front();
    disk_bytes_ -= disk_index_[victim].size;
    disk_index_.erase(victim);
    disk_order_.pop_front();
    evict.push_back(std::string(kDiskPrefix) + victim);
  }
  base::Status st = disk_->Write({{std::string(kDiskPrefix) + key, value}}, evict);
  if (!st.ok()) {
    LOG(WARN) << "cache: disk write failed: " << st.message();
    return;
  }
  disk_order_.push_back(key);
  disk_index_[key] = DiskEntry{value.size(), std::prev(disk_order_.end())};
  disk_bytes_ += value.size();
}

}  // namespace cdn::edge
