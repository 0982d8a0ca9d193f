#include "dns-scheduler/query_handler.h"

#include <time.h>

#include <algorithm>

#include "lib/dns/wire.h"

namespace cdn::sched {

QueryHandler::QueryHandler(const RoutingHolder* routing, WorkerStats* stats, uint16_t edns_udp_size, uint64_t seed)
    : reader_(routing), stats_(stats), edns_udp_size_(edns_udp_size), rng_(seed) {}

size_t QueryHandler::Handle(std::string_view in, const IpAddr& source, bool tcp, uint8_t* out) {
  dns::Query& q = query_;
  dns::ParseResult pr = parser_.Parse(in, &q);
  if (pr == dns::ParseResult::kDrop) {
    if (stats_) stats_->dropped.Inc();
    return 0;
  }
  size_t limit = dns::kMaxMessage;
  if (!tcp) {
    limit = q.edns ? std::clamp<size_t>(q.edns_payload, dns::kMaxUdpNoEdns, edns_udp_size_) : dns::kMaxUdpNoEdns;
  }
  if (pr != dns::ParseResult::kOk) {
    uint16_t rcode = pr == dns::ParseResult::kNotImp ? dns::kRcodeNotImp : dns::kRcodeFormErr;
    writer_.Begin(q, out, limit, /*with_question=*/false, edns_udp_size_);
    writer_.SetRcode(rcode);
    Count(q, rcode, 0);
    return writer_.Finish();
  }
  const Routing* r = reader_.Current();
  writer_.Begin(q, out, limit, /*with_question=*/true, edns_udp_size_);
  if (r == nullptr) {
    writer_.SetRcode(dns::kRcodeServFail);
  } else {
    if (stats_ && ++answers_ % kDecisionSampleEvery == 0) {
      timespec t0, t1;
      clock_gettime(CLOCK_MONOTONIC, &t0);
      Answer(*r, q, source, &rng_, &writer_, &info_);
      clock_gettime(CLOCK_MONOTONIC, &t1);
      stats_->Decision(static_cast<uint64_t>((t1.tv_sec - t0.tv_sec) * 1'000'000'000LL + (t1.tv_nsec - t0.tv_nsec)));
    } else {
      Answer(*r, q, source, &rng_, &writer_, &info_);
    }
  }
  if (stats_) {
    if (tcp) stats_->tcp.Inc();
    else stats_->udp.Inc();
    if (q.has_ecs && q.ecs.source_prefix > 0) stats_->ecs.Inc();
    if (writer_.truncated()) stats_->truncated.Inc();
    if (r != nullptr && info_.geo) {
      const Decision& d = info_.decision;
      if (d.tier == Decision::Tier::kFailOpen) stats_->fail_open.Inc();
      if (d.count > 0) stats_->edge_answers[r->edge_slot[d.edges[0]]].Inc();
    }
  }
  int region = 0;
  if (r != nullptr && info_.geo && info_.decision.pool >= 0) region = r->pool_slot[info_.decision.pool];
  Count(q, writer_.rcode(), region);
  return writer_.Finish();
}

void QueryHandler::Count(const dns::Query& q, uint16_t rcode, int region) {
  if (stats_ == nullptr) return;
  stats_->queries[QtypeSlot(q.qtype)][RcodeSlot(rcode)][region].Inc();
}

}  // namespace cdn::sched
