// The contract between the pool algorithms (pool_front.hpp and the jobs they make) and a back end's
// executor: what the threads (ThreadExecutor), the worker processes (ProcessExecutor) and the MPI
// ranks (MpiExecutor) each provide. The pool algorithms use nothing else of a back end.
#pragma once

#include <concepts>
#include <cstddef>
#include <memory>

#include "mpp/detail/core/result_state.hpp"
#include "mpp/detail/core/wait.hpp"
#include "mpp/detail/front/job.hpp"

namespace mpp::detail {

/// An executor runs the Tasks of Jobs (job.hpp) on its workers. Member by member:
/// - `size()`: its workers (threads, processes, ranks).
/// - `accepting()`: whether new calls are accepted (not closed, not terminated). May throw
///   std::logic_error where the executor cannot be used at all (a process pool's copy in one of
///   its own forked workers): every pool call asks it first.
/// - `open_call()` / `close_call()`: a call that submits tasks over time (a map, an imap) holds the
///   executor open meanwhile, even past close(); open_call() is false when not accepting.
/// - `submit(task)`, `submit_batch(tasks, n)`: queue tasks of an open call, or of a task running
///   on a worker. Each takes its task's job reference; after terminate() the job is cancelled
///   instead (never lost).
/// - `submit_call(task, caller_waits)`: open_call + submit + close_call in one step; false
///   (nothing queued) when not accepting. `caller_waits`: the caller waits for the result at
///   once (a back end whose callers drive it need not wake its own thread).
/// - `close()`: no new calls; what is queued still runs. `terminate()`: no new calls, and every
///   unfinished task completes with TaskCancelled before it returns (what becomes of a task
///   already running is the back end's: a thread finishes it, a process is killed).
///   `terminated()` says which.
/// - `check_join(who)`, `join(who)`: join() waits until the workers have ended (after close() or
///   terminate()); both throw std::logic_error where waiting would wait for itself (a worker, a
///   callback thread of this executor).
/// - `tag()`: the identity a waiting thread compares with its own executor (help_pool in wait.hpp).
///   It stays unique while anything may still ask (not reused by a later executor).
/// - `driver()`: a Driver when threads waiting on a result may move the work along themselves
///   (process pools), else nullptr. `callback_runner()`: where callbacks of results completed
///   elsewhere run (nullptr: on the thread that completes the result). `stopper()`: a
///   RunningStopper when a call that runs can be stopped (AsyncResult::cancel), else nullptr.
/// - `shared_state()`: what a pool destroyed by its own task or callback keeps alive with its
///   results, so that work already submitted can finish.
/// Destroying an executor terminates and joins what still runs, unless join() did; from one of
/// its own threads it closes instead and returns at once.
template <class E>
concept PoolExecutor = requires(E& e, const E& ce, Task* task, std::size_t count, bool flag,
                                const char* who) {
  { ce.size() }
  noexcept->std::same_as<std::size_t>;
  { ce.accepting() } -> std::same_as<bool>;
  { e.open_call() }
  noexcept->std::same_as<bool>;
  { e.close_call() }
  noexcept;
  { e.submit(task) }
  noexcept;
  { e.submit_batch(task, count) }
  noexcept;
  { e.submit_call(task, flag) }
  noexcept->std::same_as<bool>;
  { e.close() }
  noexcept;
  { e.terminate() }
  noexcept;
  { ce.terminated() }
  noexcept->std::same_as<bool>;
  ce.check_join(who);
  e.join(who);
  { ce.tag() }
  noexcept->std::same_as<const void*>;
  { e.driver() }
  noexcept->std::same_as<Driver*>;
  { e.callback_runner() }
  noexcept->std::same_as<CallbackRunner*>;
  { e.stopper() }
  noexcept->std::same_as<RunningStopper*>;
  { ce.shared_state() }
  noexcept->std::same_as<std::shared_ptr<void>>;
};

}  // namespace mpp::detail
