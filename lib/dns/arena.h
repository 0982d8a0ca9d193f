// Arena: a bump allocator handed to libknot as its knot_mm_t, reset after every message so the
// query path does not touch malloc. Internal to lib/dns (only .cc files include it, since it
// exposes a libknot type). One per parser/writer; not thread-safe.
#pragma once

#include "lib/dns/knot.h"

#include <cstddef>
#include <memory>
#include <vector>

namespace cdn::dns {

class Arena {
 public:
  explicit Arena(size_t block_size = 16 * 1024);
  ~Arena();
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  void* Alloc(size_t n);
  // Frees everything allocated since the last Reset (keeps the first block).
  void Reset();
  knot_mm_t* mm() { return &mm_; }

 private:
  static void* MmAlloc(void* ctx, size_t n);
  static void MmFree(void*) {}

  knot_mm_t mm_;
  size_t block_size_;
  std::unique_ptr<unsigned char[]> block_;
  size_t used_ = 0;
  std::vector<std::unique_ptr<unsigned char[]>> overflow_;  // rare: messages with many RRs
};

}  // namespace cdn::dns
