#include "tools/cdn-loadgen/report.h"

#include <algorithm>
#include <cstdio>

#include "lib/base/json.h"

namespace cdn::loadgen {

namespace {
// Nearest-rank percentile of sorted values; 0 when empty.
double Pct(const std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  size_t rank = static_cast<size_t>(p / 100.0 * static_cast<double>(v.size()) + 0.999999);
  rank = std::clamp<size_t>(rank, 1, v.size());
  return v[rank - 1];
}

std::string Num(double v, int decimals) {
  char buf[64];
  snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}
}  // namespace

Summary Summarize(const std::vector<const ClientStats*>& stats) {
  Summary s;
  std::vector<double> rates, keeps, keys;
  s.connections = static_cast<int>(stats.size());
  for (const ClientStats* c : stats) {
    if (c->connected_us >= 0) ++s.connected;
    if (!c->failure.empty() || c->connected_us < 0) {
      ++s.failed;
      std::string why = c->failure.empty() ? "not connected by the end" : c->failure;
      if (why.size() > 160) why.resize(160);
      ++s.reasons[why];
    }
    s.bytes += c->bytes;
    if (c->connected_us < 0) continue;
    const int64_t span = c->end_us - c->start_us;
    rates.push_back(span > 0 ? static_cast<double>(c->bytes) * 1e6 / static_cast<double>(span) : 0);
    if (c->keep_up >= 0) keeps.push_back(c->keep_up);
    if (c->first_key_us >= 0) {
      keys.push_back(static_cast<double>(c->first_key_us - c->start_us) / 1000.0);
    } else {
      ++s.no_key;
    }
    s.stalls += c->stalls;
    if (c->stalls > 0) ++s.stalled_clients;
  }
  std::sort(rates.begin(), rates.end());
  std::sort(keeps.begin(), keeps.end());
  std::sort(keys.begin(), keys.end());
  if (!rates.empty()) {
    s.rate_min = rates.front();
    s.rate_p5 = Pct(rates, 5);
    s.rate_p50 = Pct(rates, 50);
  }
  s.keep_known = static_cast<int>(keeps.size());
  if (!keeps.empty()) {
    s.keep_min = keeps.front();
    s.keep_p5 = Pct(keeps, 5);
    s.keep_p50 = Pct(keeps, 50);
  }
  if (!keys.empty()) {
    s.key_p50 = Pct(keys, 50);
    s.key_p90 = Pct(keys, 90);
    s.key_p99 = Pct(keys, 99);
    s.key_max = keys.back();
  }
  return s;
}

std::string FormatText(const RunInfo& run, const Summary& s) {
  std::string o;
  o += "cdn-loadgen " + run.mode + " " + run.url + "\n";
  o += "  clients " + std::to_string(s.connections) + " on " + std::to_string(run.threads) + " thread(s), ramp " +
       Num(run.ramp_per_s, 0) + "/s, " + Num(run.wall_s, 1) + " s, loadgen cpu " + Num(run.cpu_s, 2) + " s\n";
  o += "  connected " + std::to_string(s.connected) + ", failed " + std::to_string(s.failed) + "\n";
  for (const auto& [why, n] : s.reasons) o += "    " + std::to_string(n) + " x " + why + "\n";
  o += "  bytes " + std::to_string(s.bytes) + " (" + Num(static_cast<double>(s.bytes) * 8 / 1e6 / std::max(run.wall_s, 1e-3), 1) +
       " Mbit/s total)\n";
  o += "  kbit/s per client  min " + Num(s.rate_min * 8 / 1e3, 0) + "  p5 " + Num(s.rate_p5 * 8 / 1e3, 0) + "  p50 " +
       Num(s.rate_p50 * 8 / 1e3, 0) + "\n";
  o += "  keep-up            min " + Num(s.keep_min, 3) + "  p5 " + Num(s.keep_p5, 3) + "  p50 " + Num(s.keep_p50, 3) +
       "  (" + std::to_string(s.keep_known) + " measured)\n";
  o += "  first key frame ms p50 " + Num(s.key_p50, 2) + "  p90 " + Num(s.key_p90, 2) + "  p99 " + Num(s.key_p99, 2) +
       "  max " + Num(s.key_max, 2) + "  (" + std::to_string(s.no_key) + " without)\n";
  o += "  stalls " + std::to_string(s.stalls) + " in " + std::to_string(s.stalled_clients) + " client(s)\n";
  return o;
}

std::string FormatJson(const RunInfo& run, const Summary& s) {
  using base::JsonQuote;
  std::string o = "{";
  o += "\"mode\":" + JsonQuote(run.mode) + ",\"url\":" + JsonQuote(run.url);
  o += ",\"connections\":" + std::to_string(s.connections) + ",\"threads\":" + std::to_string(run.threads);
  o += ",\"ramp_per_s\":" + Num(run.ramp_per_s, 1) + ",\"duration_s\":" + Num(run.duration_s, 3);
  o += ",\"wall_s\":" + Num(run.wall_s, 3) + ",\"loadgen_cpu_s\":" + Num(run.cpu_s, 3);
  o += ",\"connected\":" + std::to_string(s.connected) + ",\"failed\":" + std::to_string(s.failed);
  o += ",\"failures\":{";
  bool first = true;
  for (const auto& [why, n] : s.reasons) {
    o += (first ? "" : ",") + JsonQuote(why) + ":" + std::to_string(n);
    first = false;
  }
  o += "},\"bytes\":" + std::to_string(s.bytes);
  o += ",\"bytes_per_s\":{\"min\":" + Num(s.rate_min, 0) + ",\"p5\":" + Num(s.rate_p5, 0) + ",\"p50\":" + Num(s.rate_p50, 0) + "}";
  o += ",\"keep_up\":{\"min\":" + Num(s.keep_min, 4) + ",\"p5\":" + Num(s.keep_p5, 4) + ",\"p50\":" + Num(s.keep_p50, 4) +
       ",\"measured\":" + std::to_string(s.keep_known) + "}";
  o += ",\"first_keyframe_ms\":{\"p50\":" + Num(s.key_p50, 3) + ",\"p90\":" + Num(s.key_p90, 3) + ",\"p99\":" +
       Num(s.key_p99, 3) + ",\"max\":" + Num(s.key_max, 3) + ",\"missing\":" + std::to_string(s.no_key) + "}";
  o += ",\"stalls\":" + std::to_string(s.stalls) + ",\"stalled_clients\":" + std::to_string(s.stalled_clients);
  o += "}\n";
  return o;
}

}  // namespace cdn::loadgen
