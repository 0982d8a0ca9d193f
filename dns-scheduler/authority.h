// Authority: answers one parsed query from a Routing snapshot, the way an authoritative server
// does (RFC 1034 4.3.2): REFUSED outside served zones, AA inside; CNAME chains followed while
// they stay in served zones; NXDOMAIN or NODATA with the zone's SOA for negative caching
// (RFC 2308); RFC 8482 minimal ANY; geo names answered by the decision with the ECS scope it
// depended on. Writes into a ResponseWriter that the caller began. Pure; any thread.
#pragma once

#include "dns-scheduler/decision.h"
#include "dns-scheduler/routing.h"
#include "lib/dns/query.h"
#include "lib/dns/response.h"

namespace cdn::sched {

struct AnswerInfo {
  bool geo = false;  // a decision was made (then `decision` is filled)
  Decision decision;
};

// The address the decision uses: the ECS subnet when present with a non-zero source prefix
// (RFC 7871 7.1.2), else the packet's source.
IpAddr ClientAddress(const dns::Query& q, const IpAddr& source);

void Answer(const Routing& r, const dns::Query& q, const IpAddr& source, Rng* rng, dns::ResponseWriter* w,
            AnswerInfo* info);

}  // namespace cdn::sched
