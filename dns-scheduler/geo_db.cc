#include "dns-scheduler/geo_db.h"

#include <maxminddb.h>
#include <netinet/in.h>

#include <atomic>
#include <cstring>

namespace cdn::sched {

struct GeoDb::Db {
  MMDB_s mmdb;
  bool open = false;
  ~Db() {
    if (open) MMDB_close(&mmdb);
  }
};

namespace {

std::atomic<uint64_t> next_db_id{1};

bool ReadDouble(MMDB_entry_s* entry, double* out, const char* const* path) {
  MMDB_entry_data_s d;
  if (MMDB_aget_value(entry, &d, path) != MMDB_SUCCESS || !d.has_data) return false;
  switch (d.type) {
    case MMDB_DATA_TYPE_DOUBLE: *out = d.double_value; return true;
    case MMDB_DATA_TYPE_FLOAT: *out = d.float_value; return true;
    default: return false;
  }
}

bool ReadCountry(MMDB_entry_s* entry, char* out, const char* const* path) {
  MMDB_entry_data_s d;
  if (MMDB_aget_value(entry, &d, path) != MMDB_SUCCESS || !d.has_data || d.type != MMDB_DATA_TYPE_UTF8_STRING) return false;
  if (d.data_size != 2) return false;
  out[0] = d.utf8_string[0];
  out[1] = d.utf8_string[1];
  out[2] = 0;
  return true;
}

// Per-thread direct-mapped cache of decoded records, keyed by database and record offset:
// decoding the record map costs more than the tree walk.
struct CacheSlot {
  uint64_t db_id = 0;
  uint32_t offset = 0;
  bool has_location = false;
  double lat = 0, lon = 0;
  char country[3] = {0, 0, 0};
};
constexpr size_t kCacheSlots = 4096;
thread_local CacheSlot* tls_cache = nullptr;

CacheSlot* Cache() {
  if (tls_cache == nullptr) {
    static thread_local std::unique_ptr<CacheSlot[]> storage(new CacheSlot[kCacheSlots]);
    tls_cache = storage.get();
  }
  return tls_cache;
}

}  // namespace

GeoDb::~GeoDb() = default;

base::Result<std::shared_ptr<GeoDb>> GeoDb::Open(const std::string& path_v4, const std::string& path_v6) {
  std::shared_ptr<GeoDb> g(new GeoDb());
  g->id_ = next_db_id.fetch_add(1);
  for (int i = 0; i < 2; ++i) {
    const std::string& path = i == 0 ? path_v4 : path_v6;
    if (path.empty()) continue;
    auto db = std::make_unique<Db>();
    int rc = MMDB_open(path.c_str(), MMDB_MODE_MMAP, &db->mmdb);
    if (rc != MMDB_SUCCESS) {
      return base::Status::Io("cannot open geoip database " + path + ": " + MMDB_strerror(rc));
    }
    db->open = true;
    if (!g->description_.empty()) g->description_ += ", ";
    g->description_ += path + " (" + db->mmdb.metadata.database_type + ", IPv" +
                       std::to_string(db->mmdb.metadata.ip_version) + ")";
    (i == 0 ? g->v4_ : g->v6_) = std::move(db);
  }
  return g;
}

GeoRecord GeoDb::Lookup(const IpAddr& addr) const {
  // An IPv6 database also holds IPv4 (under ::/96); an IPv4 one cannot answer IPv6.
  if (addr.family == 4) {
    if (v4_) return LookupIn(*v4_, addr);
    if (v6_ && v6_->mmdb.metadata.ip_version == 6) return LookupIn(*v6_, addr);
  } else if (addr.family == 6) {
    if (v6_ && v6_->mmdb.metadata.ip_version == 6) return LookupIn(*v6_, addr);
    if (v4_ && v4_->mmdb.metadata.ip_version == 6) return LookupIn(*v4_, addr);
  }
  return GeoRecord();
}

GeoRecord GeoDb::LookupIn(const Db& db, const IpAddr& addr) const {
  GeoRecord rec;
  sockaddr_storage ss;
  std::memset(&ss, 0, sizeof(ss));
  if (addr.family == 4) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    sin->sin_family = AF_INET;
    std::memcpy(&sin->sin_addr, addr.bytes, 4);
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
    sin6->sin6_family = AF_INET6;
    std::memcpy(&sin6->sin6_addr, addr.bytes, 16);
  }
  int err = 0;
  MMDB_lookup_result_s r = MMDB_lookup_sockaddr(&db.mmdb, reinterpret_cast<sockaddr*>(&ss), &err);
  if (err != MMDB_SUCCESS || !r.found_entry) {
    // Not found still depends on the bits walked.
    rec.prefix_len = r.netmask;
    if (addr.family == 4 && db.mmdb.metadata.ip_version == 6 && rec.prefix_len >= 96) rec.prefix_len -= 96;
    if (rec.prefix_len > addr.bits()) rec.prefix_len = addr.bits();
    return rec;
  }
  rec.found = true;
  rec.prefix_len = r.netmask;
  // libmaxminddb reports IPv4 lookups in an IPv6 tree with an IPv6 netmask.
  if (addr.family == 4 && db.mmdb.metadata.ip_version == 6 && rec.prefix_len >= 96) rec.prefix_len -= 96;
  if (rec.prefix_len > addr.bits()) rec.prefix_len = addr.bits();

  CacheSlot& slot = Cache()[(r.entry.offset * 2654435761u) % kCacheSlots];
  if (slot.db_id == id_ && slot.offset == r.entry.offset) {
    rec.has_location = slot.has_location;
    rec.lat = slot.lat;
    rec.lon = slot.lon;
    std::memcpy(rec.country, slot.country, 3);
    return rec;
  }
  static const char* const kLat[] = {"latitude", nullptr};
  static const char* const kLon[] = {"longitude", nullptr};
  static const char* const kLatG[] = {"location", "latitude", nullptr};
  static const char* const kLonG[] = {"location", "longitude", nullptr};
  static const char* const kCc[] = {"country_code", nullptr};
  static const char* const kCcG[] = {"country", "iso_code", nullptr};
  MMDB_entry_s entry = r.entry;
  rec.has_location = (ReadDouble(&entry, &rec.lat, kLat) && ReadDouble(&entry, &rec.lon, kLon)) ||
                     (ReadDouble(&entry, &rec.lat, kLatG) && ReadDouble(&entry, &rec.lon, kLonG));
  if (!ReadCountry(&entry, rec.country, kCc)) ReadCountry(&entry, rec.country, kCcG);
  slot.db_id = id_;
  slot.offset = r.entry.offset;
  slot.has_location = rec.has_location;
  slot.lat = rec.lat;
  slot.lon = rec.lon;
  std::memcpy(slot.country, rec.country, 3);
  return rec;
}

}  // namespace cdn::sched
