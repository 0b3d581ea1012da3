#include "process/ring.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <bit>
#include <utility>

#include "posix/syscall.hpp"

namespace mpp::detail {

Ring::Ring(std::size_t capacity, RingState* state) : state_(state), capacity_(capacity), mask_(capacity - 1) {
  MPP_ASSERT(std::has_single_bit(capacity));
  const int fd = posix::checked("memfd_create", [] { return ::memfd_create("mpp-ring", MFD_CLOEXEC); });
  try {
    posix::checked("ftruncate", [&] { return ::ftruncate(fd, static_cast<off_t>(capacity)); });
    // Reserve twice the size, then map the same pages into both halves.
    void* base =
        posix::checked_mmap("mmap", nullptr, 2 * capacity, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    data_ = static_cast<std::byte*>(base);
    for (std::size_t half = 0; half < 2; ++half) {
      posix::checked_mmap("mmap", data_ + half * capacity, capacity, PROT_READ | PROT_WRITE,
                          MAP_SHARED | MAP_FIXED, fd, 0);
    }
  } catch (...) {
    if (data_ != nullptr) ::munmap(data_, 2 * capacity);
    data_ = nullptr;
    ::close(fd);
    throw;
  }
  // The mappings keep the memory; the descriptor is not needed (and would leak into children).
  ::close(fd);
}

Ring::Ring(Ring&& other) noexcept
    : state_(std::exchange(other.state_, nullptr)),
      data_(std::exchange(other.data_, nullptr)),
      capacity_(std::exchange(other.capacity_, 0)),
      mask_(std::exchange(other.mask_, 0)) {}

Ring& Ring::operator=(Ring&& other) noexcept {
  if (this != &other) {
    unmap();
    state_ = std::exchange(other.state_, nullptr);
    data_ = std::exchange(other.data_, nullptr);
    capacity_ = std::exchange(other.capacity_, 0);
    mask_ = std::exchange(other.mask_, 0);
  }
  return *this;
}

Ring::~Ring() { unmap(); }

void Ring::unmap() noexcept {
  if (data_ != nullptr) ::munmap(data_, 2 * capacity_);
  data_ = nullptr;
}

}  // namespace mpp::detail
