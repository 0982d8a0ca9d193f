// Report: what cdn-loadgen prints at the end of a run, summarised over every client's stats:
// connected, failed (with reasons counted), bytes/s per client (min/p5/p50), keep-up ratio,
// time to first key frame (p50/p90/p99), stalls; as text or one JSON object. Pure; any thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tools/cdn-loadgen/client.h"

namespace cdn::loadgen {

struct RunInfo {
  std::string mode;  // "rtmp-play", "flv-play", "hls-play", "rtmp-publish"
  std::string url;
  int connections = 0;
  int threads = 1;
  double ramp_per_s = 0;
  double duration_s = 0;
  double wall_s = 0;          // measured: first connect to the end
  double cpu_s = 0;           // this process, user + system
};

struct Summary {
  int connections = 0, connected = 0, failed = 0;
  std::map<std::string, int> reasons;
  uint64_t bytes = 0;
  double rate_min = 0, rate_p5 = 0, rate_p50 = 0;        // bytes/s per client
  double keep_min = 0, keep_p5 = 0, keep_p50 = 0;        // keep-up ratio
  int keep_known = 0;
  double key_p50 = 0, key_p90 = 0, key_p99 = 0, key_max = 0;  // ms from connect start
  int no_key = 0;                                        // connected but never saw a key frame
  int stalls = 0, stalled_clients = 0;
};

Summary Summarize(const std::vector<const ClientStats*>& stats);
std::string FormatText(const RunInfo& run, const Summary& s);
std::string FormatJson(const RunInfo& run, const Summary& s);

}  // namespace cdn::loadgen
