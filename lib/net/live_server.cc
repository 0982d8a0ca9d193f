#include "lib/net/live_server.h"

#include "lib/base/clock.h"

namespace cdn::net {

void LiveStats::FirstFrame(const std::string& protocol, int64_t ms) {
  auto& h = first_frame_ms[protocol];
  for (int b : kFirstFrameBoundsMs) {
    if (ms <= b) ++h[b];
  }
  first_frame_sum_s[protocol] += ms / 1000.0;
  ++first_frame_count[protocol];
}

void LiveStats::CountHlsOut(const std::string& domain, uint64_t n) {
  hls_bytes_out += n;
  std::pair<std::string, std::string> slot{"hls", domain};
  if (!domain_bytes_out.count(slot) && domain_bytes_out.size() >= kMaxDomains) slot.second = "_other";
  domain_bytes_out[slot] += n;
}

void LiveStats::StartSession(Session* session, Session::Kind kind, std::string protocol, std::string domain,
                             live::StreamKey key, std::string peer) {
  auto& totals = kind == Session::Kind::kPlay ? domain_bytes_out : domain_bytes_in;
  std::pair<std::string, std::string> slot{protocol, domain};
  if (!totals.count(slot) && totals.size() >= kMaxDomains) slot.second = "_other";
  session->domain_total = &totals[slot];
  session->kind = kind;
  session->protocol = std::move(protocol);
  session->domain = std::move(domain);
  session->key = std::move(key);
  session->peer = std::move(peer);
  session->start_ms = base::MonoMs();
  if (session->start_ms == 0) session->start_ms = 1;
  session->start_unix = base::WallSeconds();
  session->bytes = 0;
}

}  // namespace cdn::net
