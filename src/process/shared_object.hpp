// An object in MAP_SHARED pages that a pool's workers share with it: forked workers inherit the
// mapping; spawned ones map the same memfd.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <new>

#include "posix/syscall.hpp"

namespace mpp::detail {

// An object in its own MAP_SHARED pages, which forked workers share. `exportable`: the pages are
// a memfd's, kept open (close-on-exec) as fd() so that a spawned worker can map them too.
template <class T>
class SharedObject {
 public:
  explicit SharedObject(bool exportable = false) {
    const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    bytes_ = (sizeof(T) + page - 1) / page * page;
    if (exportable) {
      fd_ = posix::checked("memfd_create", [] { return ::memfd_create("mpp-shared", MFD_CLOEXEC); });
    }
    void* memory = nullptr;
    try {
      if (exportable)
        posix::checked("ftruncate", [&] { return ::ftruncate(fd_, static_cast<off_t>(bytes_)); });
      memory = posix::checked_mmap("mmap", nullptr, bytes_, PROT_READ | PROT_WRITE,
                                   exportable ? MAP_SHARED : MAP_SHARED | MAP_ANONYMOUS, fd_, 0);
    } catch (...) {
      close_fd();
      throw;
    }
    object_ = new (memory) T();
  }
  SharedObject(const SharedObject&) = delete;
  SharedObject& operator=(const SharedObject&) = delete;
  ~SharedObject() {
    object_->~T();
    ::munmap(object_, bytes_);
    close_fd();
  }
  T* get() const noexcept { return object_; }
  int fd() const noexcept { return fd_; }
  void close_fd() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  /// Replaces the pages with private zeroed ones at the same address (T must be valid all
  /// zeroes): shared with no process any more, yet still there for a late access from this one.
  void unshare() noexcept {
    ::mmap(object_, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  }

 private:
  T* object_ = nullptr;
  std::size_t bytes_ = 0;
  int fd_ = -1;
};

}  // namespace mpp::detail
