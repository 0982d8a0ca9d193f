// QueryHandler: one DNS message in, one response out (or nothing), with no I/O: parse
// (lib/dns), answer from the current Routing (authority.h), size-limit per transport
// (RFC 1035 4.2.1, RFC 6891 6.2.5, RFC 7766), count. The UDP and TCP transports call it;
// tests and the fuzzer call it directly. One per worker thread; not thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

#include "dns-scheduler/authority.h"
#include "dns-scheduler/dns_stats.h"
#include "dns-scheduler/routing.h"
#include "lib/dns/query.h"
#include "lib/dns/response.h"

namespace cdn::sched {

class QueryHandler {
 public:
  // `stats` may be null (tests). `edns_udp_size`: the largest UDP answer we send with EDNS.
  QueryHandler(const RoutingHolder* routing, WorkerStats* stats, uint16_t edns_udp_size, uint64_t seed);

  // Answers `in` from `source` into out[0, dns::kMaxMessage). Returns the response size,
  // 0 when nothing should be sent.
  size_t Handle(std::string_view in, const IpAddr& source, bool tcp, uint8_t* out);

 private:
  void Count(const dns::Query& q, uint16_t rcode, int region);
  RoutingReader reader_;
  WorkerStats* stats_;
  uint16_t edns_udp_size_;
  Rng rng_;
  dns::QueryParser parser_;
  dns::ResponseWriter writer_;
  dns::Query query_;
  AnswerInfo info_;
  uint32_t answers_ = 0;  // decision latency is timed on 1 answer in kDecisionSampleEvery
};

}  // namespace cdn::sched
