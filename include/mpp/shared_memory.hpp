// mpp::SharedMemory: a named block of memory that processes share, as Python's
// multiprocessing.shared_memory.SharedMemory. Any process that knows the name can attach to it,
// whatever started it (fork, spawn, forkserver, mpirun on the same machine).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "mpp/detail/posix/fd.hpp"

namespace mpp {

/// A POSIX shared memory segment (/dev/shm), mapped read-write.
///
/// Lifetime: the SharedMemory that created a segment owns its name, and its destructor unlinks it
/// (unless unlink() or keep_name() was called); attached ones never unlink. Unlinking removes the
/// name only: every process that has the segment mapped keeps it until it unmaps it. A copy of the
/// creator in a forked child (captured by an mpp::Process target, say) is not the creator: only
/// the process that created the segment unlinks it. A creator killed before its destructor runs
/// leaves the name in /dev/shm until someone unlinks it (`SharedMemory::attach(name).unlink()`).
///
/// Thread safety: the object is not (move it, don't share it); the memory is what you make of it.
class SharedMemory {
 public:
  /// A new segment of `size` bytes (at least 1), zero-filled, under a fresh name
  /// ("mpp-<pid>-<n>-<random>"), readable and writable by its owner only.
  explicit SharedMemory(std::size_t size);
  /// A new segment named `name` ("data" or "/data": one component, at most 250 characters),
  /// created exclusively: an existing segment of that name is never attached to, but refused with
  /// std::system_error (std::errc::file_exists). `mode` is its permission bits exactly (the umask
  /// does not apply); the default lets only its owner attach.
  static SharedMemory create(std::string_view name, std::size_t size, mode_t mode = 0600);
  /// The existing segment named `name`, all of it. std::system_error when there is none
  /// (std::errc::no_such_file_or_directory) or this user may not open it (permission_denied).
  static SharedMemory attach(std::string_view name);

  SharedMemory(SharedMemory&& other) noexcept;
  SharedMemory& operator=(SharedMemory&& other) noexcept;
  SharedMemory(const SharedMemory&) = delete;
  SharedMemory& operator=(const SharedMemory&) = delete;
  /// Unmaps it; a creator also unlinks the name (see the class comment).
  ~SharedMemory();

  /// The name, as attach() takes it (without a leading '/').
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] std::size_t size() const noexcept { return mapping_.size(); }
  [[nodiscard]] std::byte* data() noexcept { return static_cast<std::byte*>(mapping_.get()); }
  [[nodiscard]] const std::byte* data() const noexcept {
    return static_cast<const std::byte*>(mapping_.get());
  }
  [[nodiscard]] std::span<std::byte> bytes() noexcept { return {data(), size()}; }

  /// Removes the name now: no process can attach any more. Mappings stay valid. Does nothing when
  /// the name is gone already (unlinked by this object, or by another process).
  void unlink();
  /// This creator will not unlink the name: the segment outlives it, until someone unlinks it.
  void keep_name() noexcept { owner_pid_ = 0; }

 private:
  SharedMemory(std::string name, detail::Mapping mapping, pid_t owner_pid) noexcept;

  std::string name_;
  detail::Mapping mapping_;
  pid_t owner_pid_ = 0;  // the creating process, which unlinks; 0: no one does
};

}  // namespace mpp
