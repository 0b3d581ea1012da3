#include "mpp/detail/process/process_executor.hpp"

#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <deque>
#include <exception>
#include <mutex>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "mpp/detail/core/result_state.hpp"
#include "mpp/detail/core/throw.hpp"
#include "mpp/detail/core/wait.hpp"
#include "mpp/detail/posix/child.hpp"
#include "mpp/detail/remote/exception_codec.hpp"
#include "mpp/detail/remote/remote.hpp"
#include "mpp/errors.hpp"
#include "posix/syscall.hpp"
#include "process/forkserver.hpp"
#include "process/ring.hpp"
#include "process/spawn.hpp"
#include "process/wire.hpp"
#include "process/worker.hpp"
#include "remote/host.hpp"
#include "remote/outcomes.hpp"
#include "remote/scheduling.hpp"

namespace mpp::detail {

std::atomic<void (*)()> g_before_timeout_kill{nullptr};
std::atomic<void (*)()> g_before_dispatcher_sleeps{nullptr};

namespace {

// An object in its own MAP_SHARED pages, which forked workers share. `exportable`: the pages are
// a memfd's, kept open (close-on-exec) as fd() so that a spawned worker can map them too.
template <class T>
class SharedObject {
 public:
  explicit SharedObject(bool exportable = false) {
    const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    bytes_ = (sizeof(T) + page - 1) / page * page;
    if (exportable) {
      fd_ = posix::checked("memfd_create", [] { return ::memfd_create("mpp-shared", MFD_CLOEXEC); });
    }
    void* memory = nullptr;
    try {
      if (exportable)
        posix::checked("ftruncate", [&] { return ::ftruncate(fd_, static_cast<off_t>(bytes_)); });
      memory = posix::checked_mmap("mmap", nullptr, bytes_, PROT_READ | PROT_WRITE,
                                   exportable ? MAP_SHARED : MAP_SHARED | MAP_ANONYMOUS, fd_, 0);
    } catch (...) {
      close_fd();
      throw;
    }
    object_ = new (memory) T();
  }
  SharedObject(const SharedObject&) = delete;
  SharedObject& operator=(const SharedObject&) = delete;
  ~SharedObject() {
    object_->~T();
    ::munmap(object_, bytes_);
    close_fd();
  }
  T* get() const noexcept { return object_; }
  int fd() const noexcept { return fd_; }
  void close_fd() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  /// Replaces the pages with private zeroed ones at the same address (T must be valid all
  /// zeroes): shared with no process any more, yet still there for a late access from this one.
  void unshare() noexcept {
    ::mmap(object_, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  }

 private:
  T* object_ = nullptr;
  std::size_t bytes_ = 0;
  int fd_ = -1;
};

// Sets the calling thread's function relocation (remote.hpp) for a scope, restoring the one it
// had: one thread may drive pools of both start methods, and MPI's, in turn.
class RelocationScope {
 public:
  explicit RelocationScope(const FunctionRelocation* relocation) noexcept : saved_(t_function_relocation) {
    t_function_relocation = relocation;
  }
  RelocationScope(const RelocationScope&) = delete;
  RelocationScope& operator=(const RelocationScope&) = delete;
  ~RelocationScope() { t_function_relocation = saved_; }

 private:
  const FunctionRelocation* saved_;
};

// A chunk sent to a worker: its items without an outcome yet (ChunkProgress), and its task.
struct InFlight : ChunkProgress {
  Task* task;
  std::uint64_t sequence;
  Clock::time_point sent;
  bool skip_sent = false;
};

enum class SlotState { empty, starting, ready, stopping, exiting };

struct Slot {
  std::unique_ptr<SharedObject<WorkerShared>> shared;
  Ring requests;
  Ring responses;
  WorkerSetup setup;
  Child child;
  SlotState state = SlotState::empty;
  std::deque<InFlight> inflight;
  wire::RecordWriter writer;
  wire::RecordReader reader;
  RequestBuilder builder;
  wire::ChunkHeader chunk_header{};
  std::vector<wire::Part> parts;
  std::size_t chunks_sent = 0;    // also the next chunk's sequence
  std::uint64_t killed_for = 0;   // index + 1 of the item it was killed for (claimed)
  bool killed_to_cancel = false;  // ... by AsyncResult::cancel(), not for task_timeout
  bool corrupt = false;           // sent something that breaks the protocol: killed
  bool reading = false;           // its records are being handled (callbacks may re-enter)
  bool respawn = false;           // exited: the dispatcher thread starts a replacement
  ServiceTime service;
  std::exception_ptr init_error;
  int init_failures = 0;
};

}  // namespace

struct ProcessExecutor::Impl final : RemoteHost, Helper, Driver, RunningStopper {
  explicit Impl(const ProcessExecutorOptions& opts)
      : RemoteHost(opts.workers),
        options(opts),
        relocation(opts.start_method == StartMethod::spawn        ? &spawn_relocation()
                   : opts.start_method == StartMethod::forkserver ? &forkserver_relocation()
                                                                  : nullptr),
        dispatcher_shared(opts.start_method != StartMethod::fork) {}
  ~Impl() override {
    if (wake_fd >= 0) ::close(wake_fd);
  }

  ProcessExecutorOptions options;
  // How function addresses cross: null under fork (as they are), relocated under spawn and
  // forkserver (the workers run a fresh load of the program).
  const FunctionRelocation* relocation;
  SharedObject<DispatcherShared> dispatcher_shared;
  // The dispatcher's wake-up eventfd. Set before the thread starts and closed once it has been
  // joined (join() leaves no descriptor open); callers write it under wake_mutex, so a late
  // wake-up (a close() after join()) never writes a descriptor number reused meanwhile.
  int wake_fd = -1;
  std::mutex wake_mutex;
  std::vector<std::unique_ptr<Slot>> slots;

  // Start-up handshake with the constructor.
  std::atomic<std::uint32_t> started_word{0};  // 1 once every worker is ready or start-up failed
  std::atomic<std::uint32_t> started_waiters{0};
  std::exception_ptr startup_error;  // written by the dispatcher before started_word

  // The right to move the pool's work along (step()): the dispatcher thread's normally, a waiting
  // caller's while the dispatcher thread sleeps. Everything below it is touched under it only.
  std::mutex role;
  std::atomic<bool> driving{false};  // a caller holds the role
  std::atomic<bool> parked{false};   // the dispatcher thread sleeps (or is about to)
  bool thread_holds_role = false;    // dispatcher thread only

  // The dispatcher's own state.
  bool starting_up = true;
  bool stopping = false;
  std::exception_ptr broken;              // no worker can be started: every task fails with this
  Clock::time_point last_death_check{};   // under the role
  std::atomic<bool> exit_seen{false};     // a poll() without the role saw a pidfd ready
  std::atomic<bool> stops_wanted{false};  // a job asks for its running call to be stopped

  // --- spawning -------------------------------------------------------------------------------

  // Starts the worker of `s` by the pool's start method. Dispatcher thread only: a worker dies
  // with the thread that started it (PR_SET_PDEATHSIG), and the pool's thread lives as long as
  // the pool.
  void spawn(Slot& s) {
    const bool spawned = options.start_method != StartMethod::fork;  // shares memfds, not a copy
    s.shared = std::make_unique<SharedObject<WorkerShared>>(spawned);
    s.requests = Ring(k_ring_bytes, &s.shared->get()->requests, spawned);
    s.responses = Ring(k_ring_bytes, &s.shared->get()->responses, spawned);
    s.setup = WorkerSetup{s.shared->get(),
                          &s.requests,
                          &s.responses,
                          dispatcher_shared.get(),
                          wake_fd,
                          ::getpid(),
                          options.initializer,
                          options.maxtasksperchild,
                          options.task_timeout.count() > 0,
                          nullptr,
                          nullptr};
    s.inflight.clear();
    s.writer = wire::RecordWriter();
    s.reader = wire::RecordReader();
    s.chunks_sent = 0;
    s.killed_for = 0;
    s.killed_to_cancel = false;
    s.corrupt = false;
    s.init_error = nullptr;
    if (spawned) {
      const SpawnSetup setup{s.shared->fd(),      s.requests.fd(),          s.responses.fd(),
                             k_ring_bytes,        dispatcher_shared.fd(),   wake_fd,
                             options.initializer, options.maxtasksperchild, options.task_timeout.count() > 0};
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
      s.child = Child::fork([&setup] { worker_main(setup); });
    }
    s.state = SlotState::starting;
  }

  void release_slot(Slot& s) noexcept {
    s.child = Child();
    s.requests = Ring();
    s.responses = Ring();
    s.shared.reset();
    s.state = SlotState::empty;
  }

  // --- notifications --------------------------------------------------------------------------

  static void wake_worker(RingState& state, std::atomic<std::uint32_t> RingState::*word,
                          std::atomic<std::uint32_t> RingState::*waiting) noexcept {
    (state.*word).fetch_add(1, std::memory_order_seq_cst);
    if ((state.*waiting).load(std::memory_order_seq_cst) != 0)
      futex_wake_all(state.*word, FutexScope::shared);
  }

  void wake_dispatcher() noexcept override {
    // As the workers' detail::wake_dispatcher(): only the first to find it asleep writes.
    DispatcherShared& d = *dispatcher_shared.get();
    if (d.sleeping.load(std::memory_order_seq_cst) != 0 &&
        d.sleeping.exchange(0, std::memory_order_seq_cst) != 0)
      wake_thread();
  }
  // Callbacks posted by a caller that completed results: the thread runs them, even if it parked.
  void wake_for_callbacks() noexcept override {
    if (parked.load(std::memory_order_seq_cst)) wake_thread();
  }
  void wake_for_terminate() noexcept override { wake_thread(); }
  bool callers_drive() const noexcept override { return true; }

  // --- the dispatcher loop -------------------------------------------------------------------

  void main() noexcept {
    enter_dispatcher();
    set_thread_helper(this);
    std::unique_lock lock(role);
    thread_holds_role = true;
    try {
      for (auto& s : slots) spawn(*s);
    } catch (...) {
      startup_error = std::current_exception();
    }
    for (;;) {
      run_posted();
      if (!lock.owns_lock() && !take_role(lock)) continue;
      thread_holds_role = true;
      const bool progress = step() | spawn_missing();
      if (finished()) break;
      if (!progress) idle(lock);
    }
    // Every worker is gone or killed: reap them all, so no zombie outlives join().
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
    lock.unlock();
    run_posted();
    set_thread_helper(nullptr);
    leave_dispatcher();
  }

  // The dispatcher thread wants the role back from a driving caller. False: it parked meanwhile.
  bool take_role(std::unique_lock<std::mutex>& lock) noexcept {
    if (lock.try_lock()) return true;
    // A caller drives. Park; its release sees `parked` and wakes us if work is left (seq_cst on
    // both flags: either it sees us parked, or we see it gone and retry).
    parked.store(true, std::memory_order_seq_cst);
    if (!driving.load(std::memory_order_seq_cst)) {
      parked.store(false, std::memory_order_seq_cst);
      return lock.try_lock();
    }
    // Callbacks the driver completed are ours to run, and their results are not ready until we do:
    // post() counts, then looks for `parked`; either it saw us parked, or we see its count here.
    if (posted_count.load(std::memory_order_seq_cst) != 0) {
      parked.store(false, std::memory_order_seq_cst);
      return false;
    }
    wait_for_events(sleep_set(/*watch_workers=*/false), k_no_deadline);
    parked.store(false, std::memory_order_seq_cst);
    return false;
  }

  // Nothing to do: spin a little with the role, then sleep without it.
  void idle(std::unique_lock<std::mutex>& lock) noexcept {
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
    Deadline deadline = next_timeout();
    if (unwatched_worker()) deadline = std::min(deadline, Clock::now() + k_death_check);
    auto fds = sleep_set(/*watch_workers=*/true);
    if (auto hook = g_before_dispatcher_sleeps.load(std::memory_order_acquire)) hook();
    thread_holds_role = false;
    lock.unlock();
    wait_for_events(std::move(fds), deadline);
    dispatcher_shared.get()->sleeping.store(0, std::memory_order_seq_cst);
    parked.store(false, std::memory_order_seq_cst);
  }

  // Driver: a caller waiting on a result moves the work along itself while it waits, saving two
  // hand-offs between threads per round trip.
  bool drive(FunctionRef<bool()> done, Deadline deadline) noexcept override {
    if (here()) return done();  // the dispatcher thread helps through help()
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
    if (thread_parked && (work_left || incoming_count.load(std::memory_order_seq_cst) != 0 ||
                          terminate_requested.load(std::memory_order_seq_cst))) {
      wake_thread();
    }
    return satisfied;
  }

  bool has_work() const noexcept {
    if (!pending.empty()) return true;
    return std::any_of(slots.begin(), slots.end(), [](const auto& s) {
      return !s->inflight.empty() || s->writer.busy() || s->state == SlotState::starting ||
             (s->state == SlotState::empty && s->respawn);
    });
  }

  void wake_thread() noexcept {
    const std::uint64_t one = 1;
    std::lock_guard lock(wake_mutex);
    if (wake_fd >= 0) posix::retried("write", [&] { return ::write(wake_fd, &one, sizeof(one)); });
  }

  void close_wake_fd() noexcept {
    std::lock_guard lock(wake_mutex);
    if (wake_fd >= 0) ::close(wake_fd);
    wake_fd = -1;
  }

  const char* name() const noexcept override { return options.name; }
  Driver* driver() noexcept override { return this; }
  RunningStopper* stopper() noexcept override { return this; }

  // RemoteHost: the dispatcher thread has been joined, every worker reaped: nothing shared is left
  // once join() returns (a late wake-up from close() finds a private page and no descriptor).
  void on_joined() noexcept override {
    close_wake_fd();
    dispatcher_shared.close_fd();
    dispatcher_shared.unshare();
  }

  // One round of everything; true when something happened.
  bool step() noexcept {
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
      progress |= check_exits(0);
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

  bool finished() noexcept {
    if (terminated.load(std::memory_order_relaxed)) return true;
    if (!stopping) return false;
    return std::all_of(slots.begin(), slots.end(),
                       [](const auto& s) { return s->state == SlotState::empty; });
  }

  bool check_started() noexcept {
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
  bool maybe_stop() noexcept {
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
  std::vector<pollfd> sleep_set(bool watch_workers) const {
    std::vector<pollfd> fds;
    fds.push_back({wake_fd, POLLIN, 0});
    for (const auto& s : slots) {
      if (watch_workers && s->child.pidfd() >= 0) fds.push_back({s->child.pidfd(), POLLIN, 0});
    }
    return fds;
  }

  // ppoll() on `fds` (sleep_set()), without the role.
  void wait_for_events(std::vector<pollfd> fds, Deadline deadline) noexcept {
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
      posix::retried("read", [&] { return ::read(wake_fd, &count, sizeof(count)); });
    }
    // A worker that exited is handled by the next step(), under the role. (A descriptor closed and
    // reused meanwhile at worst makes this a false alarm.)
    bool exits = false;
    for (std::size_t k = 1; k < fds.size(); ++k)
      exits |= (fds[k].revents & (POLLIN | POLLHUP | POLLNVAL)) != 0;
    if (exits) exit_seen.store(true, std::memory_order_release);
  }

  bool check_exits(int /*timeout*/) noexcept {
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
  bool unwatched_worker() const noexcept {
    return std::any_of(slots.begin(), slots.end(),
                       [](const auto& s) { return s->child && s->child.pidfd() < 0; });
  }

  // --- responses ------------------------------------------------------------------------------

  bool read(Slot& s, bool dead) noexcept {
    if (s.reading || (s.state == SlotState::empty)) return false;
    s.reading = true;
    bool any = false;
    while (!s.corrupt) {
      std::optional<wire::RecordView> record;
      const std::uint64_t tail = s.responses.state().tail.load(std::memory_order_relaxed);
      try {
        record = s.reader.peek(s.responses);
      } catch (...) {  // no memory to gather a huge record
        s.corrupt = true;
        break;
      }
      if (s.responses.state().tail.load(std::memory_order_relaxed) != tail) {
        // Part of a record larger than the ring was gathered: the worker may wait for that room.
        wake_worker(s.responses.state(), &RingState::space_word, &RingState::producer_waiting);
        any = true;
      }
      if (!record || !handle(s, *record, dead)) break;
      if (terminated.load(std::memory_order_relaxed)) break;  // a callback terminated the pool
      s.reader.consume(s.responses);
      wake_worker(s.responses.state(), &RingState::space_word, &RingState::producer_waiting);
      any = true;
    }
    if (s.corrupt && !dead) s.child.signal(SIGKILL);
    s.reading = false;
    return any;
  }

  // False: the record is not complete yet (an open block).
  bool handle(Slot& s, const wire::RecordView& record, bool dead) noexcept {
    const auto payload = record.payload;
    switch (record.kind) {
      case wire::Kind::ready:
        if (s.state == SlotState::starting) s.state = SlotState::ready;
        s.init_failures = 0;
        return true;
      case wire::Kind::init_error:
        s.init_error = decode_exception(payload);
        return true;
      case wire::Kind::value:
      case wire::Kind::error:
      case wire::Kind::block: {
        if (s.inflight.empty()) return protocol_error(s);
        InFlight& f = s.inflight.front();
        const Taken taken = take_outcome(f, record, dead, s.killed_for,
                                         [&](std::size_t i) { return kill_error(s, *f.job, i); });
        if (taken == Taken::malformed) return protocol_error(s);
        return taken == Taken::yes;
      }
      case wire::Kind::chunk_end: {
        if (s.inflight.empty() || s.inflight.front().next != s.inflight.front().end) return protocol_error(s);
        // Short chunks queue deeper (pipeline_depth()).
        s.service.chunk_ended(s.inflight.front().sent, Clock::now());
        release_task(s.inflight.front().task);
        s.inflight.pop_front();
        return true;
      }
      default:
        return protocol_error(s);
    }
  }

  bool protocol_error(Slot& s) noexcept {
    s.corrupt = true;
    return false;
  }

  // --- requests -------------------------------------------------------------------------------

  // Every ready worker gets chunks in turn, one per round, up to its pipeline depth.
  bool feed_all() noexcept {
    bool progress = false;
    for (auto& s : slots) progress |= continue_writing(*s);
    return feed_in_turn(pending, slots, [this](auto& s) { return send_one(*s); }) || progress;
  }

  // Tells workers to skip chunks nobody wants any more, and goes on writing a request larger
  // than the ring. False when there was nothing to do.
  bool continue_writing(Slot& s) noexcept {
    if (s.state != SlotState::ready) return false;
    bool progress = false;
    for (InFlight& f : s.inflight) {
      if (!f.skip_sent && !f.job->wanted()) {  // an abandoned imap: its worker skips what is left
        mark_unwanted(skip_word(s, f), f.sequence);
        f.skip_sent = true;
      }
    }
    if (s.writer.busy()) {
      // Whether this published anything, from the head only this side moves: the free space
      // also grows as the worker reads, and when the ring was full the writer writes exactly
      // what the worker freed meanwhile, so comparing free space missed the wake-up, and the
      // worker slept with the rest of a request (> 4 MiB) in the ring and the dispatcher
      // waited for its results (a hang seen about once a minute in 10 MB chunks).
      const std::uint64_t before = s.requests.state().head.load(std::memory_order_relaxed);
      s.writer.advance(s.requests);
      if (s.requests.state().head.load(std::memory_order_relaxed) != before) {
        wake_worker(s.requests.state(), &RingState::data_word, &RingState::consumer_waiting);
        progress = true;
      }
    }
    return progress;
  }

  // Takes one pending task for `s`: sends it, or drops it if its job no longer wants it. False
  // when `s` cannot take one now.
  bool send_one(Slot& s) noexcept {
    if (s.state != SlotState::ready || s.writer.busy() || pending.empty() ||
        s.inflight.size() >= pipeline_depth(k_ring_pipeline, s.service, pending.size(), slots.size()) ||
        (options.maxtasksperchild != 0 && s.chunks_sent >= options.maxtasksperchild)) {
      return false;
    }
    Task* task = nullptr;
    RemoteJob* job = take_pending(pending, task);
    if (job == nullptr) return true;
    try {
      s.builder.clear();
      // Under spawn the entry follows the header as (module, offset), and so do the functions in
      // the request: whichever thread encodes (the dispatcher, or a caller driving the pool).
      const RelocationScope scope(relocation);
      const auto entry = reinterpret_cast<std::uintptr_t>(job->entry());
      if (relocation != nullptr) relocation->encode(s.builder.bytes(), entry);
      job->encode_request(task->begin, task->end, s.builder);
      s.parts.clear();
      s.chunk_header = {relocation != nullptr ? 0 : static_cast<std::uint64_t>(entry), task->begin, task->end,
                        s.chunks_sent};
      s.parts.push_back({reinterpret_cast<const std::byte*>(&s.chunk_header), sizeof(s.chunk_header)});
      for (const auto& segment : s.builder.segments()) {
        s.parts.push_back(
            {segment.external != nullptr ? segment.external : s.builder.bytes().data() + segment.offset,
             segment.size});
      }
    } catch (...) {  // an argument that cannot be encoded fails its items, not the pool
      fail_task(task, std::current_exception());
      return true;
    }
    s.writer.start(wire::Kind::chunk, s.parts);
    s.inflight.push_back({{job, task->begin, task->end, false}, task, s.chunks_sent, Clock::now()});
    ++s.chunks_sent;
    s.writer.advance(s.requests);  // the rest, if it does not fit, as the worker reads
    wake_worker(s.requests.state(), &RingState::data_word, &RingState::consumer_waiting);
    return true;
  }

  bool fail_pending() noexcept {
    if (pending.empty()) return false;
    while (!pending.empty()) {
      Task* task = pending.front();
      pending.pop_front();
      fail_task(task, broken);
    }
    return true;
  }

  // --- supervision ----------------------------------------------------------------------------

  // Kills the worker of `s` for the item it runs now, when `due(started_ns)` says so. The decision
  // is final and about that item: it is claimed in the worker's `turn` word first (WorkerShared),
  // so the worker cannot finish it and start another before the kill lands; whatever it still
  // sends for the item is replaced by the kill's error (handle()), and the items after it run
  // again elsewhere. False when nothing was claimed.
  template <class Due>
  bool claim_and_kill(Slot& s, bool to_cancel, const Due& due) noexcept {
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
  void check_timeouts() noexcept {
    const std::int64_t limit = options.task_timeout.count();
    const std::int64_t now = monotonic_ns();
    for (auto& s : slots) {
      claim_and_kill(*s, false, [&](std::int64_t started) { return now - started > limit; });
    }
  }

  // RunningStopper: AsyncResult::cancel(Cancel::even_running) of a call sent to a worker.
  void stop_requested() noexcept override {
    stops_wanted.store(true, std::memory_order_seq_cst);
    if (parked.load(std::memory_order_seq_cst)) wake_thread();
    wake_dispatcher();
  }

  static std::atomic<std::uint64_t>& skip_word(Slot& s, const InFlight& f) noexcept {
    return s.shared->get()->skip[f.sequence % k_ring_pipeline.short_depth];
  }

  // A call to stop that its worker has not started is marked so that the worker skips it, and
  // completes here at once with TaskCancelled (the worker may be busy for long with the calls
  // before it; what it reports for this one later is dropped). The one it runs is claimed and its
  // worker killed. Looked at again on every round until each such call has its outcome.
  void check_stops() noexcept {
    if (!stops_wanted.exchange(false, std::memory_order_acq_rel)) return;
    bool left = false;
    for (auto& s : slots) {
      if (s->state != SlotState::ready) continue;
      for (InFlight& f : s->inflight) {
        if (!f.job->stop_requested()) continue;
        if (f.settled) continue;
        left = true;
        if (!f.skip_sent) {
          f.skip_sent = true;
          if (mark_unwanted(skip_word(*s, f), f.sequence)) {
            settle_cancelled(f);
            continue;
          }
        }
        if (&f == &s->inflight.front()) claim_and_kill(*s, true, [](std::int64_t) { return true; });
      }
    }
    if (left) stops_wanted.store(true, std::memory_order_release);
  }

  // Every item of `f` not reported yet fails with TaskCancelled now; the worker skips them.
  void settle_cancelled(InFlight& f) noexcept {
    f.settled = true;
    std::exception_ptr error;
    try {
      throw TaskCancelled(std::string(options.name) +
                          ": the call was cancelled (AsyncResult::cancel) before its worker started it");
    } catch (...) {
      error = std::current_exception();
    }
    for (std::size_t i = f.next; i < f.end; ++i) f.job->accept_error(i, error);
  }

  // What a claimed item fails with.
  std::exception_ptr kill_error(const Slot& s, RemoteJob& job, std::size_t item) const noexcept {
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
  static std::string describe_item(RemoteJob& job, std::size_t i) {
    if (job.single_task()) return "the task";
    return "item " + std::to_string(job.input_position(i));
  }

  std::exception_ptr timeout_error(RemoteJob& job, std::size_t i) const noexcept {
    try {
      throw TimeoutError(std::string(options.name) + ": " + describe_item(job, i) +
                         " ran longer than task_timeout; its worker was killed and replaced");
    } catch (...) {
      return std::current_exception();
    }
  }

  // The chunk's workers died `losses` times in a row before item i started: it fails with
  // WorkerLost, which says how the last one ended (`death`).
  std::exception_ptr unattributed_error(RemoteJob& job, std::size_t i, std::uint32_t losses,
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
  Deadline next_timeout() noexcept {
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
  void on_exit(Slot& s) noexcept {
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
      if (f.next < f.end) {
        try {
          f.task->job->add_ref();
          again.push_back(new Task{f.task->job, f.next, f.end, 0, true, losses});
        } catch (...) {
          f.task->job->release();
          for (std::size_t i = f.next; i < f.end; ++i) f.job->accept_error(i, std::current_exception());
        }
      }
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
        throw WorkerLost(
            std::string(options.name) + ": a replacement worker died " +
            (options.initializer != nullptr ? "while running the initializer" : "while starting") + " (" +
            Child::describe(status) + ")");
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
  bool spawn_missing() noexcept {
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

  void do_terminate() noexcept override {
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

  // Helper: a callback running on the dispatcher thread that waits on this pool keeps it moving
  // (the thread holds the role there, or takes it if no caller drives).
  bool help(const void* executor) noexcept override {
    if (executor != tag) return false;
    std::unique_lock lock(role, std::defer_lock);
    if (!thread_holds_role && !lock.try_lock()) return false;
    run_posted();
    step();
    return true;
  }
};

ProcessExecutor::ProcessExecutor(const ProcessExecutorOptions& options) {
  MPP_ASSERT(options.workers > 0);
  check_exit_status_available(options.name);
  auto owned = std::make_shared<Impl>(options);
  Impl& impl = *owned;
  host_ = owned;
  impl.wake_fd =
      static_cast<int>(posix::checked("eventfd", [] { return ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); }));
  for (std::size_t i = 0; i < options.workers; ++i) impl.slots.push_back(std::make_unique<Slot>());
  RemoteHost::start_dispatcher(owned);  // on failure, host_'s destructor closes wake_fd
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
  host_->shutdown();
}

}  // namespace mpp::detail
