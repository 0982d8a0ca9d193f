// GeoDb: a MaxMind-format (.mmdb) city database read with libmaxminddb: address -> latitude,
// longitude, country and the database network's prefix length (for the ECS scope). Reads
// DB-IP lite ("latitude", "longitude", "country_code") and GeoLite2 ("location.latitude",
// "country.iso_code") layouts. The only file that includes maxminddb.h. Immutable after Open:
// Lookup from any thread (each thread keeps a small cache of decoded records).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "dns-scheduler/cidr_map.h"
#include "lib/base/status.h"

namespace cdn::sched {

struct GeoRecord {
  bool found = false;         // the database has a network for the address
  bool has_location = false;  // ... and it carries latitude/longitude
  double lat = 0;
  double lon = 0;
  char country[3] = {0, 0, 0};
  int prefix_len = 0;  // the database network's length, in the address family's bits
};

class GeoDb {
 public:
  // Either path may be empty; an IPv6 database also answers IPv4 (its ::/96 subtree).
  static base::Result<std::shared_ptr<GeoDb>> Open(const std::string& path_v4, const std::string& path_v6);
  ~GeoDb();
  GeoDb(const GeoDb&) = delete;
  GeoDb& operator=(const GeoDb&) = delete;

  GeoRecord Lookup(const IpAddr& addr) const;
  const std::string& description() const { return description_; }

 private:
  struct Db;
  GeoDb() = default;
  GeoRecord LookupIn(const Db& db, const IpAddr& addr) const;
  std::unique_ptr<Db> v4_, v6_;
  uint64_t id_ = 0;  // distinguishes databases in the per-thread cache
  std::string description_;
};

}  // namespace cdn::sched
