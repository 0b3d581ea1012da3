// Synchronisation across processes, as Python's multiprocessing.Lock: a lock that processes share,
// whatever started them, and that a holder's death never leaves locked.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "mpp/detail/core/wait.hpp"
#include "mpp/shared_memory.hpp"

namespace mpp {

/// A mutual-exclusion lock shared by processes: a robust, process-shared mutex in a SharedMemory
/// segment of its own. Copies are handles to the same lock. It reaches a child as a captured copy
/// (fork) or as an argument of an mpp::Process or a ProcessPool task (every start method: it
/// crosses as its segment's name, and the child attaches; the name lives as long as the Lock that
/// made it, in the process that made it). Not recursive: acquiring it again in the thread that
/// holds it, or releasing it where it is not held, is std::system_error (EDEADLK, EPERM).
///
/// A holder that dies (killed, crashed, _exit) releases the lock: the next acquire throws
/// mpp::LockOwnerDied, leaving the lock free and usable; acquire again, check and repair what it
/// guards, release. Only that acquire is told.
///
/// Lockable for std::lock_guard, std::unique_lock and std::scoped_lock (lock, try_lock, unlock,
/// try_lock_for, try_lock_until). Thread-safe.
class Lock {
 public:
  /// A new lock, unlocked.
  Lock();

  /// Blocks until this thread holds the lock.
  void acquire();
  /// Waits at most `timeout` (Python's acquire(timeout=...)); false when it did not get it.
  template <class Rep, class Period>
  bool acquire(std::chrono::duration<Rep, Period> timeout) {
    return acquire_until(detail::deadline_after(timeout));
  }
  /// Releases the lock this thread holds.
  void release();

  void lock() { acquire(); }
  bool try_lock() { return acquire_until(detail::Clock::now()); }
  void unlock() { release(); }
  template <class Rep, class Period>
  bool try_lock_for(std::chrono::duration<Rep, Period> timeout) {
    return acquire(timeout);
  }
  template <class Clock, class Duration>
  bool try_lock_until(std::chrono::time_point<Clock, Duration> until) {
    return acquire(until - Clock::now());
  }

  /// The segment's name: what crosses to a child.
  [[nodiscard]] const std::string& name() const noexcept { return memory_->name(); }

  // cereal: a lock crosses as its name; the receiving side attaches.
  template <class Archive>
  void save(Archive& archive) const {
    archive(name());
  }
  template <class Archive>
  void load(Archive& archive) {
    std::string name;
    archive(name);
    attach(name);
  }

 private:
  bool acquire_until(detail::Deadline deadline);
  void attach(const std::string& name);

  std::shared_ptr<SharedMemory> memory_;
};

}  // namespace mpp
