// The process back end: persistent forked workers, a shared-memory channel each, and a dispatcher
// thread that feeds them chunks, collects outcomes, and supervises them (compiled in src/process/).
// The pool algorithms see the same small interface as the thread executor's.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>

#include "mpp/detail/job.hpp"
#include "mpp/detail/result_state.hpp"
#include "mpp/detail/wait.hpp"

namespace mpp::detail {

struct ProcessExecutorOptions {
  std::size_t workers = 1;
  void (*initializer)() = nullptr;
  std::size_t maxtasksperchild = 0;
  std::chrono::nanoseconds task_timeout{0};
  const char* name = "mpp::ProcessPool";
};

class ProcessExecutor {
 public:
  /// Forks the workers and waits until each ran the initializer; the first initializer exception
  /// is rethrown here (after stopping every worker).
  explicit ProcessExecutor(const ProcessExecutorOptions& options);
  ProcessExecutor(const ProcessExecutor&) = delete;
  ProcessExecutor& operator=(const ProcessExecutor&) = delete;
  /// Terminates and joins whatever still runs.
  ~ProcessExecutor();

  std::size_t size() const noexcept;
  bool accepting() const noexcept;
  bool open_call() noexcept;
  void close_call() noexcept;
  /// Queues a task; its job must have a remote() side. Takes the task's reference.
  void submit(Task* task) noexcept;
  /// submit() for `count` tasks at once (one lock for all of them).
  void submit_batch(Task* tasks, std::size_t count) noexcept;
  /// `caller_waits`: the caller waits for it at once (apply) and drives the pool itself.
  bool submit_call(Task* task, bool caller_waits = false) noexcept;
  void close() noexcept;
  /// Kills the workers and completes every unfinished task with TaskCancelled before returning.
  void terminate() noexcept;
  bool terminated() const noexcept;
  void check_join(const char* who) const;
  void join(const char* who);
  const void* tag() const noexcept { return this; }
  /// Lets a thread that waits on a result move the pool's messages itself.
  Driver* driver() noexcept;
  /// Callbacks run on the dispatcher thread.
  CallbackRunner* callback_runner() noexcept;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace mpp::detail
