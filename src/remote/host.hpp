// The state of a remote executor (include/mpp/detail/remote/remote_executor.hpp, whose members in
// executor.cpp work on it), shared by ProcessExecutor and MpiExecutor with their dispatcher thread:
// the queue that calls submit to, open calls, the close and terminate flags, the callbacks posted
// to the dispatcher thread, and the dispatcher thread's loop (dispatch()). Each back end derives its Impl
// from RemoteHost and supplies the loop's steps (DispatchLoop): in a round it takes the queue
// (take_incoming), moves its transport, watches its workers and feeds them (remote/scheduling.hpp); on
// terminate it stops its workers and calls cancel_queued().
#pragma once

#include <atomic>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/fork_generation.hpp"
#include "mpp/detail/core/config.hpp"
#include "mpp/detail/core/result_state.hpp"
#include "mpp/detail/core/throw.hpp"
#include "mpp/detail/core/wait.hpp"
#include "mpp/detail/front/job.hpp"
#include "posix/thread.hpp"

namespace mpp::detail {

inline void release_task(Task* task) noexcept {
  const bool owned = task->owned_by_executor;  // read first: the task may live inside its job
  task->job->release();
  if (owned) delete task;
}

inline void cancel_task(Task* task) noexcept {
  task->job->cancel();
  release_task(task);
}

// A struct in all but name: each back end's Impl and executor use its parts directly.
class RemoteHost : public CallbackRunner {
 public:
  /// `workers`: the executor's size(). The host is the executor's tag(): it may outlive the
  /// executor (see shutdown), and a later executor at the same address must not look like it.
  explicit RemoteHost(std::size_t size) noexcept
      : tag(this), workers(size), slots(size), generation(fork_generation()) {}
  RemoteHost(const RemoteHost&) = delete;
  RemoteHost& operator=(const RemoteHost&) = delete;
  virtual ~RemoteHost() = default;

  const void* const tag;
  const std::size_t workers;
  /// Items it runs at once, for planning chunks (an MPI rank with local workers runs several); set
  /// before the dispatcher thread starts.
  std::size_t slots;
  const std::uint64_t generation;  // fork_generation() in the process that made it
  posix::Thread thread;            // the dispatcher (it forks the workers: their stack is its)

  /// In a process forked from the one that made the host (a worker's copy of its pool): nothing
  /// of it works here (its dispatcher thread and rings are the parent's), and nothing may be
  /// touched. The executor refuses every call.
  bool in_fork() const noexcept { return fork_generation() != generation; }
  /// "mpp::ProcessPool": names the pool in messages.
  virtual const char* name() const noexcept { return "mpp pool"; }

  /// No new calls; what is queued still runs.
  void close() noexcept {
    {
      std::lock_guard lock(mutex);
      closed.store(true, std::memory_order_seq_cst);
    }
    wake_dispatcher();
  }

  // --- CallbackRunner: callbacks run on the dispatcher thread only, between rounds -------------
  // (run_posted), never inside one: a callback that waits on the pool runs rounds itself
  // (wait_in_callback), and a round must not be re-entered halfway through reading a worker.

  bool here() const noexcept { return t_dispatcher == tag; }

  void post(StateBase* state) noexcept override {
    try {
      std::lock_guard lock(posted_mutex);
      posted.push_back(state);
    } catch (...) {  // out of memory: run the callbacks here rather than lose them
      state->finish_posted();
      state->release();
      return;
    }
    posted_count.fetch_add(1, std::memory_order_seq_cst);
    wake_for_callbacks();
  }

  // --- what the back end supplies -----------------------------------------------------------

  /// New work, a closed call, close() or join(): the dispatcher must look, if it sleeps.
  virtual void wake_dispatcher() noexcept = 0;
  /// A callback was posted.
  virtual void wake_for_callbacks() noexcept { wake_dispatcher(); }
  /// terminate() waits: wake the dispatcher even if it is not marked asleep yet.
  virtual void wake_for_terminate() noexcept { wake_dispatcher(); }
  /// Whether a caller that waits at once moves the pool itself (then submit_call lets it).
  virtual bool callers_drive() const noexcept { return false; }
  /// On the dispatcher thread: stops the workers' chunks and completes every task (cancel_queued).
  virtual void do_terminate() noexcept = 0;
  /// The dispatcher thread has been joined: release what only it used (join() leaks nothing).
  virtual void on_joined() noexcept {}
  /// PoolExecutor's driver() and stopper() (executor.hpp): none unless the back end has one.
  virtual Driver* driver() noexcept { return nullptr; }
  virtual RunningStopper* stopper() noexcept { return nullptr; }
  /// A job stopped wanting its chunks (an abandoned imap): a back end whose workers cannot see
  /// that for themselves is told at once, from the calling thread.
  virtual void skip_unwanted() noexcept {}

  // --- for the dispatcher loop ----------------------------------------------------------------

  void enter_dispatcher() noexcept { t_dispatcher = tag; }
  /// The loop has ended: terminate() waits no more.
  void leave_dispatcher() noexcept {
    t_dispatcher = nullptr;
    exited.store(true, std::memory_order_seq_cst);
    notify_waiters(done_word, done_waiters);
  }

  /// Moves what callers submitted to `pending`; false when there was nothing.
  bool take_incoming() noexcept {
    if (incoming_count.load(std::memory_order_seq_cst) == 0) return false;
    std::lock_guard lock(mutex);
    pending.insert(pending.end(), incoming.begin(), incoming.end());
    incoming.clear();
    incoming_count.store(0, std::memory_order_relaxed);
    return true;
  }

  /// No call is open and nothing waits in the queue.
  bool calls_done() noexcept {
    std::lock_guard lock(mutex);
    return open_calls == 0 && incoming.empty();
  }

  void run_posted() noexcept {
    if (posted_count.load(std::memory_order_seq_cst) == 0) return;
    std::vector<StateBase*> batch;
    {
      std::lock_guard lock(posted_mutex);
      batch.swap(posted);
      posted_count.store(0, std::memory_order_seq_cst);
    }
    for (StateBase* state : batch) {
      state->finish_posted();
      state->release();
    }
  }

  /// do_terminate() starts with this: no call is accepted and no chunk is sent any more.
  void mark_terminated() noexcept {
    closed.store(true, std::memory_order_seq_cst);
    terminated.store(true, std::memory_order_seq_cst);
  }

  /// do_terminate() ends with this: every task not sent is cancelled, and terminate() returns.
  void cancel_queued() noexcept {
    {
      // Locked even when incoming_count says 0: a submit that saw `terminated` false may be
      // between its push and its count; after this, every submit sees `terminated`.
      std::lock_guard lock(mutex);
      pending.insert(pending.end(), incoming.begin(), incoming.end());
      incoming.clear();
      incoming_count.store(0, std::memory_order_relaxed);
    }
    std::deque<Task*> cancelled;
    cancelled.swap(pending);
    for (Task* t : cancelled) cancel_task(t);
    run_posted();  // terminate() returns after the cancelled tasks' callbacks
    all_cancelled.store(true, std::memory_order_seq_cst);
    notify_waiters(done_word, done_waiters);
  }

  std::mutex mutex;
  std::deque<Task*> incoming;  // under mutex
  std::size_t open_calls = 0;  // under mutex
  std::atomic<std::size_t> incoming_count{0};
  std::atomic<bool> closed{false};
  std::atomic<bool> terminate_requested{false};
  std::atomic<bool> terminated{false};
  std::atomic<bool> exited{false};          // the dispatcher loop has ended
  std::atomic<bool> all_cancelled{false};   // do_terminate() has completed every task
  std::atomic<std::uint32_t> done_word{0};  // notified at all_cancelled and exited
  std::atomic<std::uint32_t> done_waiters{0};

  std::mutex join_mutex;
  bool joined = false;  // under join_mutex

  std::mutex posted_mutex;
  std::vector<StateBase*> posted;  // under posted_mutex
  std::atomic<std::size_t> posted_count{0};

  std::deque<Task*> pending;  // the dispatcher's own: taken, not yet sent
  // Callbacks on the dispatcher thread that wait on this pool (wait_in_callback): a caller that
  // drove the pool meanwhile wakes the thread when it stops.
  std::atomic<unsigned> callback_waits{0};

  static inline thread_local const void* t_dispatcher = nullptr;
};

/// What RemoteHost::dispatch() asks of a back end's host, on the dispatcher thread only.
template <class Backend>
concept DispatchLoop = std::derived_from<Backend, RemoteHost> && std::derived_from<Backend, Helper> &&
    requires(Backend& b, Deadline deadline) {
  // First: start the workers (or what the transport needs on this thread).
  { b.begin_dispatch() }
  noexcept;
  // Whether this thread may move the pool now; false: look at callbacks and
  // ask again (a waiting caller may be moving it, see ProcessPool). Waits
  // no longer than the deadline.
  { b.take_turn(deadline) }
  noexcept->std::same_as<bool>;
  // One round of everything: new calls, results, deaths, feeding, stopping.
  // True when something happened.
  { b.dispatch_round() }
  noexcept->std::same_as<bool>;
  // The pool is done: its workers stopped, every call complete.
  { b.finished() }
  noexcept->std::same_as<bool>;
  // A round did nothing: spin a little, then sleep until woken or the
  // deadline.
  { b.idle(deadline) }
  noexcept;
  // Last: reap the workers, give up what the loop held.
  { b.end_dispatch() }
  noexcept;
};

/// The dispatcher thread's loop, one for every back end (DispatchLoop says what each step is):
/// callbacks first, then a round of work when the thread may move the pool, until the pool is
/// finished; a round with nothing done idles.
template <DispatchLoop Backend>
void dispatch(Backend& backend) noexcept {
  backend.enter_dispatcher();
  set_thread_helper(&backend);
  backend.begin_dispatch();
  for (;;) {
    backend.run_posted();
    if (!backend.take_turn(k_no_deadline)) continue;
    const bool progress = backend.dispatch_round();
    if (backend.finished()) break;
    if (!progress) backend.idle(k_no_deadline);
  }
  backend.end_dispatch();
  backend.run_posted();
  set_thread_helper(nullptr);
  backend.leave_dispatcher();
}

/// Helper::help for a back end's dispatcher thread. A callback there that waits on its own pool
/// (new work, or results not in yet) is the only thread that moves the pool until it returns (a
/// caller may drive the process pool, but only while it waits itself), so it waits by running
/// the loop of dispatch(), nested, until done() or the deadline. Callbacks completed meanwhile
/// run nested too: the awaited result may be one whose callbacks must run first.
template <DispatchLoop Backend>
Helper::Helped wait_in_callback(Backend& backend, const void* executor, FunctionRef<bool()> done,
                                Deadline deadline) noexcept {
  if (executor != backend.tag || !backend.here()) return Helper::Helped::nothing;
  backend.callback_waits.fetch_add(1, std::memory_order_seq_cst);
  for (;;) {
    backend.run_posted();
    if (done() || Clock::now() >= deadline) break;
    if (!backend.take_turn(deadline)) continue;
    const bool progress = backend.dispatch_round();
    if (backend.finished()) {
      backend.run_posted();
      break;
    }
    if (!progress && !done()) backend.idle(deadline);
  }
  backend.callback_waits.fetch_sub(1, std::memory_order_seq_cst);
  // A finished pool has completed every call (their callbacks ran above); should done() still be
  // false, block_until waits as usual rather than report a timeout that did not happen.
  return done() || Clock::now() >= deadline ? Helper::Helped::all : Helper::Helped::nothing;
}

/// Starts the dispatcher thread, which shares the host: a pool destroyed from its own callback
/// leaves the host to it (shutdown) until its loop ends.
template <DispatchLoop Backend>
void start_dispatcher(const std::shared_ptr<Backend>& host) {
  host->thread = posix::Thread([host] { dispatch(*host); });
}

}  // namespace mpp::detail
