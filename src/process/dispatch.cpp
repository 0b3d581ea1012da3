// ProcessExecutor's dispatcher loop, and the role a waiting caller takes to move the pool's work
// itself (executor_impl.hpp).
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <mutex>

#include "mpp/detail/core/throw.hpp"
#include "posix/syscall.hpp"
#include "process/executor_impl.hpp"
#include "remote/tunables.hpp"

namespace mpp::detail {

std::atomic<void (*)()> g_before_dispatcher_sleeps{nullptr};

void ProcessExecutor::Impl::wake_dispatcher() noexcept {
  // As the workers' detail::wake_dispatcher(): only the first to find it asleep writes.
  DispatcherShared& d = *dispatcher_shared.get();
  if (d.sleeping.load(std::memory_order_seq_cst) != 0 &&
      d.sleeping.exchange(0, std::memory_order_seq_cst) != 0)
    wake_thread();
}

// Callbacks posted by a caller that completed results: the thread runs them, even if it parked.
void ProcessExecutor::Impl::wake_for_callbacks() noexcept {
  if (parked.load(std::memory_order_seq_cst)) wake_thread();
}

// The dispatcher loop's steps (RemoteHost::dispatch): the thread holds the role from the start,
// and starts the workers with it.
void ProcessExecutor::Impl::begin_dispatch() noexcept {
  role_lock = std::unique_lock(role);
  thread_holds_role = true;
  try {
    for (auto& s : slots) spawn(*s);
  } catch (...) {
    startup_error = std::current_exception();
  }
}

bool ProcessExecutor::Impl::take_turn(Deadline deadline) noexcept {
  if (!role_lock.owns_lock() && !take_role(deadline)) return false;
  thread_holds_role = true;
  return true;
}

bool ProcessExecutor::Impl::dispatch_round() noexcept { return step() | spawn_missing(); }

// Every worker is gone or killed: reap them all, so no zombie outlives join().
void ProcessExecutor::Impl::end_dispatch() noexcept {
  for (auto& s : slots) {
    if (s->child) {
      try {
        s->child.wait();
      } catch (...) {  // ECHILD: someone else reaped it
      }
    }
    release_slot(*s);
  }
  thread_holds_role = false;
  role_lock.unlock();
}

// The dispatcher thread wants the role back from a driving caller. False: it parked meanwhile.
bool ProcessExecutor::Impl::take_role(Deadline deadline) noexcept {
  if (role_lock.try_lock()) return true;
  // A caller drives. Park; its release sees `parked` and wakes us if work is left (seq_cst on
  // both flags: either it sees us parked, or we see it gone and retry).
  parked.store(true, std::memory_order_seq_cst);
  if (!driving.load(std::memory_order_seq_cst)) {
    parked.store(false, std::memory_order_seq_cst);
    return role_lock.try_lock();
  }
  // Callbacks the driver completed are ours to run, and their results are not ready until we do:
  // post() counts, then looks for `parked`; either it saw us parked, or we see its count here.
  if (posted_count.load(std::memory_order_seq_cst) != 0) {
    parked.store(false, std::memory_order_seq_cst);
    return false;
  }
  wait_for_events(sleep_set(/*watch_workers=*/false), deadline);
  parked.store(false, std::memory_order_seq_cst);
  return false;
}

// Nothing to do: spin a little with the role, then sleep without it.
void ProcessExecutor::Impl::idle(Deadline until) noexcept {
  Spin spin(k_ring_dispatcher_spin);
  do {
    if (step() || finished() || posted_count.load(std::memory_order_relaxed) != 0) return;
  } while (spin.again());
  parked.store(true, std::memory_order_seq_cst);
  dispatcher_shared.get()->sleeping.store(1, std::memory_order_seq_cst);
  // Look once more now that workers and callers will wake us.
  if (step() || finished() || posted_count.load(std::memory_order_seq_cst) != 0) {
    dispatcher_shared.get()->sleeping.store(0, std::memory_order_seq_cst);
    parked.store(false, std::memory_order_seq_cst);
    return;
  }
  Deadline deadline = std::min(until, next_timeout());
  if (unwatched_worker()) deadline = std::min(deadline, Clock::now() + k_death_check);
  auto fds = sleep_set(/*watch_workers=*/true);
  if (auto hook = g_before_dispatcher_sleeps.load(std::memory_order_acquire)) hook();
  thread_holds_role = false;
  role_lock.unlock();
  wait_for_events(std::move(fds), deadline);
  dispatcher_shared.get()->sleeping.store(0, std::memory_order_seq_cst);
  parked.store(false, std::memory_order_seq_cst);
}

// Driver: a caller waiting on a result moves the work along itself while it waits, saving two
// hand-offs between threads per round trip.
bool ProcessExecutor::Impl::drive(FunctionRef<bool()> done, Deadline deadline) noexcept {
  if (here()) return done();  // the dispatcher thread waits in help()
  std::unique_lock lock(role, std::try_to_lock);
  if (!lock.owns_lock()) {
    // Whoever holds the role takes our call from `incoming`; but the dispatcher thread may hold it
    // on its way to sleep, and submit_call() left waking it to us (seq_cst: it announced its
    // sleep before its last look at `incoming`).
    if (incoming_count.load(std::memory_order_seq_cst) != 0) wake_dispatcher();
    return false;
  }
  driving.store(true, std::memory_order_seq_cst);
  dispatcher_shared.get()->sleeping.store(0, std::memory_order_seq_cst);  // we read the rings now
  bool satisfied = false;
  Spin spin(k_spin_time, deadline);
  for (;;) {
    if (done()) {
      satisfied = true;
      break;
    }
    if (terminated.load(std::memory_order_relaxed) || stopping ||
        terminate_requested.load(std::memory_order_relaxed)) {
      break;
    }
    if (step()) {
      spin.restart();
      continue;
    }
    if (!spin.again()) break;
  }
  const bool work_left = has_work();
  driving.store(false, std::memory_order_seq_cst);
  const bool thread_parked = parked.load(std::memory_order_seq_cst);
  dispatcher_shared.get()->sleeping.store(thread_parked ? 1 : 0, std::memory_order_seq_cst);
  lock.unlock();
  // Hand the rest back to the dispatcher thread (a chunk in flight, a dead worker to replace).
  // And to a callback there waiting on the pool, whose result we may have completed.
  if (thread_parked && (work_left || incoming_count.load(std::memory_order_seq_cst) != 0 ||
                        terminate_requested.load(std::memory_order_seq_cst) ||
                        callback_waits.load(std::memory_order_seq_cst) != 0)) {
    wake_thread();
  }
  return satisfied;
}

bool ProcessExecutor::Impl::has_work() const noexcept {
  if (!pending.empty()) return true;
  return std::any_of(slots.begin(), slots.end(), [](const auto& s) {
    return !s->inflight.empty() || s->writer.busy() || s->state == SlotState::starting ||
           (s->state == SlotState::empty && s->respawn);
  });
}

void ProcessExecutor::Impl::wake_thread() noexcept {
  const std::uint64_t one = 1;
  std::lock_guard lock(wake_mutex);
  if (wake_fd) posix::retried("write", [&] { return ::write(wake_fd.get(), &one, sizeof(one)); });
}

void ProcessExecutor::Impl::close_wake_fd() noexcept {
  std::lock_guard lock(wake_mutex);
  wake_fd.reset();
}

// RemoteHost: the dispatcher thread has been joined, every worker reaped: nothing shared is left
// once join() returns (a late wake-up from close() finds a private page and no descriptor).
void ProcessExecutor::Impl::on_joined() noexcept {
  close_wake_fd();
  dispatcher_shared.close_fd();
  dispatcher_shared.unshare();
}

// One round of everything; true when something happened.
bool ProcessExecutor::Impl::step() noexcept {
  if (terminated.load(std::memory_order_relaxed)) return false;
  bool progress = take_incoming();
  if (terminate_requested.load(std::memory_order_acquire) && !terminated.load(std::memory_order_relaxed)) {
    // On the dispatcher thread only, where the cancelled tasks' callbacks run before
    // terminate() returns; a driving caller hands the role back instead (see drive()).
    if (!here()) return false;
    do_terminate();
    return true;
  }
  for (auto& s : slots) progress |= read(*s, false);
  if (exit_seen.exchange(false, std::memory_order_acquire) ||
      Clock::now() - last_death_check >= k_death_check) {
    progress |= check_exits();
  }
  if (starting_up) progress |= check_started();
  if (!starting_up && !stopping) {
    if (broken) progress |= fail_pending();
    progress |= feed_all();
    if (options.task_timeout.count() > 0) check_timeouts();
    check_stops();
    progress |= maybe_stop();
  }
  return progress;
}

bool ProcessExecutor::Impl::finished() noexcept {
  if (terminated.load(std::memory_order_relaxed)) return true;
  if (!stopping) return false;
  return std::all_of(slots.begin(), slots.end(), [](const auto& s) { return s->state == SlotState::empty; });
}

bool ProcessExecutor::Impl::check_started() noexcept {
  bool all_ready = !startup_error;
  for (auto& s : slots) {
    if (s->init_error && !startup_error) startup_error = s->init_error;
    if (s->state != SlotState::ready) all_ready = false;
  }
  if (!startup_error && !all_ready) return false;
  starting_up = false;
  if (startup_error) {
    terminate_requested.store(true, std::memory_order_release);
    do_terminate();
  }
  started_word.store(1, std::memory_order_seq_cst);
  futex_wake_all(started_word);
  return true;
}

// After close(), when nothing is left to run: ask every worker to exit.
bool ProcessExecutor::Impl::maybe_stop() noexcept {
  if (!closed.load(std::memory_order_acquire) || !pending.empty()) return false;
  for (auto& s : slots) {
    if (!s->inflight.empty() || s->writer.busy()) return false;
  }
  {
    std::lock_guard lock(mutex);
    if (open_calls != 0 || !incoming.empty()) return false;
  }
  stopping = true;
  for (auto& s : slots) {
    if (s->state == SlotState::ready) {
      s->writer.start(wire::Kind::stop, {});
      s->writer.advance(s->requests);
      wake_worker(s->requests.state(), &RingState::data_word, &RingState::consumer_waiting);
      s->state = SlotState::stopping;
    } else if (s->state == SlotState::starting) {
      s->child.signal(SIGKILL);  // still initialising, with nothing left to do
      s->state = SlotState::stopping;
    }
  }
  return true;
}

// ppoll() on the wake-up eventfd and (with `watch_workers`, holding the role) the workers'
// pidfds; handles the exits it sees.
// The descriptors to sleep on: the wake-up eventfd, and (with `watch_workers`) the workers'
// pidfds. Built while holding the role: a driving caller may reap a worker (and close its
// pidfd) while we sleep.
std::vector<pollfd> ProcessExecutor::Impl::sleep_set(bool watch_workers) const {
  std::vector<pollfd> fds;
  fds.push_back({wake_fd.get(), POLLIN, 0});
  for (const auto& s : slots) {
    if (watch_workers && s->child.pidfd() >= 0) fds.push_back({s->child.pidfd(), POLLIN, 0});
  }
  return fds;
}

// ppoll() on `fds` (sleep_set()), without the role.
void ProcessExecutor::Impl::wait_for_events(std::vector<pollfd> fds, Deadline deadline) noexcept {
  timespec timeout{};
  const timespec* t = nullptr;
  if (deadline != k_no_deadline) {
    const auto left = std::max<std::int64_t>(
        0, std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - Clock::now()).count());
    timeout.tv_sec = static_cast<time_t>(left / 1'000'000'000);
    timeout.tv_nsec = static_cast<long>(left % 1'000'000'000);
    t = &timeout;
  }
  posix::retried("ppoll", [&] { return ::ppoll(fds.data(), fds.size(), t, nullptr); });
  if ((fds[0].revents & POLLIN) != 0) {
    std::uint64_t count = 0;
    posix::retried("read", [&] { return ::read(wake_fd.get(), &count, sizeof(count)); });
  }
  // A worker that exited is handled by the next step(), under the role. (A descriptor closed and
  // reused meanwhile at worst makes this a false alarm.)
  bool exits = false;
  for (std::size_t k = 1; k < fds.size(); ++k) exits |= (fds[k].revents & (POLLIN | POLLHUP | POLLNVAL)) != 0;
  if (exits) exit_seen.store(true, std::memory_order_release);
}

// Helper: a callback on the dispatcher thread that waits on this pool moves it meanwhile.
Helper::Helped ProcessExecutor::Impl::help(const void* executor, FunctionRef<bool()> done,
                                           Deadline deadline) noexcept {
  return wait_in_callback(*this, executor, done, deadline);
}

ProcessExecutor::ProcessExecutor(const ProcessExecutorOptions& options) {
  MPP_ASSERT(options.workers > 0);
  MPP_ASSERT(options.arena == nullptr || options.start_method == StartMethod::fork);
  check_exit_status_available(options.name);
  auto owned = std::make_shared<Impl>(options);
  Impl& impl = *owned;
  host_ = owned;
  impl.wake_fd.reset(
      static_cast<int>(posix::checked("eventfd", [] { return ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); })));
  for (std::size_t i = 0; i < options.workers; ++i) {
    impl.slots.push_back(std::make_unique<Impl::Slot>());
    impl.slots.back()->index = i;
  }
  start_dispatcher(owned);  // on failure, host_'s destructor closes wake_fd
  block_until([&impl] { return impl.started_word.load(std::memory_order_seq_cst) != 0; }, impl.started_word,
              impl.started_waiters, WaitContext{}, k_no_deadline);
  if (impl.startup_error) {
    impl.thread.join();
    std::rethrow_exception(impl.startup_error);
  }
}

ProcessExecutor::~ProcessExecutor() {
  if (!host_) return;
  if (host_->in_fork()) {
    // A worker's copy of its pool (a task that called exit(), say): its thread, workers and pages
    // are the parent's. Touch nothing, and never destroy it (that would join the parent's thread):
    // the process is ending.
    (void)new std::shared_ptr<RemoteHost>(std::move(host_));
    return;
  }
  shutdown();
}

}  // namespace mpp::detail
