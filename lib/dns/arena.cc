#include "lib/dns/arena.h"

namespace cdn::dns {

Arena::Arena(size_t block_size) : block_size_(block_size), block_(new unsigned char[block_size]) {
  mm_.ctx = this;
  mm_.alloc = &Arena::MmAlloc;
  mm_.free = &Arena::MmFree;
}

Arena::~Arena() = default;

void* Arena::Alloc(size_t n) {
  size_t aligned = (n + 15) & ~size_t{15};
  if (aligned < n) return nullptr;
  if (block_size_ - used_ >= aligned) {
    void* p = block_.get() + used_;
    used_ += aligned;
    return p;
  }
  overflow_.emplace_back(new unsigned char[aligned]);
  return overflow_.back().get();
}

void Arena::Reset() {
  used_ = 0;
  overflow_.clear();
}

void* Arena::MmAlloc(void* ctx, size_t n) { return static_cast<Arena*>(ctx)->Alloc(n); }

}  // namespace cdn::dns
