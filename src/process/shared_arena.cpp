#include "process/shared_arena.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <new>

#include "posix/syscall.hpp"

namespace mpp::detail {

SharedArena::SharedArena(std::size_t slots, std::size_t slot_bytes) : slots_(slots), slot_bytes_(slot_bytes) {
  const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  const std::size_t header = (slots * sizeof(std::atomic<std::uint32_t>) + page - 1) / page * page;
  const std::size_t total = header + slots * slot_bytes;
  // Shared with forked children, reserving no swap: pages exist once written.
  mapping_ = Mapping(posix::checked_mmap("mmap", nullptr, total, PROT_READ | PROT_WRITE,
                                         MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0),
                     total);
  holders_ = new (mapping_.get()) std::atomic<std::uint32_t>[slots];
  base_ = mapping_.bytes() + header;
}

std::byte* SharedArena::take(std::uint32_t holder) noexcept {
  for (std::size_t k = 0; k < slots_; ++k) {
    std::uint32_t free = 0;
    if (holders_[k].load(std::memory_order_relaxed) == 0 &&
        holders_[k].compare_exchange_strong(free, holder, std::memory_order_acquire)) {
      return base_ + k * slot_bytes_;
    }
  }
  return nullptr;
}

std::ptrdiff_t SharedArena::slot_of(const std::byte* at) const noexcept {
  if (at < base_ || at >= base_ + slots_ * slot_bytes_) return -1;
  return (at - base_) / static_cast<std::ptrdiff_t>(slot_bytes_);
}

void SharedArena::give_back(const std::byte* at) noexcept {
  const std::ptrdiff_t k = slot_of(at);
  // Release: what this process wrote there is done before another takes the slot.
  if (k >= 0) holders_[k].store(0, std::memory_order_release);
}

bool SharedArena::held_by(std::span<const std::byte> bytes, std::uint32_t holder) const noexcept {
  const std::ptrdiff_t k = slot_of(bytes.data());
  if (k < 0 || holders_[k].load(std::memory_order_acquire) != holder) return false;
  const std::size_t offset = static_cast<std::size_t>(bytes.data() - (base_ + k * slot_bytes_));
  return bytes.size() <= slot_bytes_ - offset;
}

void SharedArena::reclaim(std::uint32_t holder) noexcept {
  for (std::size_t k = 0; k < slots_; ++k) {
    std::uint32_t held = holder;
    holders_[k].compare_exchange_strong(held, 0, std::memory_order_acq_rel);
  }
}

std::size_t SharedArena::free_slots() const noexcept {
  std::size_t free = 0;
  for (std::size_t k = 0; k < slots_; ++k) free += holders_[k].load(std::memory_order_acquire) == 0 ? 1 : 0;
  return free;
}

void SharedArena::before_fork() noexcept { (void)::madvise(mapping_.get(), mapping_.size(), MADV_DOFORK); }

}  // namespace mpp::detail
