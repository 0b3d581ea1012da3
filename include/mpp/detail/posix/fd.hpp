// The owners of the two kinds of system resource mpp holds: a file descriptor (Fd) and a memory
// mapping (Mapping). Each closes or unmaps what it owns when destroyed, moves, and never copies.
// What they own is made through the system-call seam (src/posix/syscall.hpp), where a test can
// make the calls fail.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <utility>

namespace mpp::detail {

/// Owns one file descriptor (or none: -1).
class Fd {
 public:
  Fd() = default;
  /// Takes `fd` (-1: none).
  explicit Fd(int fd) noexcept : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  /// Gives the descriptor up without closing it.
  [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }
  /// Closes the one it owns (an error of close() is lost: use close() to see it) and takes `fd`.
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }
  /// Closes it, returning close()'s -errno (0 on success): where a failed close means lost data
  /// (a file written), the caller reports it. The descriptor is gone either way (EINTR included).
  int close() noexcept {
    if (fd_ < 0) return 0;
    const int rc = ::close(std::exchange(fd_, -1));
    return rc == 0 || errno == EINTR ? 0 : -errno;
  }

 private:
  int fd_ = -1;
};

/// Owns one mapping of `size` bytes (or none).
class Mapping {
 public:
  Mapping() = default;
  /// Takes a mapping made elsewhere (nullptr: none).
  Mapping(void* address, std::size_t size) noexcept : address_(address), size_(size) {}
  Mapping(Mapping&& other) noexcept
      : address_(std::exchange(other.address_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  Mapping& operator=(Mapping&& other) noexcept {
    if (this != &other) {
      reset();
      address_ = std::exchange(other.address_, nullptr);
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() { reset(); }

  void* get() const noexcept { return address_; }
  std::byte* bytes() const noexcept { return static_cast<std::byte*>(address_); }
  std::size_t size() const noexcept { return size_; }
  explicit operator bool() const noexcept { return address_ != nullptr; }
  void reset() noexcept {
    if (address_ != nullptr) ::munmap(address_, size_);
    address_ = nullptr;
    size_ = 0;
  }
  /// Gives the mapping up without unmapping it.
  [[nodiscard]] void* release() noexcept {
    size_ = 0;
    return std::exchange(address_, nullptr);
  }

 private:
  void* address_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace mpp::detail
