// The thread back end: persistent workers with work-stealing deques (compiled in
// src/thread_executor.cpp). The pool algorithms see only this small interface.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

#include "mpp/detail/job.hpp"
#include "mpp/detail/result_state.hpp"
#include "mpp/detail/wait.hpp"

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

  /// Whether new calls are accepted (not closed, not terminated). Throws std::logic_error in a
  /// process forked from the one that made the executor: its threads exist only in the parent.
  /// close() and terminate() do nothing there, and the destructor leaves it alone.
  bool accepting() const;
  /// Opens a call that will submit tasks over time (a map, an imap): false when not accepting.
  /// Workers stay while a call is open, even after close().
  bool open_call() noexcept;
  void close_call() noexcept;
  /// Queues a task of an open call (or of a task running on a worker). Takes the task's job
  /// reference; after terminate() the job is cancelled instead.
  void submit(Task* task) noexcept;
  /// submit() for `count` tasks at once (one lock for all of them).
  void submit_batch(Task* tasks, std::size_t count) noexcept;
  /// open_call + submit + close_call in one step: false (nothing queued) when not accepting.
  /// `caller_waits` (the caller will wait for it at once) makes no difference to threads.
  bool submit_call(Task* task, bool caller_waits = false) noexcept;

  void close() noexcept;
  void terminate() noexcept;
  bool terminated() const noexcept;
  /// Throws std::logic_error when called from a worker of this executor (it would wait for itself).
  void check_join(const char* who) const;
  /// Waits for the workers to exit. Throws std::logic_error from a worker of this executor.
  void join(const char* who);

  /// The identity waiting code compares against the calling thread's executor (see help_one).
  const void* tag() const noexcept;
  /// Threads need no driving, and callbacks run on the worker that completes the result.
  Driver* driver() noexcept { return nullptr; }
  CallbackRunner* callback_runner() noexcept { return nullptr; }
  /// What a pool destroyed from its own task or callback keeps alive with its results.
  std::shared_ptr<void> shared_state() const noexcept { return impl_; }

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace mpp::detail
