// Query counters. Each DNS worker owns one WorkerStats and is its only writer (relaxed
// load+store, no locked instructions on the query path); the admin thread sums them when
// /metrics is scraped. Region and edge labels map to small stable slots through a
// SlotRegistry (grow-only, capped, so a typo-ridden config cannot blow up the series).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace cdn::sched {

class Counter {
 public:
  void Inc(uint64_t n = 1) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  void Set(uint64_t n) { v_.store(n, std::memory_order_relaxed); }
  uint64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

// Label slots: qtype and rcode are fixed tables; regions and edges come from the registry.
inline constexpr int kQtypeSlots = 10;
inline constexpr int kRcodeSlots = 8;
inline constexpr int kRegionSlots = 34;  // 0 = "none", 1..32 named, 33 = "_other"
inline constexpr int kEdgeSlots = 130;   // 0 unused, 1..128 named, 129 = "_other"

int QtypeSlot(uint16_t qtype);
const char* QtypeSlotName(int slot);
int RcodeSlot(uint16_t rcode);
const char* RcodeSlotName(int slot);

// Decision latency histogram (time spent building an answer), upper bounds in nanoseconds.
inline constexpr uint64_t kDecisionBoundsNs[] = {1000, 2000, 5000, 10000, 25000, 50000, 100000, 250000, 1000000};
inline constexpr int kDecisionBuckets = sizeof(kDecisionBoundsNs) / sizeof(kDecisionBoundsNs[0]);
// Two clock reads (~20 ns each, vDSO) against ~400 ns for a whole cached answer (dns-handler-bench):
// time a sample, not every answer.
inline constexpr uint32_t kDecisionSampleEvery = 16;

struct WorkerStats {
  Counter queries[kQtypeSlots][kRcodeSlots][kRegionSlots];
  Counter edge_answers[kEdgeSlots];  // times an edge was the first record of an answer
  Counter fail_open;
  Counter truncated;
  Counter dropped;  // unanswerable packets (short, QR set)
  Counter ecs;      // queries carrying a usable client subnet
  Counter udp;
  Counter tcp;
  Counter udp_rx_drops;  // kernel receive-queue overflows (SO_RXQ_OVFL), cumulative
  Counter tcp_accepted;
  Counter tcp_rejected;
  Counter tcp_open;  // gauge
  Counter decision[kDecisionBuckets + 1];  // per bucket (not cumulative); last: over the top bound
  Counter decision_ns_sum;
  void Decision(uint64_t ns) {
    int b = 0;
    while (b < kDecisionBuckets && ns > kDecisionBoundsNs[b]) ++b;
    decision[b].Inc();
    decision_ns_sum.Inc(ns);
  }
};

class SlotRegistry {
 public:
  // `named` slots 1..named, then one overflow slot (named + 1) labelled "_other".
  explicit SlotRegistry(int named) : named_(named), names_{"none"} {}
  int Assign(const std::string& name);
  std::vector<std::string> Names() const;  // index = slot

 private:
  int named_;
  mutable std::mutex mu_;
  std::vector<std::string> names_;
};

}  // namespace cdn::sched
