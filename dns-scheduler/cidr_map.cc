#include "dns-scheduler/cidr_map.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace cdn::sched {
namespace {

inline int BitAt(const uint8_t* b, int i) { return (b[i >> 3] >> (7 - (i & 7))) & 1; }

}  // namespace

std::string IpAddr::ToString() const {
  char buf[INET6_ADDRSTRLEN] = "";
  if (family == 4) inet_ntop(AF_INET, bytes, buf, sizeof(buf));
  if (family == 6) inet_ntop(AF_INET6, bytes, buf, sizeof(buf));
  return buf;
}

base::Result<IpAddr> ParseIp(std::string_view text) {
  std::string s(text);
  IpAddr a;
  if (inet_pton(AF_INET, s.c_str(), a.bytes) == 1) {
    a.family = 4;
    return a;
  }
  if (inet_pton(AF_INET6, s.c_str(), a.bytes) == 1) {
    static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(a.bytes, kMapped, 12) == 0) {
      std::memmove(a.bytes, a.bytes + 12, 4);
      std::memset(a.bytes + 4, 0, 12);
      a.family = 4;
    } else {
      a.family = 6;
    }
    return a;
  }
  return base::Status::Invalid("not an IP address: '" + s + "'");
}

std::string Prefix::ToString() const { return addr.ToString() + "/" + std::to_string(len); }

base::Result<Prefix> ParsePrefix(std::string_view text) {
  Prefix p;
  size_t slash = text.find('/');
  auto ip = ParseIp(text.substr(0, slash));
  if (!ip.ok()) return ip.status();
  p.addr = *ip;
  p.len = p.addr.bits();
  if (slash != std::string_view::npos) {
    std::string_view l = text.substr(slash + 1);
    auto r = std::from_chars(l.data(), l.data() + l.size(), p.len);
    if (r.ec != std::errc() || r.ptr != l.data() + l.size() || p.len < 0 || p.len > p.addr.bits()) {
      return base::Status::Invalid("bad prefix length in '" + std::string(text) + "'");
    }
  }
  for (int i = p.len; i < p.addr.bits(); ++i) {
    if (BitAt(p.addr.bytes, i)) {
      return base::Status::Invalid("'" + std::string(text) + "' has host bits set past /" + std::to_string(p.len));
    }
  }
  return p;
}

void CidrMap::Insert(const Prefix& p, int value) {
  auto& t = trie(p.addr.family);
  int n = 0;
  for (int i = 0; i < p.len; ++i) {
    int b = BitAt(p.addr.bytes, i);
    if (t[n].child[b] < 0) {
      t[n].child[b] = static_cast<int>(t.size());
      t.emplace_back();
    }
    n = t[n].child[b];
  }
  if (t[n].value < 0) ++rules_;
  t[n].value = value;
}

CidrMap::Match CidrMap::Lookup(const IpAddr& a) const {
  Match m;
  if (a.family != 4 && a.family != 6) return m;
  const auto& t = trie(a.family);
  const int max = a.bits();
  int n = 0;
  int depth = 0;
  for (;;) {
    if (t[n].value >= 0) {
      m.value = t[n].value;
      m.rule_len = depth;
    }
    if (depth == max) {
      m.scope = max;
      break;
    }
    int b = BitAt(a.bytes, depth);
    int next = t[n].child[b];
    if (next < 0) {
      // Everything sharing these `depth` bits ends here too, unless the sibling branch holds
      // more rules: then the next bit also mattered.
      bool leaf = t[n].child[0] < 0 && t[n].child[1] < 0;
      m.scope = leaf ? depth : depth + 1;
      break;
    }
    n = next;
    ++depth;
  }
  return m;
}

}  // namespace cdn::sched
