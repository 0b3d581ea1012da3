#include "mpp/detail/thread/thread_executor.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <deque>
#include <exception>
#include <latch>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/fork_generation.hpp"
#include "mpp/detail/core/config.hpp"
#include "mpp/detail/core/throw.hpp"
#include "mpp/detail/core/wait.hpp"
#include "thread/work_stealing_deque.hpp"

namespace mpp::detail {
namespace {

// How the pool names itself in messages (mpp::Pool is the only user of this executor).
constexpr const char* k_pool_name = "mpp::Pool";

// Tasks a worker takes from the overflow queue at once (the rest go to its deque, where others can
// steal them); amortises that queue's lock over many tiny tasks.
constexpr std::size_t k_inject_batch = 32;

// Tasks the lock-free injection ring holds; more wait in the locked overflow queue.
constexpr std::size_t k_ring_capacity = 4096;

/// Where threads outside the pool hand tasks to the workers: a bounded multi-producer,
/// multi-consumer ring (Vyukov's), one compare-and-swap a side, no lock. Sequentially consistent
/// where it publishes and reads a task, so that a producer's later check of the executor's flags
/// and a worker's later check for sleepers (and the reverse) always see one another.
class InjectRing {
 public:
  InjectRing() : cells_(std::make_unique<Cell[]>(k_ring_capacity)) {
    for (std::size_t i = 0; i < k_ring_capacity; ++i) cells_[i].sequence.store(i, std::memory_order_relaxed);
  }

  /// False when full.
  bool push(Task* task) noexcept {
    std::size_t pos = tail_.load(std::memory_order_relaxed);
    for (;;) {
      Cell& cell = cells_[pos & k_mask];
      const std::size_t seq = cell.sequence.load(std::memory_order_seq_cst);
      const auto diff = static_cast<std::ptrdiff_t>(seq - pos);
      if (diff == 0) {
        if (tail_.compare_exchange_weak(pos, pos + 1, std::memory_order_seq_cst)) {
          cell.task = task;
          cell.sequence.store(pos + 1, std::memory_order_seq_cst);
          return true;
        }
      } else if (diff < 0) {
        return false;
      } else {
        pos = tail_.load(std::memory_order_relaxed);
      }
    }
  }

  /// nullptr when empty (or when the oldest task is still being published).
  Task* pop() noexcept {
    std::size_t pos = head_.load(std::memory_order_relaxed);
    for (;;) {
      Cell& cell = cells_[pos & k_mask];
      const std::size_t seq = cell.sequence.load(std::memory_order_seq_cst);
      const auto diff = static_cast<std::ptrdiff_t>(seq - (pos + 1));
      if (diff == 0) {
        if (head_.compare_exchange_weak(pos, pos + 1, std::memory_order_seq_cst)) {
          Task* task = cell.task;
          cell.sequence.store(pos + k_ring_capacity, std::memory_order_release);
          return task;
        }
      } else if (diff < 0) {
        return nullptr;
      } else {
        pos = head_.load(std::memory_order_relaxed);
      }
    }
  }

  /// A hint: a push has begun that no pop has taken yet.
  bool empty() const noexcept {
    return tail_.load(std::memory_order_seq_cst) == head_.load(std::memory_order_seq_cst);
  }

 private:
  static constexpr std::size_t k_mask = k_ring_capacity - 1;
  static_assert((k_ring_capacity & k_mask) == 0, "a power of two");
  struct Cell {
    std::atomic<std::size_t> sequence{0};
    Task* task = nullptr;
  };
  std::unique_ptr<Cell[]> cells_;
  alignas(k_cache_line) std::atomic<std::size_t> tail_{0};
  alignas(k_cache_line) std::atomic<std::size_t> head_{0};
};

// A worker's sleep state, its own futex word: wakers pick a sleeping worker and mark it notified,
// so each wake-up goes to a different sleeper and none is paid twice.
constexpr std::uint32_t k_awake = 0;
constexpr std::uint32_t k_sleeping = 1;
constexpr std::uint32_t k_notified = 2;

struct Worker final : Helper {
  Helped help(const void* executor, FunctionRef<bool()> done, Deadline deadline) noexcept override;

  ThreadExecutor::Impl* owner = nullptr;
  std::size_t index = 0;
  WorkStealingDeque<Task*> deque;
  // The job this worker runs now, with one reference: terminate() exchanges it out to cancel it.
  std::atomic<Job*> running{nullptr};
  // Between taking a task and publishing it in `running`, where terminate() cannot see it:
  // terminate() waits for this to clear, so no task it missed is cancelled after it returns.
  std::atomic<bool> taking{false};
  std::uint64_t rng = 0;
  std::thread thread;
  alignas(k_cache_line) std::atomic<std::uint32_t> park{k_awake};
};

thread_local Worker* t_worker = nullptr;

void release_task(Task* task) noexcept {
  // Read before releasing: a task may live inside its job (apply), which the release may free.
  const bool owned = task->owned_by_executor;
  task->job->release();
  if (owned) delete task;
}

void cancel_task(Task* task) noexcept {
  task->job->cancel();
  release_task(task);
}

}  // namespace

struct ThreadExecutor::Impl {
  // The executor's tag(): Impl outlives the executor when destroyed from its own worker, and a
  // later executor at the same address must not look like it.
  const void* const tag = this;
  // fork_generation() in the process that made it: a copy inherited by a forked child has none of
  // the worker threads, which exist only in the parent.
  const std::uint64_t generation = fork_generation();
  std::vector<std::unique_ptr<Worker>> workers;
  std::size_t max_spinners = 1;

  // Tasks from threads outside the pool: the ring first; when it is full, the locked overflow
  // queue, which new tasks keep using until it is empty again (so tasks start roughly in order).
  InjectRing ring;
  std::mutex mutex;
  std::deque<Task*> inject;                 // under mutex
  std::atomic<std::size_t> inject_size{0};  // written under mutex; read without it as a hint

  // Calls that may still submit (a map, an imap, a submit_call in progress). Atomic, with
  // `closed` beside it: a caller increments it and then checks `closed`; a worker about to exit
  // checks `closed` and then it (all sequentially consistent), so either the caller sees the pool
  // closed or the worker sees the call.
  alignas(k_cache_line) std::atomic<std::size_t> open_calls{0};
  std::atomic<bool> closed{false};
  alignas(k_cache_line) std::atomic<bool> terminated{false};
  std::atomic<bool> drained{false};  // terminate() has cancelled everything it can see

  // Idle workers spin a while (at most max_spinners at once), then sleep on their own `park` word.
  alignas(k_cache_line) std::atomic<std::uint32_t> spinners{0};
  alignas(k_cache_line) std::atomic<std::uint32_t> sleepers{0};
  std::atomic<std::size_t> next_wake{0};

  std::mutex join_mutex;
  bool joined = false;  // under join_mutex

  // Initialisation handshake: the constructor waits for every initializer.
  std::mutex init_mutex;
  std::exception_ptr init_error;  // under init_mutex
  std::optional<std::latch> initialised;

  bool on_own_worker() const noexcept { return t_worker != nullptr && t_worker->owner == this; }
  bool in_fork() const noexcept { return fork_generation() != generation; }
  void check_not_in_fork() const {
    if (in_fork()) throw_pool_of_parent(k_pool_name);
  }

  bool has_work() const noexcept {
    if (!ring.empty() || inject_size.load(std::memory_order_seq_cst) != 0) return true;
    return std::any_of(workers.begin(), workers.end(), [](const auto& w) { return !w->deque.empty(); });
  }

  // Called after publishing work with a seq_cst store (deque push, ring, inject_size), which orders
  // it before these loads; a worker going to sleep marks itself sleeping and then looks for work,
  // so one of the two always sees the other.
  void wake_one() noexcept {
    // A spinning worker will find the task by itself; only wake a sleeper when nobody spins.
    if (spinners.load(std::memory_order_seq_cst) != 0 || sleepers.load(std::memory_order_seq_cst) == 0)
      return;
    const std::size_t n = workers.size();
    const std::size_t start = next_wake.fetch_add(1, std::memory_order_relaxed);
    for (std::size_t k = 0; k < n; ++k) {
      Worker& w = *workers[(start + k) % n];
      std::uint32_t expected = k_sleeping;
      // One waker per sleeper: a worker already notified is on its way and is not woken again.
      if (w.park.load(std::memory_order_seq_cst) == k_sleeping &&
          w.park.compare_exchange_strong(expected, k_notified, std::memory_order_seq_cst)) {
        futex_wake_one(w.park);
        return;
      }
    }
  }

  void wake_all() noexcept {
    for (auto& w : workers) {
      std::uint32_t expected = k_sleeping;
      if (w->park.compare_exchange_strong(expected, k_notified, std::memory_order_seq_cst)) {
        futex_wake_one(w->park);
      }
    }
  }

  void push_local(Worker& w, Task* task) noexcept {
    w.deque.push(task);
    wake_one();
  }

  // Queues a task from outside the pool (an open call keeps the workers from exiting meanwhile).
  // False when terminated: the caller cancels it then.
  bool inject_task(Task* task) noexcept {
    if (inject_size.load(std::memory_order_seq_cst) == 0 && ring.push(task)) {
      // Pairs with terminate() (both seq_cst): either it drains the ring after our push, or we see
      // its flag and drain the ring ourselves.
      if (terminated.load(std::memory_order_seq_cst)) drain_ring();
      return true;
    }
    std::lock_guard lock(mutex);
    if (terminated.load(std::memory_order_relaxed)) return false;
    inject.push_back(task);
    inject_size.store(inject.size(), std::memory_order_seq_cst);
    return true;
  }

  void drain_ring() noexcept {
    while (Task* t = ring.pop()) cancel_task(t);
  }

  void submit(Task* task) noexcept {
    if (on_own_worker()) {
      push_local(*t_worker, task);
      // Pairs with terminate() (both seq_cst): either it saw the task in our deque, or we see its
      // flag. Cancel at once: the task that submitted may be about to wait for this one.
      if (terminated.load(std::memory_order_seq_cst)) cancel_own(*t_worker);
      return;
    }
    if (!inject_task(task)) {
      cancel_task(task);
      return;
    }
    wake_one();
  }

  // Cancels every task in our own deque; true when there was one.
  static bool cancel_own(Worker& w) noexcept {
    bool any = false;
    while (Task* t = w.deque.pop()) {
      cancel_task(t);
      any = true;
    }
    return any;
  }

  void submit_batch(Task* tasks, std::size_t count) noexcept {
    if (on_own_worker()) {
      for (std::size_t i = 0; i < count; ++i) submit(&tasks[i]);
      return;
    }
    for (std::size_t i = 0; i < count; ++i) {
      if (!inject_task(&tasks[i])) cancel_task(&tasks[i]);  // terminated meanwhile
    }
    // One worker now; each one that finds more work behind its task wakes the next.
    wake_one();
  }

  bool open_call() noexcept {
    open_calls.fetch_add(1, std::memory_order_seq_cst);
    if (closed.load(std::memory_order_seq_cst)) {
      close_call();
      return false;
    }
    return true;
  }

  void close_call() noexcept {
    if (open_calls.fetch_sub(1, std::memory_order_seq_cst) == 1 && closed.load(std::memory_order_seq_cst)) {
      wake_all();  // the workers may exit now
    }
  }

  bool submit_call(Task* task) noexcept {
    if (on_own_worker()) {
      if (closed.load(std::memory_order_acquire)) return false;
      push_local(*t_worker, task);
      return true;
    }
    if (!open_call()) return false;
    if (!inject_task(task)) {
      cancel_task(task);
    } else {
      wake_one();
    }
    close_call();
    return true;
  }

  Task* pop_inject(Worker& w) {
    if (Task* t = ring.pop()) {
      if (!ring.empty()) wake_one();  // more behind it: another worker may take it
      return t;
    }
    if (inject_size.load(std::memory_order_relaxed) == 0) return nullptr;
    Task* first = nullptr;
    bool more = false;
    {
      std::lock_guard lock(mutex);
      if (inject.empty()) return nullptr;
      first = inject.front();
      inject.pop_front();
      // Take a fair share for our deque, where idle workers can steal from it.
      const std::size_t share = std::min(k_inject_batch, inject.size() / workers.size());
      for (std::size_t i = 0; i < share; ++i) {
        w.deque.push(inject.front());
        inject.pop_front();
      }
      inject_size.store(inject.size(), std::memory_order_seq_cst);
      more = !inject.empty() || share != 0;
    }
    if (more) wake_one();
    return first;
  }

  Task* steal(Worker& w) {
    const std::size_t n = workers.size();
    if (n == 1) return nullptr;
    // xorshift64: a cheap random start, so thieves do not all hit the same victim.
    w.rng ^= w.rng << 13;
    w.rng ^= w.rng >> 7;
    w.rng ^= w.rng << 17;
    const std::size_t start = static_cast<std::size_t>(w.rng % n);
    for (std::size_t k = 0; k < n; ++k) {
      Worker& victim = *workers[(start + k) % n];
      if (&victim == &w) continue;
      if (Task* t = victim.deque.steal()) return t;
    }
    return nullptr;
  }

  Task* find_task(Worker& w) {
    if (Task* t = w.deque.pop()) return t;
    if (Task* t = pop_inject(w)) return t;
    Task* t = steal(w);
    if (t != nullptr && has_work()) wake_one();  // more to share: ramp up another worker
    return t;
  }

  // Takes a task and runs it; false when there was none (or the pool is terminated).
  bool run_next(Worker& w) noexcept {
    w.taking.store(true, std::memory_order_seq_cst);
    Task* task = terminated.load(std::memory_order_seq_cst) ? nullptr : find_task(w);
    if (task == nullptr) {
      w.taking.store(false, std::memory_order_seq_cst);
      return false;
    }
    Job* job = task->job;
    job->add_ref();  // the reference `running` holds
    // A worker that helps while waiting runs a task inside another: remember the outer one.
    Job* outer = w.running.exchange(job, std::memory_order_seq_cst);
    // terminate() may have missed `running`: then cancel here, before it returns (it waits for
    // `taking` to clear).
    const bool cancelled = terminated.load(std::memory_order_seq_cst);
    if (cancelled) job->cancel();
    w.taking.store(false, std::memory_order_seq_cst);
    if (!cancelled) {
      if (task->grain == 0) {
        job->run(task->begin, task->end);
      } else {
        run_splitting(w, *task);
      }
    }
    if (Job* mine = w.running.exchange(outer, std::memory_order_seq_cst)) {
      mine->release();
    } else if (outer != nullptr) {
      // terminate() took our job while we ran it; it took the outer one too, or will.
      w.running.store(nullptr, std::memory_order_seq_cst);
      outer->cancel();
      outer->release();
    }
    release_task(task);
    return true;
  }

  // Lazy binary splitting: while our deque is empty (so a thief would find nothing), put half of
  // what is left there. Idle workers steal large halves; busy ones never pay for splits.
  void run_splitting(Worker& w, const Task& task) noexcept {
    std::size_t begin = task.begin;
    std::size_t end = task.end;
    const std::size_t grain = task.grain;
    const bool peers = workers.size() > 1;
    while (begin < end) {
      if (terminated.load(std::memory_order_relaxed)) return;  // the job was cancelled
      if (peers && end - begin >= 2 * grain && w.deque.empty()) {
        const std::size_t mid = begin + (end - begin) / 2;
        task.job->add_ref();
        push_local(w, new Task{task.job, mid, end, grain, true});
        end = mid;
        continue;
      }
      const std::size_t step = std::min(grain, end - begin);
      task.job->run(begin, begin + step);
      begin += step;
    }
  }

  // No task found: spin a while, then sleep. False when the worker should exit.
  bool idle(Worker& w) {
    if (spinners.fetch_add(1, std::memory_order_seq_cst) < max_spinners) {
      Spin spin(k_idle_spin_time);
      do {
        if (has_work() || terminated.load(std::memory_order_relaxed)) {
          spinners.fetch_sub(1, std::memory_order_seq_cst);
          return true;
        }
      } while (spin.again());
    }
    spinners.fetch_sub(1, std::memory_order_seq_cst);

    sleepers.fetch_add(1, std::memory_order_seq_cst);
    w.park.store(k_sleeping, std::memory_order_seq_cst);
    bool keep_going = true;
    if (terminated.load(std::memory_order_seq_cst)) {
      keep_going = false;
    } else if (!has_work()) {
      if (should_exit()) {
        keep_going = false;
      } else {
        while (w.park.load(std::memory_order_seq_cst) == k_sleeping) {
          futex_wait(w.park, k_sleeping, k_no_deadline);
        }
      }
    }
    w.park.store(k_awake, std::memory_order_seq_cst);
    sleepers.fetch_sub(1, std::memory_order_seq_cst);
    return keep_going;
  }

  // Closed, no call open and nothing queued. In this order (see open_calls).
  bool should_exit() noexcept {
    return closed.load(std::memory_order_seq_cst) && open_calls.load(std::memory_order_seq_cst) == 0 &&
           ring.empty() && inject_size.load(std::memory_order_seq_cst) == 0;
  }

  void worker_main(Worker& w, const std::function<void()>& initializer) {
    t_worker = &w;
    set_thread_helper(&w);
    if (initializer) {
      try {
        initializer();
      } catch (...) {
        std::lock_guard lock(init_mutex);
        if (!init_error) init_error = std::current_exception();
      }
    }
    initialised->count_down();

    for (;;) {
      if (terminated.load(std::memory_order_acquire)) break;
      if (run_next(w)) continue;
      if (!idle(w)) break;
    }
    // Terminated, or closed with nothing left. After terminate(), let it finish draining first:
    // a task we popped now would be cancelled only after terminate() returned.
    if (terminated.load(std::memory_order_seq_cst)) {
      while (!drained.load(std::memory_order_seq_cst)) std::this_thread::yield();
    }
    cancel_own(w);
    set_thread_helper(nullptr);
    t_worker = nullptr;
  }

  // The executor is destroyed by one of its own tasks or callbacks, which cannot wait for its own
  // thread: close, so the work already submitted still runs, and leave Impl to the workers.
  void orphan() noexcept {
    closed.store(true, std::memory_order_seq_cst);  // as close(): the pool closed already
    for (auto& w : workers) w->thread.detach();
    wake_all();
  }

  void terminate() noexcept {
    std::deque<Task*> dropped;
    {
      std::lock_guard lock(mutex);
      terminated.store(true, std::memory_order_seq_cst);
      closed.store(true, std::memory_order_seq_cst);
      dropped.swap(inject);
      inject_size.store(0, std::memory_order_seq_cst);
    }
    for (Task* t : dropped) cancel_task(t);
    drain_ring();
    for (auto& w : workers) {
      // A worker between taking a task and publishing it finishes that step (nanoseconds).
      while (w->taking.load(std::memory_order_seq_cst)) cpu_relax();
    }
    for (auto& w : workers) {
      if (w.get() == t_worker) continue;  // our own deque: our worker loop drains it
      while (!w->deque.empty()) {
        if (Task* t = w->deque.steal()) cancel_task(t);
      }
    }
    for (auto& w : workers) {
      if (Job* job = w->running.exchange(nullptr, std::memory_order_seq_cst)) {
        job->cancel();
        job->release();
      }
    }
    drained.store(true, std::memory_order_seq_cst);
    wake_all();
  }
};

ThreadExecutor::ThreadExecutor(std::size_t workers, const std::function<void()>& initializer)
    : impl_(std::make_shared<Impl>()) {
  MPP_ASSERT(workers > 0);
  Impl& impl = *impl_;
  impl.max_spinners = std::max<std::size_t>(1, workers / 2);
  impl.workers.reserve(workers);
  impl.initialised.emplace(static_cast<std::ptrdiff_t>(workers));
  for (std::size_t i = 0; i < workers; ++i) {
    auto w = std::make_unique<Worker>();
    w->owner = &impl;
    w->index = i;
    w->rng = 0x9E3779B97F4A7C15ULL * (i + 1);
    impl.workers.push_back(std::move(w));
  }
  std::size_t started = 0;
  try {
    for (auto& w : impl.workers) {
      Worker* worker = w.get();
      // Each thread shares Impl: it outlives the executor when a task or callback destroys the pool.
      worker->thread =
          std::thread([owner = impl_, worker, initializer] { owner->worker_main(*worker, initializer); });
      ++started;
    }
  } catch (...) {
    // Threads that did start: stop them and let the exception out.
    impl.terminate();
    for (auto& w : impl.workers) {
      if (w->thread.joinable()) w->thread.join();
    }
    throw;
  }
  impl.initialised->wait();
  std::exception_ptr error;
  {
    std::lock_guard lock(impl.init_mutex);
    error = impl.init_error;
  }
  if (error) {
    impl.terminate();
    for (auto& w : impl.workers) w->thread.join();
    std::rethrow_exception(error);
  }
}

ThreadExecutor::~ThreadExecutor() {
  if (!impl_) return;
  if (impl_->in_fork()) {
    // A forked child's copy of a parent's pool: its threads are the parent's and cannot be joined
    // here, and destroying a joinable std::thread would end the process. Touch nothing.
    (void)new std::shared_ptr<Impl>(std::move(impl_));
    return;
  }
  if (impl_->on_own_worker()) {
    impl_->orphan();
    return;
  }
  bool joined = false;
  {
    std::lock_guard lock(impl_->join_mutex);
    joined = impl_->joined;
  }
  if (!joined) {
    impl_->terminate();
    for (auto& w : impl_->workers) {
      if (w->thread.joinable()) w->thread.join();
    }
  }
}

std::size_t ThreadExecutor::size() const noexcept { return impl_->workers.size(); }

const void* ThreadExecutor::tag() const noexcept { return impl_->tag; }

bool ThreadExecutor::accepting() const {
  impl_->check_not_in_fork();
  return !impl_->closed.load(std::memory_order_acquire);
}

bool ThreadExecutor::open_call() noexcept { return impl_->open_call(); }

void ThreadExecutor::close_call() noexcept { impl_->close_call(); }

void ThreadExecutor::submit(Task* task) noexcept { impl_->submit(task); }

void ThreadExecutor::submit_batch(Task* tasks, std::size_t count) noexcept {
  impl_->submit_batch(tasks, count);
}

bool ThreadExecutor::submit_call(Task* task, bool /*caller_waits*/) noexcept {
  return impl_->submit_call(task);
}

void ThreadExecutor::close() noexcept {
  if (impl_->in_fork()) return;  // the parent's pool: not ours to close
  impl_->closed.store(true, std::memory_order_seq_cst);
  impl_->wake_all();
}

void ThreadExecutor::terminate() noexcept {
  if (impl_->in_fork()) return;  // the parent's pool: not ours to stop
  impl_->terminate();
}

bool ThreadExecutor::terminated() const noexcept { return impl_->terminated.load(std::memory_order_acquire); }

void ThreadExecutor::check_join(const char* who) const {
  impl_->check_not_in_fork();
  if (impl_->on_own_worker()) throw_join_from_worker(who);
}

void ThreadExecutor::join(const char* who) {
  check_join(who);
  std::lock_guard lock(impl_->join_mutex);
  if (impl_->joined) return;
  for (auto& w : impl_->workers) w->thread.join();
  impl_->joined = true;
}

// One queued task at a time: block_until looks at its predicate between them.
Helper::Helped Worker::help(const void* executor, FunctionRef<bool()> /*done*/,
                            Deadline /*deadline*/) noexcept {
  if (owner->tag != executor) return Helped::nothing;
  // After terminate() only cancelling is left to do: terminate() drains the other workers' deques,
  // and this one's may hold what the waiting task waits for.
  const bool ran = owner->terminated.load(std::memory_order_acquire) ? ThreadExecutor::Impl::cancel_own(*this)
                                                                     : owner->run_next(*this);
  return ran ? Helped::a_step : Helped::nothing;
}

}  // namespace mpp::detail
