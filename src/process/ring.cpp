#include "process/ring.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <bit>
#include <utility>

#include "posix/syscall.hpp"

namespace mpp::detail {

Ring::Ring(std::size_t capacity, RingState* state, bool keep_fd)
    : state_(state), capacity_(capacity), mask_(capacity - 1) {
  MPP_ASSERT(std::has_single_bit(capacity));
  Fd fd(posix::checked("memfd_create", [] { return ::memfd_create("mpp-ring", MFD_CLOEXEC); }));
  posix::checked("ftruncate", [&] { return ::ftruncate(fd.get(), static_cast<off_t>(capacity)); });
  map(fd.get());
  // The mappings keep the memory; the descriptor is only needed to pass the ring on (and would
  // leak into forked children otherwise).
  if (keep_fd) fd_ = std::move(fd);
}

Ring Ring::attach(int fd, std::size_t capacity, RingState* state) {
  MPP_ASSERT(std::has_single_bit(capacity));
  Ring ring;
  ring.state_ = state;
  ring.capacity_ = capacity;
  ring.mask_ = capacity - 1;
  ring.map(fd);
  return ring;
}

void Ring::map(int fd) {
  // Reserve twice the size, then map the same pages into both halves.
  Mapping both(
      posix::checked_mmap("mmap", nullptr, 2 * capacity_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
      2 * capacity_);
  for (std::size_t half = 0; half < 2; ++half) {
    posix::checked_mmap("mmap", both.bytes() + half * capacity_, capacity_, PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_FIXED, fd, 0);
  }
  mapping_ = std::move(both);
}

}  // namespace mpp::detail
