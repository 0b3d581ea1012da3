// Synchronisation across processes, as Python's multiprocessing: Lock, RLock, Semaphore,
// BoundedSemaphore, Event, Condition and Barrier, shared by processes whatever started them. A
// process that dies holding a lock never leaves it locked, and a Barrier party that dies while it
// waits breaks the barrier for the others: neither is a hang.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

#include "mpp/detail/core/decode_tag.hpp"
#include "mpp/detail/core/wait.hpp"
#include "mpp/detail/process/sync_handle.hpp"

// Every primitive below is a handle: copies share one primitive, which lives in a SharedMemory
// segment of its own. It reaches a child as a captured copy (fork) or as an argument of an
// mpp::Process or a ProcessPool task (every start method: it crosses as the segment's name, and
// the child attaches). The name lives as long as the handle that made it, in the process that made
// it: make the primitive before the processes that use it and keep it until they are done. Every
// member is thread-safe; every wait takes an optional timeout (any std::chrono::duration).

namespace mpp {

namespace detail {

/// The acquiring members of Lock and RLock, written once over the lock's acquire_until(deadline):
/// Python's acquire() and acquire(timeout), and what std::lock_guard, std::unique_lock and
/// std::scoped_lock use.
template <class Derived>
class LockMembers {
 public:
  /// Blocks until this thread holds the lock.
  void acquire() { (void)self().acquire_until(k_no_deadline); }
  /// Waits at most `timeout` (Python's acquire(timeout=...)); false when it did not get it.
  template <class Rep, class Period>
  bool acquire(std::chrono::duration<Rep, Period> timeout) {
    return self().acquire_until(deadline_after(timeout));
  }
  void lock() { acquire(); }
  bool try_lock() { return self().acquire_until(Clock::now()); }
  void unlock() { self().release(); }
  template <class Rep, class Period>
  bool try_lock_for(std::chrono::duration<Rep, Period> timeout) {
    return acquire(timeout);
  }
  template <class C, class Duration>
  bool try_lock_until(std::chrono::time_point<C, Duration> until) {
    return acquire(until - C::now());
  }

 private:
  Derived& self() noexcept { return static_cast<Derived&>(*this); }
};

}  // namespace detail

/// A mutual-exclusion lock shared by processes (Python's multiprocessing.Lock): a robust,
/// process-shared mutex. Not recursive: acquiring it again in the thread that holds it, or
/// releasing it where it is not held, is std::system_error (EDEADLK, EPERM).
///
/// A holder that dies (killed, crashed, _exit) releases the lock: the next acquire throws
/// mpp::LockOwnerDied, leaving the lock free and usable; acquire again, check and repair what it
/// guards, release. Only that acquire is told.
///
/// Lockable for std::lock_guard, std::unique_lock and std::scoped_lock (lock, try_lock, unlock,
/// try_lock_for, try_lock_until).
class Lock : public detail::SyncHandle, public detail::LockMembers<Lock> {
 public:
  /// A new lock, unlocked.
  Lock();
  explicit Lock(detail::DecodeTag) noexcept : SyncHandle(detail::SyncKind::lock) {}

  /// Releases the lock this thread holds.
  void release();

 private:
  friend class Condition;
  friend class detail::LockMembers<Lock>;
  bool acquire_until(detail::Deadline deadline);
  // For Condition: whether this thread holds it; let go of it, and take it back.
  [[nodiscard]] bool held();
  std::uint32_t release_all();
  void reacquire(std::uint32_t depth);
};

/// A recursive lock shared by processes (Python's multiprocessing.RLock): the thread that holds it
/// may acquire it again, and must release it as many times. Releasing it where it is not held is
/// std::system_error (EPERM). A holder that dies is told as for mpp::Lock (mpp::LockOwnerDied; the
/// lock is free, whatever depth the dead holder had). Lockable as mpp::Lock.
class RLock : public detail::SyncHandle, public detail::LockMembers<RLock> {
 public:
  /// A new lock, unlocked.
  RLock();
  explicit RLock(detail::DecodeTag) noexcept : SyncHandle(detail::SyncKind::rlock) {}

  void release();

 private:
  friend class Condition;
  friend class detail::LockMembers<RLock>;
  bool acquire_until(detail::Deadline deadline);
  // For Condition: whether this thread holds it; let go of every level, and take them back.
  [[nodiscard]] bool held();
  std::uint32_t release_all();
  void reacquire(std::uint32_t depth);
};

/// A counter shared by processes (Python's multiprocessing.Semaphore): acquire takes one, waiting
/// while it is zero; release gives one back. It has no owner: a process that dies after acquiring
/// does not give its count back (as POSIX and Python semaphores), so waits on a semaphore whose
/// users may die should have a timeout.
class Semaphore : public detail::SyncHandle {
 public:
  /// A semaphore with `value` available (Python's default is 1).
  explicit Semaphore(std::uint32_t value = 1);
  explicit Semaphore(detail::DecodeTag) noexcept : SyncHandle(detail::SyncKind::semaphore) {}

  /// Blocks until it takes one.
  void acquire();
  /// Waits at most `timeout`; false when it took none.
  template <class Rep, class Period>
  bool acquire(std::chrono::duration<Rep, Period> timeout) {
    return acquire_until(detail::deadline_after(timeout));
  }
  /// Gives `n` back, waking as many waiters.
  void release(std::uint32_t n = 1);
  /// What is available now (a snapshot).
  [[nodiscard]] std::uint32_t get_value() const noexcept;

  // As std::counting_semaphore.
  bool try_acquire() { return acquire_until(detail::Clock::now()); }
  template <class Rep, class Period>
  bool try_acquire_for(std::chrono::duration<Rep, Period> timeout) {
    return acquire(timeout);
  }
  template <class Clock, class Duration>
  bool try_acquire_until(std::chrono::time_point<Clock, Duration> until) {
    return acquire(until - Clock::now());
  }

 protected:
  Semaphore(detail::SyncKind kind, std::uint32_t value, std::uint32_t bound);
  explicit Semaphore(detail::SyncKind kind) noexcept : SyncHandle(kind) {}

 private:
  bool acquire_until(detail::Deadline deadline);
};

/// A Semaphore that may not rise above its initial value (Python's BoundedSemaphore): a release
/// that would is std::system_error (std::errc::value_too_large) and changes nothing.
class BoundedSemaphore : public Semaphore {
 public:
  explicit BoundedSemaphore(std::uint32_t value = 1);
  explicit BoundedSemaphore(detail::DecodeTag) noexcept : Semaphore(detail::SyncKind::bounded_semaphore) {}
};

/// A flag shared by processes (Python's multiprocessing.Event): wait blocks until it is set.
class Event : public detail::SyncHandle {
 public:
  /// A new event, not set.
  Event();
  explicit Event(detail::DecodeTag) noexcept : SyncHandle(detail::SyncKind::event) {}

  /// Sets the flag and wakes every waiter.
  void set();
  /// Clears the flag.
  void clear() noexcept;
  [[nodiscard]] bool is_set() const noexcept;
  /// Blocks until the flag is set.
  void wait();
  /// Waits at most `timeout`; whether the flag is set (Python's wait(timeout)).
  template <class Rep, class Period>
  bool wait(std::chrono::duration<Rep, Period> timeout) {
    return wait_until(detail::deadline_after(timeout));
  }

 private:
  bool wait_until(detail::Deadline deadline);
};

/// A condition variable shared by processes (Python's multiprocessing.Condition), over a Lock or
/// an RLock (its own RLock by default). Lockable through that lock. wait() releases the lock,
/// sleeps until notified, and takes the lock back, every level of an RLock included; call wait and
/// notify holding the lock. As std::condition_variable, a wait may also return without a notify:
/// wait for a state with wait_for(predicate).
///
/// A process that dies holding the lock: the wait that takes the lock back throws
/// mpp::LockOwnerDied holding it (unlike Lock::acquire, since its caller holds the lock by
/// contract before and after), so a std::unique_lock around it releases it as usual.
class Condition : public detail::SyncHandle {
 public:
  /// A condition over a new RLock.
  Condition();
  explicit Condition(Lock lock);
  explicit Condition(RLock lock);
  explicit Condition(detail::DecodeTag) noexcept;

  void acquire();
  template <class Rep, class Period>
  bool acquire(std::chrono::duration<Rep, Period> timeout) {
    return std::visit([&](auto& lock) { return lock.acquire(timeout); }, lock_);
  }
  void release();
  void lock() { acquire(); }
  bool try_lock() { return acquire(std::chrono::seconds(0)); }
  void unlock() { release(); }

  /// Releases the lock, sleeps until notified, takes the lock back.
  void wait() { (void)wait_until(detail::k_no_deadline); }
  /// As wait(), for at most `timeout`; false when it timed out (the lock is held again either way).
  template <class Rep, class Period>
  bool wait(std::chrono::duration<Rep, Period> timeout) {
    return wait_until(detail::deadline_after(timeout));
  }
  /// Waits until `predicate()` is true (checked first, and after each wake-up, holding the lock).
  template <class Predicate>
  void wait_for(Predicate predicate) {
    while (!predicate()) wait();
  }
  /// As wait_for(predicate), for at most `timeout`; the predicate's last value.
  template <class Predicate, class Rep, class Period>
  bool wait_for(Predicate predicate, std::chrono::duration<Rep, Period> timeout) {
    const detail::Deadline deadline = detail::deadline_after(timeout);
    while (!predicate()) {
      if (!wait_until(deadline)) return predicate();
    }
    return true;
  }
  /// Wakes up to `n` waiters.
  void notify(std::uint32_t n = 1);
  void notify_all();

  template <class Archive>
  void save(Archive& archive) const {
    archive(name(), static_cast<std::uint32_t>(lock_.index()), lock_name());
  }
  template <class Archive>
  void load(Archive& archive) {
    std::string name;
    std::string lock_name;
    std::uint32_t kind = 0;
    archive(name, kind, lock_name);
    attach_with_lock(name, kind, lock_name);
  }

 private:
  bool wait_until(detail::Deadline deadline);
  [[nodiscard]] const std::string& lock_name() const;
  void attach_with_lock(const std::string& name, std::uint32_t kind, const std::string& lock_name);

  std::variant<Lock, RLock> lock_;
};

/// A barrier shared by processes (Python's multiprocessing.Barrier): wait blocks until `parties`
/// processes (or threads) wait, then all go on. Reusable. It breaks, and every wait on it throws
/// mpp::BrokenBarrierError until reset(), when a wait times out, when abort() is called, or when a
/// party dies while it waits (seen within 50 ms). A party that dies before it reaches the barrier
/// looks like a slow one: give waits a timeout where that can happen. No `action` (Python's runs
/// a callable in one party first): let the party whose wait returned 0 do it.
class Barrier : public detail::SyncHandle {
 public:
  explicit Barrier(std::uint32_t parties);
  explicit Barrier(detail::DecodeTag) noexcept : SyncHandle(detail::SyncKind::barrier) {}

  /// Waits for the other parties; this party's arrival index, 0 to parties() - 1, each once.
  std::uint32_t wait() { return wait_until(detail::k_no_deadline); }
  /// As wait(), for at most `timeout`; a timeout breaks the barrier and throws BrokenBarrierError.
  template <class Rep, class Period>
  std::uint32_t wait(std::chrono::duration<Rep, Period> timeout) {
    return wait_until(detail::deadline_after(timeout));
  }
  /// Breaks the barrier: current and future waits throw BrokenBarrierError until reset().
  void abort();
  /// Makes a broken barrier usable again; waits in progress throw BrokenBarrierError.
  void reset();

  [[nodiscard]] std::uint32_t parties() const noexcept;
  /// How many parties wait now.
  [[nodiscard]] std::uint32_t n_waiting() const noexcept;
  [[nodiscard]] bool broken() const noexcept;

 private:
  std::uint32_t wait_until(detail::Deadline deadline);
};

}  // namespace mpp
