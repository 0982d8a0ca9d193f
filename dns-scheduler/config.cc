#include "dns-scheduler/config.h"

#include <cctype>
#include <set>

#include "lib/dns/name.h"
#include "lib/dns/rdata.h"
#include "lib/dns/wire.h"

namespace cdn::sched {
namespace {

using config::Node;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string StripDot(std::string s) {
  if (s.size() > 1 && s.back() == '.') s.pop_back();
  return s;
}

// "@" -> zone; "x." -> absolute; "a.zone" -> absolute; "www" -> "www.zone".
std::string Qualify(const std::string& name, const std::string& zone) {
  if (name == "@" || name.empty()) return zone;
  if (name.back() == '.') return Lower(StripDot(name));
  std::string l = Lower(name);
  if (l == zone || (l.size() > zone.size() && l.compare(l.size() - zone.size(), zone.size(), zone) == 0 &&
                    l[l.size() - zone.size() - 1] == '.')) {
    return l;
  }
  return l + "." + zone;
}

base::Status CheckName(const Node& n, const std::string& text) {
  auto r = dns::NameFromText(text);
  if (!r.ok()) return n.Error(r.status().message());
  return base::Status::Ok();
}

base::Status ReadU32(const Node& map, std::string_view key, uint32_t* out, int64_t min, int64_t max) {
  int64_t v = *out;
  CDN_RETURN_IF_ERROR(config::ReadInt(map, key, &v, min, max));
  *out = static_cast<uint32_t>(v);
  return base::Status::Ok();
}

base::Status ReadTtlSeconds(const Node& map, std::string_view key, uint32_t* out) {
  int64_t ms = static_cast<int64_t>(*out) * 1000;
  CDN_RETURN_IF_ERROR(config::ReadDurationMs(map, key, &ms));
  if (ms < 0 || ms / 1000 > 0x7fffffff) return map[key].Error("TTL out of range");
  *out = static_cast<uint32_t>(ms / 1000);
  return base::Status::Ok();
}

base::Status ParseRecord(const Node& n, const std::string& zone, uint32_t default_ttl, RecordConfig* out) {
  std::string name, type, value;
  out->ttl = default_ttl;
  if (n.is_scalar()) {
    // "<name> [ttl] <TYPE> <data...>"
    std::vector<std::string> f;
    const std::string& s = n.scalar();
    size_t i = 0;
    while (i < s.size() && f.size() < 3) {
      while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
      size_t j = i;
      while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j]))) ++j;
      if (j > i) f.push_back(s.substr(i, j - i));
      i = j;
    }
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    std::string rest = s.substr(std::min(i, s.size()));
    if (f.size() == 3 && !f[1].empty() && std::isdigit(static_cast<unsigned char>(f[1][0]))) {
      auto ttl = config::ParseDurationMs(f[1]);
      if (!ttl.ok()) return n.Error(ttl.status().message());
      out->ttl = static_cast<uint32_t>(*ttl / 1000);
      name = f[0];
      type = f[2];
      value = rest;
    } else if (f.size() >= 2) {
      name = f[0];
      type = f[1];
      value = f.size() == 3 ? f[2] + (rest.empty() ? "" : " " + rest) : rest;
    } else {
      return n.Error("expected '<name> [ttl] <TYPE> <data>'");
    }
  } else if (n.is_map()) {
    CDN_RETURN_IF_ERROR(config::CheckKnownKeys(n, {"name", "type", "value", "data", "ttl"}));
    CDN_RETURN_IF_ERROR(config::ReadString(n, "name", &name, true));
    CDN_RETURN_IF_ERROR(config::ReadString(n, "type", &type, true));
    CDN_RETURN_IF_ERROR(config::ReadString(n, "value", &value));
    CDN_RETURN_IF_ERROR(config::ReadString(n, "data", &value));
    CDN_RETURN_IF_ERROR(ReadTtlSeconds(n, "ttl", &out->ttl));
  } else {
    return n.Error("expected a record map or string");
  }
  out->name = Qualify(name, zone);
  CDN_RETURN_IF_ERROR(CheckName(n, out->name));
  auto owner = dns::NameFromText(out->name);
  auto apex = dns::NameFromText(zone);
  if (!dns::NameIsUnder(*owner, *apex)) return n.Error("record '" + out->name + "' is outside zone " + zone);
  out->type = dns::TypeFromText(type);
  if (out->type == 0) return n.Error("unknown record type '" + type + "'");
  auto rd = dns::RdataFromText(out->type, value);
  if (!rd.ok()) return n.Error(rd.status().message());
  out->rdata = *rd;
  return base::Status::Ok();
}

base::Status ParseEdge(const Node& n, EdgeConfig* e) {
  CDN_RETURN_IF_ERROR(config::CheckKnownKeys(
      n, {"id", "address", "address6", "region", "lat", "lon", "weight", "capacity", "health"}));
  CDN_RETURN_IF_ERROR(config::ReadString(n, "id", &e->id, true));
  std::string a, a6;
  CDN_RETURN_IF_ERROR(config::ReadString(n, "address", &a));
  CDN_RETURN_IF_ERROR(config::ReadString(n, "address6", &a6));
  if (!a.empty()) {
    auto ip = ParseIp(a);
    if (!ip.ok()) return n["address"].Error(ip.status().message());
    if (ip->family == 4) e->address = *ip;
    else e->address6 = *ip;
  }
  if (!a6.empty()) {
    auto ip = ParseIp(a6);
    if (!ip.ok() || ip->family != 6) return n["address6"].Error("expected an IPv6 address");
    e->address6 = *ip;
  }
  if (!e->address && !e->address6) return n.Error("edge needs an address");
  e->region = e->id;
  CDN_RETURN_IF_ERROR(config::ReadString(n, "region", &e->region));
  bool has_lat = n.has("lat"), has_lon = n.has("lon");
  if (has_lat != has_lon) return n.Error("lat and lon go together");
  if (has_lat) {
    CDN_RETURN_IF_ERROR(config::ReadDouble(n, "lat", &e->lat));
    CDN_RETURN_IF_ERROR(config::ReadDouble(n, "lon", &e->lon));
    if (e->lat < -90 || e->lat > 90) return n["lat"].Error("latitude must be within -90..90");
    if (e->lon < -180 || e->lon > 180) return n["lon"].Error("longitude must be within -180..180");
    e->has_location = true;
  }
  CDN_RETURN_IF_ERROR(ReadU32(n, "weight", &e->weight, 1, 1000000));
  CDN_RETURN_IF_ERROR(config::ReadBandwidth(n, "capacity", &e->capacity_bps));
  CDN_RETURN_IF_ERROR(config::ReadString(n, "health", &e->health_url));
  if (!e->health_url.empty() && e->health_url.rfind("http://", 0) != 0) {
    return n["health"].Error("health must be an http:// URL");
  }
  return base::Status::Ok();
}

}  // namespace

base::Result<SchedulerConfig> ParseConfig(const Node& root) {
  SchedulerConfig c;
  CDN_RETURN_IF_ERROR(config::CheckKnownKeys(
      root, {"node_id", "listen", "admin", "zone", "ns", "ttl", "ns_ttl", "answers", "soa", "geoip",
             "regions", "default_region", "edges", "health", "central_api", "central_token", "domains_poll",
             "data_dir", "domains", "records", "zones", "workers", "udp_rcvbuf", "udp_sndbuf", "edns_udp_size",
             "tcp_idle_timeout", "tcp_max_connections"}));
  CDN_RETURN_IF_ERROR(config::ReadString(root, "node_id", &c.node_id));

  std::vector<std::string> listen = {"127.0.0.1:5353"};
  if (root["listen"].is_scalar()) {
    listen = {root["listen"].scalar()};
  } else {
    CDN_RETURN_IF_ERROR(config::ReadStringList(root, "listen", &listen));
  }
  if (listen.empty()) return root["listen"].Error("needs at least one address");
  for (const auto& l : listen) {
    auto hp = config::ParseHostPort(l);
    if (!hp.ok()) return root["listen"].Error(hp.status().message());
    auto ip = ParseIp(hp->host);
    if (!ip.ok()) return root["listen"].Error("listen needs a numeric address, got '" + hp->host + "'");
    c.listen.push_back(*hp);
  }

  Node admin = root["admin"];
  if (!admin.is_null()) {
    CDN_RETURN_IF_ERROR(config::CheckKnownKeys(admin, {"listen", "token"}));
    CDN_RETURN_IF_ERROR(config::ReadHostPort(admin, "listen", &c.admin, true));
    CDN_RETURN_IF_ERROR(config::ReadString(admin, "token", &c.admin_token));
    c.has_admin = true;
  }

  CDN_RETURN_IF_ERROR(config::ReadString(root, "zone", &c.zone, true));
  c.zone = Lower(StripDot(c.zone));
  CDN_RETURN_IF_ERROR(CheckName(root["zone"], c.zone));
  CDN_RETURN_IF_ERROR(config::ReadStringList(root, "ns", &c.ns));
  if (c.ns.empty()) c.ns.push_back("ns1." + c.zone);
  for (auto& n : c.ns) {
    n = Lower(StripDot(n));
    CDN_RETURN_IF_ERROR(CheckName(root["ns"], n));
  }
  CDN_RETURN_IF_ERROR(ReadTtlSeconds(root, "ttl", &c.ttl));
  CDN_RETURN_IF_ERROR(ReadTtlSeconds(root, "ns_ttl", &c.ns_ttl));
  c.soa_minimum = c.ttl;
  int64_t answers = c.answers;
  CDN_RETURN_IF_ERROR(config::ReadInt(root, "answers", &answers, 1, 16));
  c.answers = static_cast<int>(answers);

  Node soa = root["soa"];
  c.rname = "hostmaster." + c.zone;
  if (!soa.is_null()) {
    CDN_RETURN_IF_ERROR(config::CheckKnownKeys(soa, {"rname", "serial", "refresh", "retry", "expire", "minimum"}));
    CDN_RETURN_IF_ERROR(config::ReadString(soa, "rname", &c.rname));
    c.rname = Lower(StripDot(c.rname));
    CDN_RETURN_IF_ERROR(CheckName(soa["rname"], c.rname));
    CDN_RETURN_IF_ERROR(ReadU32(soa, "serial", &c.serial, 0, 0xffffffffLL));
    CDN_RETURN_IF_ERROR(ReadTtlSeconds(soa, "refresh", &c.soa_refresh));
    CDN_RETURN_IF_ERROR(ReadTtlSeconds(soa, "retry", &c.soa_retry));
    CDN_RETURN_IF_ERROR(ReadTtlSeconds(soa, "expire", &c.soa_expire));
    CDN_RETURN_IF_ERROR(ReadTtlSeconds(soa, "minimum", &c.soa_minimum));
  }

  Node geoip = root["geoip"];
  if (!geoip.is_null()) {
    CDN_RETURN_IF_ERROR(config::CheckKnownKeys(geoip, {"mmdb", "mmdb6"}));
    CDN_RETURN_IF_ERROR(config::ReadString(geoip, "mmdb", &c.geoip_mmdb));
    CDN_RETURN_IF_ERROR(config::ReadString(geoip, "mmdb6", &c.geoip_mmdb6));
  }

  // Edges first: regions refer to them.
  Node edges = root["edges"];
  if (!edges.is_sequence() || edges.items().empty()) return edges.Error("needs at least one edge");
  std::set<std::string> ids, regions;
  for (const Node& en : edges.items()) {
    EdgeConfig e;
    CDN_RETURN_IF_ERROR(ParseEdge(en, &e));
    if (!ids.insert(e.id).second) return en["id"].Error("duplicate edge id '" + e.id + "'");
    regions.insert(e.region);
    c.edges.push_back(std::move(e));
  }

  Node rules = root["regions"];
  if (!rules.is_null()) {
    if (!rules.is_sequence()) return rules.Error("expected a list of {cidr, region}");
    for (const Node& rn : rules.items()) {
      CDN_RETURN_IF_ERROR(config::CheckKnownKeys(rn, {"cidr", "region"}));
      std::string cidr, region;
      CDN_RETURN_IF_ERROR(config::ReadString(rn, "cidr", &cidr, true));
      CDN_RETURN_IF_ERROR(config::ReadString(rn, "region", &region, true));
      auto p = ParsePrefix(cidr);
      if (!p.ok()) return rn["cidr"].Error(p.status().message());
      if (!regions.count(region)) return rn["region"].Error("no edge is in region '" + region + "'");
      c.regions.push_back({*p, region});
    }
  }
  CDN_RETURN_IF_ERROR(config::ReadString(root, "default_region", &c.default_region));
  if (!c.default_region.empty() && !regions.count(c.default_region)) {
    return root["default_region"].Error("no edge is in region '" + c.default_region + "'");
  }

  Node health = root["health"];
  bool timeout_set = false;
  if (!health.is_null()) {
    CDN_RETURN_IF_ERROR(config::CheckKnownKeys(health, {"interval", "fall", "rise", "timeout"}));
    CDN_RETURN_IF_ERROR(config::ReadDurationMs(health, "interval", &c.health.interval_ms));
    int64_t fall = c.health.fall, rise = c.health.rise;
    CDN_RETURN_IF_ERROR(config::ReadInt(health, "fall", &fall, 1, 100));
    CDN_RETURN_IF_ERROR(config::ReadInt(health, "rise", &rise, 1, 100));
    c.health.fall = static_cast<int>(fall);
    c.health.rise = static_cast<int>(rise);
    timeout_set = health.has("timeout");
    CDN_RETURN_IF_ERROR(config::ReadDurationMs(health, "timeout", &c.health.timeout_ms));
    if (c.health.interval_ms < 50) return health["interval"].Error("must be at least 50ms");
  }
  if (!timeout_set) c.health.timeout_ms = std::min<int64_t>(std::max<int64_t>(c.health.interval_ms / 2, 50), 2000);
  if (c.health.timeout_ms > c.health.interval_ms) return health["timeout"].Error("must not exceed health.interval");

  CDN_RETURN_IF_ERROR(config::ReadString(root, "central_api", &c.central_api));
  if (!c.central_api.empty() && c.central_api.rfind("http://", 0) != 0) {
    return root["central_api"].Error("must be an http:// URL");
  }
  while (!c.central_api.empty() && c.central_api.back() == '/') c.central_api.pop_back();
  CDN_RETURN_IF_ERROR(config::ReadString(root, "central_token", &c.central_token));
  CDN_RETURN_IF_ERROR(config::ReadDurationMs(root, "domains_poll", &c.domains_poll_ms));
  if (c.domains_poll_ms < 100) return root["domains_poll"].Error("must be at least 100ms");
  CDN_RETURN_IF_ERROR(config::ReadString(root, "data_dir", &c.data_dir));

  // Domains: the same form as central's (maps with name/type/source/auth/...), or plain names.
  Node domains = root["domains"];
  if (!domains.is_null()) {
    if (!domains.is_sequence()) return domains.Error("expected a list");
    for (const Node& dn : domains.items()) {
      std::string name;
      if (dn.is_scalar()) {
        name = dn.scalar();
      } else {
        CDN_RETURN_IF_ERROR(config::ReadString(dn, "name", &name, true));
      }
      name = Lower(StripDot(name));
      CDN_RETURN_IF_ERROR(CheckName(dn, name + "." + c.zone));
      c.domains.push_back(name);
    }
  }

  Node records = root["records"];
  if (!records.is_null()) {
    if (!records.is_sequence()) return records.Error("expected a list");
    for (const Node& rn : records.items()) {
      RecordConfig r;
      CDN_RETURN_IF_ERROR(ParseRecord(rn, c.zone, c.ttl, &r));
      c.records.push_back(std::move(r));
    }
  }
  Node zones = root["zones"];
  if (!zones.is_null()) {
    if (!zones.is_sequence()) return zones.Error("expected a list of {name, records}");
    std::set<std::string> names = {c.zone};
    for (const Node& zn : zones.items()) {
      CDN_RETURN_IF_ERROR(config::CheckKnownKeys(zn, {"name", "records", "ttl"}));
      ZoneConfig z;
      CDN_RETURN_IF_ERROR(config::ReadString(zn, "name", &z.name, true));
      z.name = Lower(StripDot(z.name));
      CDN_RETURN_IF_ERROR(CheckName(zn["name"], z.name));
      if (!names.insert(z.name).second) return zn["name"].Error("zone '" + z.name + "' is listed twice");
      uint32_t ttl = c.ttl;
      CDN_RETURN_IF_ERROR(ReadTtlSeconds(zn, "ttl", &ttl));
      Node zr = zn["records"];
      if (!zr.is_null() && !zr.is_sequence()) return zr.Error("expected a list");
      for (const Node& rn : zr.items()) {
        RecordConfig r;
        CDN_RETURN_IF_ERROR(ParseRecord(rn, z.name, ttl, &r));
        z.records.push_back(std::move(r));
      }
      c.zones.push_back(std::move(z));
    }
  }

  int64_t workers = c.workers;
  CDN_RETURN_IF_ERROR(config::ReadInt(root, "workers", &workers, 1, 64));
  c.workers = static_cast<int>(workers);
  CDN_RETURN_IF_ERROR(config::ReadSize(root, "udp_rcvbuf", &c.udp_rcvbuf));
  CDN_RETURN_IF_ERROR(config::ReadSize(root, "udp_sndbuf", &c.udp_sndbuf));
  int64_t edns = c.edns_udp_size;
  CDN_RETURN_IF_ERROR(config::ReadInt(root, "edns_udp_size", &edns, 512, 4096));
  c.edns_udp_size = static_cast<uint16_t>(edns);
  CDN_RETURN_IF_ERROR(config::ReadDurationMs(root, "tcp_idle_timeout", &c.tcp_idle_timeout_ms));
  int64_t maxconn = c.tcp_max_connections;
  CDN_RETURN_IF_ERROR(config::ReadInt(root, "tcp_max_connections", &maxconn, 1, 1000000));
  c.tcp_max_connections = static_cast<int>(maxconn);
  return c;
}

base::Result<SchedulerConfig> LoadConfigFile(const std::string& path) {
  auto root = config::Node::LoadFile(path);
  if (!root.ok()) return root.status();
  return ParseConfig(*root);
}

}  // namespace cdn::sched
