// The thread back end: persistent workers with work-stealing deques (compiled in
// src/thread_executor.cpp). It satisfies PoolExecutor (executor.hpp), which says what each member
// promises; only what is particular to threads is noted here.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

#include "mpp/detail/core/result_state.hpp"
#include "mpp/detail/core/wait.hpp"
#include "mpp/detail/front/job.hpp"

namespace mpp::detail {

class ThreadExecutor {
 public:
  /// Starts `workers` threads, runs `initializer` once in each and waits for them; an initializer's
  /// exception stops the workers and is rethrown here.
  ThreadExecutor(std::size_t workers, const std::function<void()>& initializer);
  ThreadExecutor(const ThreadExecutor&) = delete;
  ThreadExecutor& operator=(const ThreadExecutor&) = delete;
  /// Terminates and joins whatever is still running (the pool closes and joins first). From one of
  /// its own workers (a task or callback destroying its pool) it closes instead and returns at
  /// once: the work already submitted still runs, and the workers free the rest when they end.
  ~ThreadExecutor();

  std::size_t size() const noexcept;
  /// Throws std::logic_error in a process forked from the one that made the executor: its threads
  /// exist only in the parent. close() and terminate() do nothing there, and the destructor
  /// leaves it alone.
  bool accepting() const;
  bool open_call() noexcept;
  void close_call() noexcept;
  /// A task submitted from one of the workers goes to that worker's own deque.
  void submit(Task* task) noexcept;
  void submit_batch(Task* tasks, std::size_t count) noexcept;
  /// `caller_waits` makes no difference to threads.
  bool submit_call(Task* task, bool caller_waits = false) noexcept;
  void close() noexcept;
  /// A task already running on a thread finishes; its result is discarded.
  void terminate() noexcept;
  bool terminated() const noexcept;
  /// Throw std::logic_error when called from a worker of this executor.
  void check_join(const char* who) const;
  void join(const char* who);
  const void* tag() const noexcept;
  /// Threads need no driving, and callbacks run on the worker that completes the result.
  Driver* driver() noexcept { return nullptr; }
  /// A thread cannot be stopped: a call that runs finishes.
  RunningStopper* stopper() noexcept { return nullptr; }
  CallbackRunner* callback_runner() noexcept { return nullptr; }
  /// What a pool destroyed from its own task or callback keeps alive with its results.
  std::shared_ptr<void> shared_state() const noexcept { return impl_; }

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace mpp::detail
