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
  const int fd = posix::checked("memfd_create", [] { return ::memfd_create("mpp-ring", MFD_CLOEXEC); });
  try {
    posix::checked("ftruncate", [&] { return ::ftruncate(fd, static_cast<off_t>(capacity)); });
    map(fd);
  } catch (...) {
    ::close(fd);
    throw;
  }
  // The mappings keep the memory; the descriptor is only needed to pass the ring on (and would
  // leak into forked children otherwise).
  if (keep_fd) {
    fd_ = fd;
  } else {
    ::close(fd);
  }
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
  void* base =
      posix::checked_mmap("mmap", nullptr, 2 * capacity_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  data_ = static_cast<std::byte*>(base);
  try {
    for (std::size_t half = 0; half < 2; ++half) {
      posix::checked_mmap("mmap", data_ + half * capacity_, capacity_, PROT_READ | PROT_WRITE,
                          MAP_SHARED | MAP_FIXED, fd, 0);
    }
  } catch (...) {
    ::munmap(data_, 2 * capacity_);
    data_ = nullptr;
    throw;
  }
}

Ring::Ring(Ring&& other) noexcept
    : state_(std::exchange(other.state_, nullptr)),
      data_(std::exchange(other.data_, nullptr)),
      capacity_(std::exchange(other.capacity_, 0)),
      mask_(std::exchange(other.mask_, 0)),
      fd_(std::exchange(other.fd_, -1)) {}

Ring& Ring::operator=(Ring&& other) noexcept {
  if (this != &other) {
    unmap();
    close_fd();
    state_ = std::exchange(other.state_, nullptr);
    data_ = std::exchange(other.data_, nullptr);
    capacity_ = std::exchange(other.capacity_, 0);
    mask_ = std::exchange(other.mask_, 0);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

Ring::~Ring() {
  unmap();
  close_fd();
}

void Ring::close_fd() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void Ring::unmap() noexcept {
  if (data_ != nullptr) ::munmap(data_, 2 * capacity_);
  data_ = nullptr;
}

}  // namespace mpp::detail
