// An object in MAP_SHARED pages that a pool's workers share with it: forked workers inherit the
// mapping; spawned ones map the same memfd.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <new>

#include "mpp/detail/posix/fd.hpp"
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
      fd_.reset(posix::checked("memfd_create", [] { return ::memfd_create("mpp-shared", MFD_CLOEXEC); }));
      posix::checked("ftruncate", [&] { return ::ftruncate(fd_.get(), static_cast<off_t>(bytes_)); });
    }
    mapping_ =
        Mapping(posix::checked_mmap("mmap", nullptr, bytes_, PROT_READ | PROT_WRITE,
                                    exportable ? MAP_SHARED : MAP_SHARED | MAP_ANONYMOUS, fd_.get(), 0),
                bytes_);
    object_ = new (mapping_.get()) T();
  }
  SharedObject(const SharedObject&) = delete;
  SharedObject& operator=(const SharedObject&) = delete;
  ~SharedObject() { object_->~T(); }  // then mapping_ unmaps, fd_ closes
  T* get() const noexcept { return object_; }
  int fd() const noexcept { return fd_.get(); }
  void close_fd() noexcept { fd_.reset(); }

  /// Replaces the pages with private zeroed ones at the same address (T must be valid all
  /// zeroes): shared with no process any more, yet still there for a late access from this one.
  /// Best effort: if it fails, the pages stay shared (and still there), which is what they were.
  void unshare() noexcept {
    try {
      (void)posix::checked_mmap("mmap unshare", object_, bytes_, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    } catch (...) {
    }
  }

 private:
  std::size_t bytes_ = 0;
  Fd fd_;
  Mapping mapping_;
  T* object_ = nullptr;
};

}  // namespace mpp::detail
