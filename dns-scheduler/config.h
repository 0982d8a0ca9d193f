// SchedulerConfig: the dns-scheduler YAML (see shared DESIGN.md "dns-scheduler.yaml") as one
// typed, validated struct. Parsing and every check happen here, once, with the YAML path in
// each error; the query path never looks a key up by string. Plain values; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dns-scheduler/cidr_map.h"
#include "lib/base/status.h"
#include "lib/config/node.h"
#include "lib/config/values.h"

namespace cdn::sched {

struct EdgeConfig {
  std::string id;
  std::optional<IpAddr> address;   // IPv4 (A records)
  std::optional<IpAddr> address6;  // IPv6 (AAAA records)
  std::string region;
  bool has_location = false;
  double lat = 0;
  double lon = 0;
  uint32_t weight = 100;
  uint64_t capacity_bps = 0;  // 0: use what the edge reports in /healthz
  std::string health_url;     // empty: never probed, always up
};

struct RegionRule {
  Prefix prefix;
  std::string region;
};

struct RecordConfig {
  std::string name;  // absolute, text
  uint16_t type = 0;
  uint32_t ttl = 0;
  std::string rdata;  // wire
};

struct ZoneConfig {
  std::string name;  // text, no trailing dot
  std::vector<RecordConfig> records;
};

struct HealthConfig {
  int64_t interval_ms = 2000;
  int fall = 2;
  int rise = 2;
  int64_t timeout_ms = 1000;  // default: interval / 2, at most 2s
};

struct SchedulerConfig {
  std::string node_id = "dns-1";
  std::vector<config::HostPort> listen;  // UDP and TCP
  config::HostPort admin;
  bool has_admin = false;
  std::string admin_token;
  std::string zone;                     // text, no trailing dot
  std::vector<std::string> ns;          // text
  uint32_t ttl = 30;                    // seconds, geo answers
  uint32_t ns_ttl = 3600;               // NS and SOA records
  int answers = 2;
  std::string rname;                    // SOA RNAME, default hostmaster.<zone>
  uint32_t soa_refresh = 3600, soa_retry = 600, soa_expire = 86400;
  uint32_t soa_minimum = 30;            // negative-caching TTL (RFC 2308)
  uint32_t serial = 0;                  // 0: the load time
  std::string geoip_mmdb;
  std::string geoip_mmdb6;
  std::vector<RegionRule> regions;
  std::string default_region;
  std::vector<EdgeConfig> edges;
  HealthConfig health;
  std::string central_api;              // base URL, e.g. http://127.0.0.1:8088
  std::string central_token;
  int64_t domains_poll_ms = 5000;
  std::string data_dir;                 // domain-table cache; empty: no disk cache
  std::vector<std::string> domains;     // static customer domains (text)
  std::vector<RecordConfig> records;    // extra records inside `zone`
  std::vector<ZoneConfig> zones;        // extra zones served as configured
  int workers = 1;
  uint64_t udp_rcvbuf = 8u << 20;
  uint64_t udp_sndbuf = 4u << 20;
  uint16_t edns_udp_size = 1232;
  int64_t tcp_idle_timeout_ms = 10000;
  int tcp_max_connections = 1024;       // per worker
};

base::Result<SchedulerConfig> ParseConfig(const config::Node& root);
base::Result<SchedulerConfig> LoadConfigFile(const std::string& path);

}  // namespace cdn::sched
