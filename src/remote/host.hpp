// The host side of a remote executor (include/mpp/detail/remote/remote_executor.hpp), shared by
// ProcessExecutor and MpiExecutor: the queue that calls submit to, open calls, close, terminate and
// join, the callbacks posted to the dispatcher thread, and the dispatcher thread's loop
// (dispatch()). Each back end derives its Impl from RemoteHost and supplies the loop's steps
// (DispatchLoop): in a round it takes the queue (take_incoming), moves its transport, watches its
// workers and feeds them (remote/scheduling.hpp); on terminate it stops its workers and calls
// cancel_queued().
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
  explicit RemoteHost(std::size_t size) noexcept : tag(this), workers(size), generation(fork_generation()) {}
  RemoteHost(const RemoteHost&) = delete;
  RemoteHost& operator=(const RemoteHost&) = delete;
  virtual ~RemoteHost() = default;

  const void* const tag;
  const std::size_t workers;
  const std::uint64_t generation;  // fork_generation() in the process that made it
  std::thread thread;              // the dispatcher

  /// In a process forked from the one that made the host (a worker's copy of its pool): nothing
  /// of it works here (its dispatcher thread and rings are the parent's), and nothing may be
  /// touched. The executor refuses every call.
  bool in_fork() const noexcept { return fork_generation() != generation; }
  /// "mpp::ProcessPool": names the pool in messages.
  virtual const char* name() const noexcept { return "mpp pool"; }

  // --- the executor's interface ---------------------------------------------------------------

  bool accepting() const noexcept { return !closed.load(std::memory_order_acquire); }

  bool open_call() noexcept {
    std::lock_guard lock(mutex);
    if (closed.load(std::memory_order_relaxed)) return false;
    ++open_calls;
    return true;
  }

  void close_call() noexcept {
    {
      std::lock_guard lock(mutex);
      MPP_ASSERT(open_calls > 0);
      --open_calls;
    }
    wake_dispatcher();
  }

  void submit_batch(Task* tasks, std::size_t count) noexcept {
    {
      std::lock_guard lock(mutex);
      if (!terminated.load(std::memory_order_relaxed) &&
          !terminate_requested.load(std::memory_order_relaxed)) {
        for (std::size_t i = 0; i < count; ++i) incoming.push_back(&tasks[i]);
        incoming_count.fetch_add(count, std::memory_order_seq_cst);
        count = 0;
      }
    }
    for (std::size_t i = 0; i < count; ++i) cancel_task(&tasks[i]);
    wake_dispatcher();
  }

  bool submit_call(Task* task, bool caller_waits) noexcept {
    {
      std::lock_guard lock(mutex);
      if (closed.load(std::memory_order_relaxed)) return false;
      incoming.push_back(task);
      incoming_count.fetch_add(1, std::memory_order_seq_cst);
    }
    if (!caller_waits || !callers_drive()) wake_dispatcher();
    return true;
  }

  void close() noexcept {
    if (in_fork()) return;  // the parent's pool: not ours to close (see RemoteExecutor::close)
    {
      std::lock_guard lock(mutex);
      closed.store(true, std::memory_order_seq_cst);
    }
    wake_dispatcher();
  }

  void terminate() noexcept {
    if (in_fork()) return;  // the parent's pool: not ours to stop (see RemoteExecutor::terminate)
    {
      std::lock_guard lock(mutex);
      closed.store(true, std::memory_order_seq_cst);
      terminate_requested.store(true, std::memory_order_seq_cst);
    }
    if (here()) {  // from a callback: at once, here
      if (!terminated.load(std::memory_order_relaxed)) do_terminate();
      return;
    }
    {
      std::lock_guard lock(join_mutex);
      if (joined) return;  // the dispatcher is gone: nothing runs
    }
    wake_for_terminate();
    block_until(
        [this] {
          return all_cancelled.load(std::memory_order_seq_cst) || exited.load(std::memory_order_seq_cst);
        },
        done_word, done_waiters, WaitContext{}, k_no_deadline);
  }

  bool is_terminated() const noexcept { return terminated.load(std::memory_order_acquire); }

  void check_join(const char* who) const {
    if (in_fork()) throw_pool_in_fork(who);
    if (here()) throw_join_from_worker(who);
  }

  void join(const char* who) {
    check_join(who);
    std::lock_guard lock(join_mutex);
    if (joined) return;
    wake_dispatcher();
    thread.join();
    joined = true;
    on_joined();
  }

  /// The executor's destructor: terminates and joins unless join() did. On the dispatcher thread
  /// (a callback destroying its pool), which cannot wait for itself, it only closes the pool and
  /// detaches the thread: the work already submitted still runs, callbacks too.
  void shutdown() noexcept {
    if (in_fork()) return;  // the owner's executor destroys it (see ~ProcessExecutor)
    if (here()) {
      close();
      thread.detach();
      return;
    }
    {
      std::lock_guard lock(join_mutex);
      if (joined) return;
    }
    terminate();
    if (thread.joinable()) thread.join();
    on_joined();
  }

  // --- CallbackRunner: callbacks run on the dispatcher thread only ------------------------------

  bool here() const noexcept override { return t_dispatcher == tag; }

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

  static inline thread_local const void* t_dispatcher = nullptr;
};

/// What RemoteHost::dispatch() asks of a back end's host, on the dispatcher thread only.
template <class Backend>
concept DispatchLoop = std::derived_from<Backend, RemoteHost> && std::derived_from<Backend, Helper> &&
    requires(Backend& b) {
  // First: start the workers (or what the transport needs on this thread).
  { b.begin_dispatch() }
  noexcept;
  // Whether this thread may move the pool now; false: look at callbacks and
  // ask again (a waiting caller may be moving it, see ProcessPool).
  { b.take_turn() }
  noexcept->std::same_as<bool>;
  // One round of everything: new calls, results, deaths, feeding, stopping.
  // True when something happened.
  { b.dispatch_round() }
  noexcept->std::same_as<bool>;
  // The pool is done: its workers stopped, every call complete.
  { b.finished() }
  noexcept->std::same_as<bool>;
  // A round did nothing: spin a little, then sleep until woken.
  { b.idle() }
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
    if (!backend.take_turn()) continue;
    const bool progress = backend.dispatch_round();
    if (backend.finished()) break;
    if (!progress) backend.idle();
  }
  backend.end_dispatch();
  backend.run_posted();
  set_thread_helper(nullptr);
  backend.leave_dispatcher();
}

/// Starts the dispatcher thread, which shares the host: a pool destroyed from its own callback
/// leaves the host to it (shutdown) until its loop ends.
template <DispatchLoop Backend>
void start_dispatcher(const std::shared_ptr<Backend>& host) {
  host->thread = std::thread([host] { dispatch(*host); });
}

}  // namespace mpp::detail
