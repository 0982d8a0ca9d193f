// CidrMap: longest-prefix match of an address against CIDR rules (one binary trie per
// family), returning the rule's value and the ECS scope the match depended on: the number of
// leading address bits that every address taking the same path through the trie shares
// (RFC 7871 7.2.1 wants exactly that as SCOPE PREFIX-LENGTH). Built once, then immutable:
// lookups from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lib/base/status.h"

namespace cdn::sched {

// An IPv4 or IPv6 address in network byte order (IPv4 in the first 4 bytes).
struct IpAddr {
  int family = 0;  // 4 or 6; 0 = none
  uint8_t bytes[16] = {};
  int bits() const { return family == 4 ? 32 : 128; }
  std::string ToString() const;
};

// "192.0.2.1" or "2001:db8::1"; IPv4-mapped IPv6 (::ffff:a.b.c.d) becomes IPv4.
base::Result<IpAddr> ParseIp(std::string_view text);

struct Prefix {
  IpAddr addr;
  int len = 0;
  std::string ToString() const;
};
// "127.0.1.0/24", "2001:db8::/32"; a bare address is a host route. Host bits must be zero.
base::Result<Prefix> ParsePrefix(std::string_view text);

class CidrMap {
 public:
  struct Match {
    int value = -1;    // -1: no rule covers the address
    int rule_len = 0;  // prefix length of the matching rule
    int scope = 0;     // bits of the address the answer depended on
  };

  // Later inserts of the same prefix replace the value.
  void Insert(const Prefix& p, int value);
  Match Lookup(const IpAddr& a) const;
  size_t size() const { return rules_; }

 private:
  struct Node {
    int child[2] = {-1, -1};
    int value = -1;
  };
  std::vector<Node>& trie(int family) { return family == 4 ? v4_ : v6_; }
  const std::vector<Node>& trie(int family) const { return family == 4 ? v4_ : v6_; }
  std::vector<Node> v4_{Node{}};
  std::vector<Node> v6_{Node{}};
  size_t rules_ = 0;
};

}  // namespace cdn::sched
