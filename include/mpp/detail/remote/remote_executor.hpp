// What the pool algorithms see of a back end whose workers live elsewhere (ProcessExecutor's forked
// processes, MpiExecutor's ranks): the same small interface as the thread executor's, written once
// for both (src/remote/executor.cpp) over the state they share with their dispatcher thread (the
// host, src/remote/host.hpp), which each back end extends with its transport and supervisor.
#pragma once

#include <cstddef>
#include <memory>

#include "mpp/detail/core/result_state.hpp"
#include "mpp/detail/front/job.hpp"

namespace mpp::detail {

class RemoteHost;

/// The part of PoolExecutor (executor.hpp, which says what each member promises) that the process
/// and MPI back ends share; what differs for remote workers is noted here.
class RemoteExecutor {
 public:
  RemoteExecutor(const RemoteExecutor&) = delete;
  RemoteExecutor& operator=(const RemoteExecutor&) = delete;

  /// Workers (processes or ranks).
  std::size_t size() const noexcept;
  /// Items it runs at once (size(), or more: an MPI rank with local workers): chunks are planned
  /// for this many.
  std::size_t parallelism() const noexcept;
  /// Throws std::logic_error in a process forked from the pool's owner (one of its own workers):
  /// every pool call asks this first. close() and terminate() do nothing there (they cannot
  /// throw); the destructor leaves the owner's pool alone.
  bool accepting() const;
  bool open_call() noexcept;
  void close_call() noexcept;
  /// The task's job must have a remote() side.
  void submit(Task* task) noexcept;
  void submit_batch(Task* tasks, std::size_t count) noexcept;
  /// `caller_waits`: a back end whose callers drive it themselves leaves its dispatcher asleep.
  bool submit_call(Task* task, bool caller_waits = false) noexcept;
  void close() noexcept;
  /// Completes every unfinished task with TaskCancelled before returning; each back end says what
  /// becomes of the chunks its workers run.
  void terminate() noexcept;
  bool terminated() const noexcept;
  /// Throws std::logic_error on the dispatcher thread, where callbacks run.
  void check_join(const char* who) const;
  /// Waits until the dispatcher has sent every task and taken every outcome and callback.
  void join(const char* who);
  /// The host, which outlives the executor when destroyed from a callback.
  const void* tag() const noexcept { return host_.get(); }
  /// Callbacks run on the dispatcher thread.
  CallbackRunner* callback_runner() noexcept;
  /// The process back end's: a waiting thread moves the pool's messages itself. MPI's: none
  /// (only the dispatcher thread calls MPI for the pool).
  Driver* driver() noexcept;
  /// The process back end's: AsyncResult::cancel(Cancel::even_running) kills and replaces the
  /// worker running the call. MPI's: the rank's local worker running it is killed likewise; none
  /// where ranks run their items themselves (workers_per_rank = 0).
  RunningStopper* stopper() noexcept;
  /// A job stopped wanting its chunks (an abandoned imap): MPI ranks are told to skip those they
  /// have not started, from the calling thread, before it returns (the dispatcher would too, but
  /// later when the machine is busy); the process dispatcher is woken to mark them skipped in the
  /// workers' rings before a worker starts them behind the chunk it runs.
  void skip_unwanted() noexcept;
  /// A job changed outside the dispatcher (RemoteJob::permitted() rose): it looks soon.
  void wake() noexcept;
  /// What a pool destroyed from its own callback keeps alive with its results: waiting callers
  /// may still drive the host after the executor is gone.
  std::shared_ptr<void> shared_state() const noexcept { return host_; }

 protected:
  RemoteExecutor();
  ~RemoteExecutor();
  /// The back end's destructor calls this first: terminates and joins whatever still runs, unless
  /// join() did; from a callback, leaves the host to its dispatcher thread.
  void shutdown() noexcept;

  std::shared_ptr<RemoteHost> host_;
};

}  // namespace mpp::detail
