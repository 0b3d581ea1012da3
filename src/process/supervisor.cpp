// ProcessExecutor's supervisor (executor_impl.hpp): workers started by the pool's start method,
// watched through their pidfds, killed for a timeout or a cancel, replaced when they die; and
// terminate().
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <optional>
#include <string>
#include <utility>

#include "mpp/errors.hpp"
#include "posix/syscall.hpp"
#include "process/executor_impl.hpp"
#include "process/forkserver.hpp"
#include "process/shared_arena.hpp"
#include "process/spawn.hpp"
#include "remote/tunables.hpp"

namespace mpp::detail {

std::atomic<void (*)()> g_before_timeout_kill{nullptr};

// Starts the worker of `s` by the pool's start method. Dispatcher thread only: a worker dies
// with the thread that started it (PR_SET_PDEATHSIG), and the pool's thread lives as long as
// the pool.
void ProcessExecutor::Impl::spawn(Slot& s) {
  const bool spawned = options.start_method != StartMethod::fork;  // shares memfds, not a copy
  s.shared = std::make_unique<SharedObject<WorkerShared>>(spawned);
  s.requests = Ring(k_ring_bytes, &s.shared->get()->requests, spawned);
  s.responses = Ring(k_ring_bytes, &s.shared->get()->responses, spawned);
  s.setup = WorkerSetup{s.shared->get(),
                        &s.requests,
                        &s.responses,
                        dispatcher_shared.get(),
                        wake_fd.get(),
                        ::getpid(),
                        options.initializer,
                        options.maxtasksperchild,
                        options.task_timeout.count() > 0,
                        options.relocation,  // fork only (ProcessExecutorOptions)
                        nullptr,
                        s.index,
                        options.results_leave_machine,
                        options.prepare_worker};
  s.inflight.clear();
  s.writer = wire::RecordWriter();
  s.reader = wire::RecordReader();
  s.chunks_sent = 0;
  s.killed_for = 0;
  s.killed_to_cancel = false;
  s.corrupt = false;
  s.init_error = nullptr;
  if (options.arena != nullptr) {
    s.arena_holder = options.arena->new_holder();
    s.setup.arena = options.arena;
    s.setup.arena_holder = s.arena_holder;
  }
  if (spawned) {
    const SpawnSetup setup{s.shared->fd(),
                           s.requests.fd(),
                           s.responses.fd(),
                           k_ring_bytes,
                           dispatcher_shared.fd(),
                           wake_fd.get(),
                           options.initializer,
                           options.maxtasksperchild,
                           options.task_timeout.count() > 0,
                           s.index};
    // Under forkserver the server forks it (it is the server's child: its status comes from
    // there, its pidfd with it); under spawn this thread runs the program afresh.
    s.child = options.start_method == StartMethod::forkserver
                  ? forkserver_start(worker_setup_message(setup, forkserver_relocation()))
                  : spawn_worker(setup);
    // Mapped in both processes now: the descriptors are not needed any more.
    s.shared->close_fd();
    s.requests.close_fd();
    s.responses.close_fd();
  } else {
    const WorkerSetup& setup = s.setup;
    if (options.arena != nullptr) options.arena->before_fork();
    s.child = Child::fork([&setup] { worker_main(setup); });
  }
  s.state = SlotState::starting;
}

// The worker has ended (or never started).
void ProcessExecutor::Impl::release_slot(Slot& s) noexcept {
  // A slot of the arena it held (a result it wrote there and died before sending) is free again.
  if (s.arena_holder != 0) options.arena->reclaim(std::exchange(s.arena_holder, 0));
  s.child = Child();
  s.requests = Ring();
  s.responses = Ring();
  s.shared.reset();
  s.state = SlotState::empty;
}

bool ProcessExecutor::Impl::check_exits() noexcept {
  last_death_check = Clock::now();
  std::vector<pollfd> fds;
  std::vector<Slot*> owners;
  for (auto& s : slots) {
    if (s->child.pidfd() >= 0 && !s->reading) {
      fds.push_back({s->child.pidfd(), POLLIN, 0});
      owners.push_back(s.get());
    }
  }
  bool any = false;
  if (!fds.empty() && posix::retried("poll", [&] { return ::poll(fds.data(), fds.size(), 0); }) > 0) {
    for (std::size_t k = 0; k < fds.size(); ++k) {
      if ((fds[k].revents & (POLLIN | POLLHUP)) != 0) {
        on_exit(*owners[k]);
        any = true;
      }
    }
  }
  // A worker without a pidfd (pidfd_open failed: no descriptor left, or a tracer such as
  // valgrind that lacks it): waitpid tells, without waiting.
  for (auto& s : slots) {
    if (!s->child || s->child.pidfd() >= 0 || s->reading) continue;
    on_exit(*s);
    any |= !s->child;
  }
  return any;
}

// Whether a worker has no pidfd to wake the dispatcher when it exits (see check_exits()).
bool ProcessExecutor::Impl::unwatched_worker() const noexcept {
  return std::any_of(slots.begin(), slots.end(),
                     [](const auto& s) { return s->child && s->child.pidfd() < 0; });
}

// Kills the worker of `s` for the item it runs now, when `due(started_ns)` says so. The decision
// is final and about that item: it is claimed in the worker's `turn` word first (WorkerShared),
// so the worker cannot finish it and start another before the kill lands; whatever it still
// sends for the item is replaced by the kill's error (handle()), and the items after it run
// again elsewhere. False when nothing was claimed.
template <class Due>
bool ProcessExecutor::Impl::claim_and_kill(Slot& s, bool to_cancel, const Due& due) noexcept {
  if (s.state != SlotState::ready || s.inflight.empty() || s.killed_for != 0) return false;
  WorkerShared& shared = *s.shared->get();
  std::uint64_t turn = shared.turn.load(std::memory_order_acquire);
  if ((turn & 1) == 0 || (turn & k_claimed) != 0) return false;  // between items
  // Written before `turn`: this item's, unless it has ended since (then the claim fails).
  const std::uint64_t running = shared.running.load(std::memory_order_relaxed);
  // Its result is in already: it ended before the decision.
  if (running == 0 || running - 1 < s.inflight.front().next) return false;
  if (!due(shared.started_ns.load(std::memory_order_relaxed))) return false;
  if (!shared.turn.compare_exchange_strong(turn, turn | k_claimed, std::memory_order_acq_rel)) return false;
  s.killed_for = running;
  s.killed_to_cancel = to_cancel;
  if (auto hook = g_before_timeout_kill.load(std::memory_order_acquire)) hook();
  s.child.signal(SIGKILL);
  return true;
}

// Kills a worker whose item overran.
void ProcessExecutor::Impl::check_timeouts() noexcept {
  const std::int64_t limit = options.task_timeout.count();
  const std::int64_t now = monotonic_ns();
  for (auto& s : slots) {
    claim_and_kill(*s, false, [&](std::int64_t started) { return now - started > limit; });
  }
}

// RunningStopper: AsyncResult::cancel(Cancel::even_running) of a call sent to a worker.
void ProcessExecutor::Impl::stop_requested() noexcept {
  stops_wanted.store(true, std::memory_order_seq_cst);
  if (parked.load(std::memory_order_seq_cst)) wake_thread();
  wake_dispatcher();
}

// A call to stop that its worker has not started is marked so that the worker skips it, and
// completes here at once with TaskCancelled (the worker may be busy for long with the calls
// before it; what it reports for this one later is dropped). The one it runs is claimed and its
// worker killed. Looked at again on every round until each such call has its outcome.
void ProcessExecutor::Impl::check_stops() noexcept {
  if (!stops_wanted.exchange(false, std::memory_order_acq_rel)) return;
  bool left = false;
  for (auto& s : slots) {
    if (s->state != SlotState::ready) continue;
    for (InFlight& f : s->inflight) {
      if (!f.job->stop_requested() || f.settled) continue;
      left = true;
      if (!f.skip_sent) {
        f.skip_sent = true;
        if (mark_unwanted(skip_word(*s, f), f.sequence)) {
          settle_cancelled(f, "before its worker started it");
          continue;
        }
      }
      if (&f != &s->inflight.front()) continue;
      // A worker lets its running item be claimed with task_timeout, or in a call's chunk of one
      // item; it runs a map's items without a claim. A worker that runs those (an MPI rank's
      // relayed chunk that rank 0 stops) is killed whatever it runs, once every chunk it holds is
      // to stop: they all settle now.
      if (options.task_timeout.count() > 0 || f.job->single_task()) {
        claim_and_kill(*s, true, [](std::int64_t) { return true; });
      } else if (std::all_of(s->inflight.begin(), s->inflight.end(),
                             [](const InFlight& g) { return g.job->stop_requested(); })) {
        for (InFlight& g : s->inflight) {
          if (!g.settled) settle_cancelled(g, "while it ran; its worker was killed");
        }
        s->child.signal(SIGKILL);
      }
    }
  }
  if (left) stops_wanted.store(true, std::memory_order_release);
}

// Every item of `f` not reported yet fails with TaskCancelled now (`when`: for the message); the
// worker skips them, or is killed.
void ProcessExecutor::Impl::settle_cancelled(InFlight& f, const char* when) noexcept {
  f.settled = true;
  std::exception_ptr error;
  try {
    throw TaskCancelled(std::string(options.name) + ": the call was cancelled (AsyncResult::cancel) " + when);
  } catch (...) {
    error = std::current_exception();
  }
  for (std::size_t i = f.next; i < f.end; ++i) f.job->accept_error(i, error);
}

// What a claimed item fails with.
std::exception_ptr ProcessExecutor::Impl::kill_error(const Slot& s, RemoteJob& job,
                                                     std::size_t item) const noexcept {
  if (!s.killed_to_cancel) return timeout_error(job, item);
  try {
    throw TaskCancelled(
        std::string(options.name) +
        ": the call was cancelled while it ran (AsyncResult::cancel with Cancel::even_running); "
        "its worker was killed and replaced");
  } catch (...) {
    return std::current_exception();
  }
}

// "item 250" (its position in the caller's input), or "the task" for an apply_async.
std::string ProcessExecutor::Impl::describe_item(RemoteJob& job, std::size_t i) {
  if (job.single_task()) return "the task";
  return "item " + std::to_string(job.input_position(i));
}

std::exception_ptr ProcessExecutor::Impl::timeout_error(RemoteJob& job, std::size_t i) const noexcept {
  try {
    throw TimeoutError(std::string(options.name) + ": " + describe_item(job, i) +
                       " ran longer than task_timeout; its worker was killed and replaced");
  } catch (...) {
    return std::current_exception();
  }
}

// The chunk's workers died `losses` times in a row before item i started: it fails with
// WorkerLost, which says how the last one ended (`death`).
std::exception_ptr ProcessExecutor::Impl::unattributed_error(RemoteJob& job, std::size_t i,
                                                             std::uint32_t losses,
                                                             const std::string& death) const noexcept {
  try {
    throw WorkerLost(std::string(options.name) + ": " + std::to_string(losses) +
                     " workers in a row died before " + describe_item(job, i) +
                     " started; it is not sent again (the last: " + death + ")");
  } catch (...) {
    return std::current_exception();
  }
}

// When the next item could time out, as far as we know now.
Deadline ProcessExecutor::Impl::next_timeout() noexcept {
  if (options.task_timeout.count() <= 0) return k_no_deadline;
  Deadline next = k_no_deadline;
  const std::int64_t now = monotonic_ns();
  for (auto& s : slots) {
    if (s->state != SlotState::ready || s->inflight.empty()) continue;
    const std::uint64_t running = s->shared->get()->running.load(std::memory_order_acquire);
    // Between items we do not know when the next starts: look again a timeout from now.
    const std::int64_t started =
        running != 0 ? s->shared->get()->started_ns.load(std::memory_order_relaxed) : now;
    const auto left =
        std::chrono::nanoseconds(std::max<std::int64_t>(0, started + options.task_timeout.count() - now));
    next = std::min(next, Clock::now() + left + std::chrono::microseconds(100));
  }
  return next;
}

// A worker exited (pidfd readable): collect what it finished, fail the item it was running,
// queue the rest again, and start a replacement.
void ProcessExecutor::Impl::on_exit(Slot& s) noexcept {
  // Never blocks: a descriptor number seen by an outer poll() may belong to a newer worker by now.
  std::optional<int> ended;
  std::string status_lost;  // why its wait status cannot be had, if it cannot
  try {
    ended = s.child ? s.child.poll() : std::nullopt;
  } catch (const std::exception& e) {  // reaped where its status is lost: gone all the same
    ended = 0;
    status_lost = e.what();
  } catch (...) {
    ended = 0;
    status_lost = "its exit status is lost";
  }
  if (!ended) return;
  const int status = *ended;
  read(s, true);
  const SlotState was = s.state;
  // Callbacks run below (through the jobs): keep them from reading or feeding this slot.
  s.state = SlotState::exiting;
  s.reading = true;
  const std::uint64_t running = s.shared->get()->running.load(std::memory_order_acquire);
  std::exception_ptr lost;
  std::string death;  // how it ended, for messages
  if (!s.inflight.empty()) {
    try {
      const InFlight& front = s.inflight.front();
      if (s.killed_for != 0 && s.killed_for == running) {
        std::rethrow_exception(kill_error(s, *front.job, front.next));
      }
      death = s.corrupt              ? std::string("it sent a corrupt message")
              : !status_lost.empty() ? status_lost
                                     : Child::describe(status);
      throw WorkerLost(std::string(options.name) + ": the worker running " +
                       describe_item(*front.job, front.next) + " died (" + death + ")");
    } catch (...) {
      lost = std::current_exception();
    }
  }
  std::vector<Task*> again;
  bool first = true;
  std::deque<InFlight> chunks;
  chunks.swap(s.inflight);
  for (InFlight& f : chunks) {
    if (f.settled) {  // its items have their outcomes (cancelled) already
      first = false;
      release_task(f.task);
      continue;
    }
    std::uint32_t losses = 0;
    if (first && f.next < f.end) {
      const bool blamed = running != 0 && running - 1 == f.next;
      if (!blamed && f.next == f.task->begin) losses = f.task->unattributed_losses + 1;
      if (losses >= k_unattributed_losses) {
        f.job->accept_error(f.next, unattributed_error(*f.job, f.next, losses, death));
        losses = 0;
        ++f.next;
      } else if (blamed) {
        f.job->accept_error(f.next, lost);
        ++f.next;
      }
    }
    first = false;
    send_again(again, *f.task, f.next, f.end, losses);
    release_task(f.task);
  }
  pending.insert(pending.begin(), again.begin(), again.end());
  const std::exception_ptr init_error = s.init_error;
  s.reading = false;
  release_slot(s);

  if (starting_up) {
    if (!init_error && !startup_error) {
      try {
        throw WorkerLost(
            std::string(options.name) + ": a worker died " +
            (options.initializer != nullptr ? "while running the initializer" : "while starting") + " (" +
            Child::describe(status) + ")");
      } catch (...) {
        startup_error = std::current_exception();
      }
    }
    return;
  }
  if (stopping || was == SlotState::stopping || terminated.load(std::memory_order_relaxed)) return;
  // A worker that ended before it was ready failed to start, however it ended: a thrown
  // initializer exception, or a death (a signal, abort(), _exit()) while the initializer ran.
  std::exception_ptr failure = init_error;
  if (!failure && was == SlotState::starting) {
    try {
      throw WorkerLost(std::string(options.name) + ": a replacement worker died " +
                       (options.initializer != nullptr ? "while running the initializer" : "while starting") +
                       " (" + Child::describe(status) + ")");
    } catch (...) {
      failure = std::current_exception();
    }
  }
  if (failure) {
    if (++s.init_failures >= k_init_attempts) {
      const bool none_left = std::all_of(slots.begin(), slots.end(), [](const auto& o) {
        return o->state == SlotState::empty && !o->respawn;  // none running, none to be started
      });
      if (none_left) broken = failure;
      return;
    }
  }
  // Started by the dispatcher thread, never by a driving caller: a worker dies with the thread
  // that started it (PR_SET_PDEATHSIG), and the pool's thread lives as long as the pool.
  s.respawn = true;
  if (!here() && parked.load(std::memory_order_seq_cst)) wake_thread();
}

// Dispatcher thread only: starts the replacements on_exit() asked for.
bool ProcessExecutor::Impl::spawn_missing() noexcept {
  bool any = false;
  for (auto& s : slots) {
    if (s->state != SlotState::empty || !s->respawn) continue;
    s->respawn = false;
    any = true;
    if (stopping || terminated.load(std::memory_order_relaxed)) continue;
    try {
      spawn(*s);
    } catch (...) {
      release_slot(*s);
      if (std::all_of(slots.begin(), slots.end(),
                      [](const auto& o) { return o->state == SlotState::empty; })) {
        broken = std::current_exception();
      }
    }
  }
  return any;
}

void ProcessExecutor::Impl::do_terminate() noexcept {
  mark_terminated();
  for (auto& s : slots) {
    s->child.signal(SIGKILL);
  }
  for (auto& s : slots) {
    std::deque<InFlight> chunks;
    chunks.swap(s->inflight);
    for (InFlight& f : chunks) cancel_task(f.task);
  }
  // The workers are reaped when the dispatcher loop ends (this may run inside a callback).
  cancel_queued();
}

}  // namespace mpp::detail
