// The shared state behind an AsyncResult: readiness, the value or exception, and the callbacks.
// It is also the Job the executor runs, so a task costs one allocation.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "mpp/detail/core/config.hpp"
#include "mpp/detail/core/ref.hpp"
#include "mpp/detail/core/wait.hpp"
#include "mpp/detail/front/job.hpp"

namespace mpp::detail {

/// A live imap that still reads input. join() makes it read the rest (as Python's imap does at
/// once), so that closing and joining a pool never waits for a consumer that may never come.
class InputDrain : public Job {
 public:
  virtual void drain_input() noexcept = 0;
};

class StateBase;

/// Where a pool runs its callbacks when results may complete on other threads too (the process
/// pool: on its dispatcher thread, even when a waiting caller drove the result in).
class CallbackRunner {
 public:
  /// Takes a reference to `state` and calls its finish_posted() on the callback thread.
  virtual void post(StateBase* state) noexcept = 0;

 protected:
  ~CallbackRunner() = default;
};

/// A pool that can stop a call while it runs (ProcessPool: by killing and replacing its worker).
class RunningStopper {
 public:
  /// A job now answers RemoteJob::stop_requested(): find it among the running calls.
  virtual void stop_requested() noexcept = 0;

 protected:
  ~RunningStopper() = default;
};

/// The turn that serialises a pool's callbacks: a recursive lock (a callback may attach a callback
/// to a finished result, which runs at once in the same thread) whose holder steps aside while it
/// waits on a result, as a condition variable's wait releases its mutex: the result it waits for
/// may have callbacks of its own, which run on another thread.
class CallbackTurn {
 public:
  void lock() {
    const auto me = std::this_thread::get_id();
    if (owner_.load(std::memory_order_relaxed) == me) {
      ++depth_;
      return;
    }
    mutex_.lock();
    owner_.store(me, std::memory_order_relaxed);
    depth_ = 1;
  }
  void unlock() noexcept {
    if (--depth_ != 0) return;
    owner_.store(std::thread::id(), std::memory_order_relaxed);
    mutex_.unlock();
  }
  /// Only the holder's own thread sees its id here.
  bool held_here() const noexcept {
    return owner_.load(std::memory_order_relaxed) == std::this_thread::get_id();
  }
  /// The holder lets go of every level; take_back(the result) restores them.
  unsigned step_aside() noexcept {
    const unsigned depth = std::exchange(depth_, 0U);
    owner_.store(std::thread::id(), std::memory_order_relaxed);
    mutex_.unlock();
    return depth;
  }
  void take_back(unsigned depth) {
    mutex_.lock();
    owner_.store(std::this_thread::get_id(), std::memory_order_relaxed);
    depth_ = depth;
  }

 private:
  std::mutex mutex_;
  std::atomic<std::thread::id> owner_{};
  unsigned depth_ = 0;  // under mutex_
};

/// What the results of one pool share: the lock that serialises the pool's callbacks, the pool's
/// name for messages, how waiters may help the pool, and the live imaps.
class PoolShared : public RefCounted {
 public:
  PoolShared(const char* kind, const void* executor);

  /// Serialises every callback of the pool.
  CallbackTurn& callback_turn() noexcept { return callback_turn_; }
  const std::string& name() const noexcept { return name_; }
  WaitContext wait_context() const noexcept { return {executor_, driver_}; }
  void set_executor(const void* executor, Driver* driver, CallbackRunner* runner,
                    RunningStopper* stopper) noexcept {
    executor_ = executor;
    driver_ = driver;
    runner_ = runner;
    stopper_ = stopper;
  }
  CallbackRunner* callback_runner() const noexcept { return runner_; }
  /// nullptr: a call that runs cannot be stopped (threads, MPI ranks).
  RunningStopper* stopper() const noexcept { return stopper_; }
  /// Keeps an executor's state as long as the pool's results: a pool destroyed by its own task or
  /// callback leaves it running, and callers waiting on its results may still drive it.
  void keep_alive(std::shared_ptr<void> state) noexcept { executor_state_ = std::move(state); }

  /// In a process forked from the one that made the pool: nothing of the pool runs here, so a
  /// result not ready at the fork never will be.
  bool in_fork() const noexcept;

  /// Writes a callback's exception to standard error, naming the pool, and drops it.
  void report_callback_error(std::exception_ptr error) const noexcept;

  void add_drain(InputDrain* imap);
  void remove_drain(InputDrain* imap) noexcept;
  /// Has every registered imap read the rest of its input.
  void drain_all() noexcept;

 private:
  std::mutex drains_mutex_;
  std::vector<InputDrain*> drains_;  // under drains_mutex_
  CallbackTurn callback_turn_;
  std::string name_;
  const void* executor_;
  Driver* driver_ = nullptr;
  CallbackRunner* runner_ = nullptr;
  RunningStopper* stopper_ = nullptr;
  std::shared_ptr<void> executor_state_;
  std::uint64_t generation_;  // fork_generation() where the pool was made
};

/// One then() registration; a singly linked list hangs off the state.
class Callback {
 public:
  Callback() = default;
  Callback(const Callback&) = delete;
  Callback& operator=(const Callback&) = delete;
  virtual ~Callback() = default;
  virtual void invoke(StateBase& state) = 0;
  Callback* next = nullptr;
};

/// The untyped part of a result's state, compiled once in src/result_state.cpp.
class StateBase : public Job {
 public:
  bool ready() const noexcept { return status_.load(std::memory_order_acquire) != k_pending; }
  /// Blocks until ready; a worker of the same pool runs other tasks meanwhile.
  bool wait_until(Deadline deadline);
  bool failed() const noexcept { return error_ != nullptr; }
  const std::exception_ptr& error() const noexcept { return error_; }
  PoolShared& pool() const noexcept { return *pool_; }

  /// Runs `callback` after completion, or at once (in this thread) if already complete. Takes ownership.
  void attach(Callback* callback);

  void cancel() noexcept override;

  /// AsyncResult::cancel(): keeps the work that has not started from ever starting and, with
  /// `stop_running`, has the pool stop a call that runs where it can. True when the result is
  /// now cancelled (see each job for what that means). The default: nothing can be cancelled.
  virtual bool cancel_request(bool /*stop_running*/) { return false; }

  /// finish(), on the pool's callback thread, for a state posted there.
  void finish_posted() noexcept;

 protected:
  explicit StateBase(Ref<PoolShared> pool) noexcept : pool_(std::move(pool)) {}
  ~StateBase() override;

  /// The first caller wins the right to complete the state; everyone else must drop their outcome.
  bool claim() noexcept { return !claimed_.exchange(true, std::memory_order_acq_rel); }
  /// After claim(): store the outcome (set_error or the subclass's value), then finish().
  void set_error(std::exception_ptr error) noexcept { error_ = std::move(error); }
  void finish() noexcept;
  /// claim() + set_error + finish.
  void fail(std::exception_ptr error) noexcept;
  /// The TaskCancelled that AsyncResult::cancel() leaves as the result: "<pool>: <what>".
  std::exception_ptr cancelled_by_caller(const char* what) const noexcept;

 private:
  static constexpr std::uint32_t k_pending = 0;
  static constexpr std::uint32_t k_done = 1;
  void run_callbacks(Callback* reversed) noexcept;

  std::atomic<std::uint32_t> status_{k_pending};
  std::atomic<std::uint32_t> waiters_{0};
  std::atomic<bool> claimed_{false};
  std::atomic<Callback*> callbacks_{nullptr};
  std::exception_ptr error_;
  Ref<PoolShared> pool_;
};

/// Typed storage for the outcome.
template <class T>
class ResultState : public StateBase {
 public:
  using Result = T;
  const T& value() const noexcept { return *value_; }
  /// Moves the value out: for a move-only T, or for the one caller that owns the state (map()).
  T take() { return std::move(*value_); }
  /// For a move-only T: true for the first caller only.
  bool claim_value() noexcept { return !taken_.exchange(true, std::memory_order_acq_rel); }

 protected:
  using StateBase::StateBase;
  template <class... A>
  void set_value(A&&... args) {
    value_.emplace(std::forward<A>(args)...);
  }

 private:
  std::optional<T> value_;
  std::atomic<bool> taken_{false};
};

template <>
class ResultState<void> : public StateBase {
 public:
  using Result = void;

 protected:
  using StateBase::StateBase;
  void set_value() noexcept {}
};

}  // namespace mpp::detail
