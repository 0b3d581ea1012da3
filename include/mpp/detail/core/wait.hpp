// Blocking without losing wake-ups: a short spin (waking an idle vCPU costs tens of microseconds, a
// spin costs nothing when the answer is near), helping the pool when the waiter is one of its
// workers, then a futex sleep.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>

namespace mpp::detail {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;
inline constexpr Deadline k_no_deadline = Deadline::max();

/// now + timeout, saturating instead of overflowing for huge timeouts.
template <class Rep, class Period>
Deadline deadline_after(std::chrono::duration<Rep, Period> timeout) {
  const auto now = Clock::now();
  if (timeout <= timeout.zero()) return now;
  // Compared in floating point so that hours::max() and the like cannot overflow.
  if (std::chrono::duration<double>(timeout) >= std::chrono::duration<double>(k_no_deadline - now)) {
    return k_no_deadline;
  }
  return now + std::chrono::ceil<Clock::duration>(timeout);
}

/// poll()'s timeout for waiting from `now` until `deadline`: whole milliseconds rounded up (a
/// deadline is never woken for early), 0 once it has passed, -1 (no limit) for k_no_deadline.
inline int poll_timeout_ms(Deadline deadline, Clock::time_point now) noexcept {
  if (deadline == k_no_deadline) return -1;
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(std::max(deadline - now, Clock::duration{}));
  return static_cast<int>(std::min<long long>(left.count(), 1 << 30));
}

/// Who shares a futex word: the threads of this process, or processes mapping the same memory.
enum class FutexScope { process, shared };

/// Sleeps while `word == expected`; false when the deadline passed first. Spurious returns happen.
bool futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected, Deadline deadline,
                FutexScope scope = FutexScope::process) noexcept;
void futex_wake_all(std::atomic<std::uint32_t>& word, FutexScope scope = FutexScope::process) noexcept;
void futex_wake_one(std::atomic<std::uint32_t>& word, FutexScope scope = FutexScope::process) noexcept;
/// Wakes up to `count` sleepers.
void futex_wake_some(std::atomic<std::uint32_t>& word, std::uint32_t count,
                     FutexScope scope = FutexScope::process) noexcept;

/// How long a waiter for a result spins before it sleeps.
inline constexpr std::chrono::microseconds k_spin_time{50};

/// How long a worker with nothing to do looks for work before it sleeps. Longer than waking a
/// sleeping thread takes (20-100 us on the VMs we measure), or a caller that slept once and then
/// submits the next task just after the worker gave up settles into paying two wake-ups per task.
inline constexpr std::chrono::microseconds k_idle_spin_time{200};

void cpu_relax() noexcept;
void yield_cpu() noexcept;

/// The spinning half of a wait: cpu_relax() at first, then sched_yield() (so a spinner gives its
/// CPU to whoever has work when the machine is busy), until the limit; then the caller sleeps.
class Spin {
 public:
  explicit Spin(Clock::duration limit, Deadline deadline = k_no_deadline) noexcept
      : limit_(limit), deadline_(deadline) {
    restart();
  }
  /// Waits a moment; false once the spinning time (or the deadline) is over.
  bool again() noexcept {
    ++round_;
    if (round_ % 32 != 0) {
      cpu_relax();
      return true;
    }
    const auto now = Clock::now();  // read every 32 rounds only
    if (now >= end_) return false;
    if (now - start_ > k_polite_after) yield_cpu();
    return true;
  }
  /// Starts the spinning time again (there was something to do).
  void restart() noexcept {
    start_ = Clock::now();
    end_ = deadline_ - start_ > limit_ ? start_ + limit_ : deadline_;
  }

 private:
  // Early: on a busy machine the thread we wait for may need this very CPU (measured here: 2 us
  // brings a round trip on one shared CPU from 44 to 8 us; on an idle machine a yield is cheap).
  static constexpr auto k_polite_after = std::chrono::microseconds(2);
  Clock::duration limit_;
  Deadline deadline_;
  Clock::time_point start_{};
  Clock::time_point end_{};
  unsigned round_ = 0;
};

/// A non-owning reference to a callable, for passing predicates across a virtual call.
template <class Signature>
class FunctionRef;

template <class R, class... Args>
class FunctionRef<R(Args...)> {
 public:
  template <class F>
  FunctionRef(const F& f) noexcept  // NOLINT(google-explicit-constructor): a reference wrapper
      : object_(&f),
        call_([](const void* o, Args... args) -> R { return (*static_cast<const F*>(o))(args...); }) {}
  R operator()(Args... args) const { return call_(object_, args...); }

 private:
  const void* object_;
  R (*call_)(const void*, Args...);
};

/// What a pool's own thread can do while it waits on the pool (a worker runs a queued task, a
/// process pool's dispatcher thread in a callback moves messages), so waiting inside the pool never
/// stalls it.
class Helper {
 public:
  enum class Helped {
    nothing,  // not this pool's thread, or nothing to do now: wait as any thread would
    a_step,   // did one piece of the pool's work (ran a task): ask again
    all,      // waited until done() or the deadline, moving the pool itself
  };
  /// Called by block_until while the calling thread, which has this helper, waits on `executor`.
  virtual Helped help(const void* executor, FunctionRef<bool()> done, Deadline deadline) noexcept = 0;

 protected:
  ~Helper() = default;
};

/// Makes `helper` the calling thread's helper (nullptr: none).
void set_thread_helper(Helper* helper) noexcept;

/// When the calling thread belongs to `executor`, lets it do the pool's work (Helper::help).
/// This is how a task that waits on its own pool (a nested map) keeps the pool moving.
Helper::Helped help_pool(const void* executor, FunctionRef<bool()> done, Deadline deadline) noexcept;

/// A pool whose waiters may move its work along themselves (the process pool: a thread waiting on
/// a result drives the channels rather than handing off to the dispatcher thread and back).
class Driver {
 public:
  /// Drives the pool from the calling thread until `done()`, the deadline, or a while with nothing
  /// to do. True when done() holds. False at once when another thread drives.
  virtual bool drive(FunctionRef<bool()> done, Deadline deadline) noexcept = 0;

 protected:
  ~Driver() = default;
};

/// What a waiter may do for the pool it waits on, instead of only sleeping.
struct WaitContext {
  const void* executor = nullptr;  // its own threads help (help_pool)
  Driver* driver = nullptr;        // any thread may drive
};

/// Waits until `pred()` holds or the deadline passes (returns pred() then). The side that makes
/// pred() true must, afterwards, change `word` and wake it when `waiters` is non-zero
/// (see notify_waiters).
template <class Pred>
bool block_until(const Pred& pred, std::atomic<std::uint32_t>& word, std::atomic<std::uint32_t>& waiters,
                 const WaitContext& context, Deadline deadline) {
  if (pred()) return true;
  // Spin, helping the pool where we can.
  Spin spin(k_spin_time, deadline);
  do {
    if (pred()) return true;
    const Helper::Helped helped = help_pool(context.executor, FunctionRef<bool()>(pred), deadline);
    if (helped == Helper::Helped::all) return pred();
    if (helped == Helper::Helped::a_step) continue;
    if (context.driver != nullptr && context.driver->drive(FunctionRef<bool()>(pred), deadline)) return true;
  } while (spin.again());
  // seq_cst on `waiters` and `word` pairs with notify_waiters: either the notifier sees us waiting,
  // or we see what it published before sleeping.
  waiters.fetch_add(1, std::memory_order_seq_cst);
  bool satisfied = true;
  for (;;) {
    const std::uint32_t seen = word.load(std::memory_order_seq_cst);
    if (pred()) break;
    if (!futex_wait(word, seen, deadline)) {
      satisfied = pred();
      break;
    }
  }
  waiters.fetch_sub(1, std::memory_order_seq_cst);
  return satisfied;
}

/// The other half of block_until: call after making the predicate true.
inline void notify_waiters(std::atomic<std::uint32_t>& word, std::atomic<std::uint32_t>& waiters) noexcept {
  word.fetch_add(1, std::memory_order_seq_cst);
  if (waiters.load(std::memory_order_seq_cst) != 0) futex_wake_all(word);
}

}  // namespace mpp::detail
