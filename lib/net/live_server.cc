#include "lib/net/live_server.h"

namespace cdn::net {

void LiveStats::FirstFrame(const std::string& protocol, int64_t ms) {
  static const int kBounds[] = {5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000};
  auto& h = first_frame_ms[protocol];
  for (int b : kBounds) {
    if (ms <= b) ++h[b];
  }
  first_frame_sum_s[protocol] += ms / 1000.0;
  ++first_frame_count[protocol];
}

}  // namespace cdn::net
