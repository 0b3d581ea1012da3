// ProcessExecutor::Impl: the process back end's host (remote/host.hpp), its workers' slots and the
// dispatcher's state. Its members are defined by concern:
//   dispatch.cpp    the dispatcher loop's steps (remote/host.hpp); the role a waiting caller takes
//                   to drive the pool itself; sleeping and waking
//   channel.cpp     the transport: requests written to a worker's ring, records read from the other
//   supervisor.cpp  workers started, watched, killed (timeouts, cancel) and replaced; terminate
#pragma once

#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "mpp/detail/core/wait.hpp"
#include "mpp/detail/posix/child.hpp"
#include "mpp/detail/posix/fd.hpp"
#include "mpp/detail/process/process_executor.hpp"
#include "mpp/detail/remote/remote.hpp"
#include "process/forkserver.hpp"
#include "process/ring.hpp"
#include "process/shared_object.hpp"
#include "process/spawn.hpp"
#include "process/wire.hpp"
#include "process/worker.hpp"
#include "remote/host.hpp"
#include "remote/outcomes.hpp"
#include "remote/scheduling.hpp"

namespace mpp::detail {

struct ProcessExecutor::Impl final : RemoteHost, Helper, Driver, RunningStopper {
  // A chunk sent to a worker: its items without an outcome yet (ChunkProgress), and its task.
  struct InFlight : ChunkProgress {
    Task* task;
    std::uint64_t sequence;
    Clock::time_point sent;
    bool skip_sent = false;
    std::uint64_t permit_shown = RemoteJob::k_all_permitted;  // in the worker's permit word
    std::uint64_t ask_seen = 0;                               // the worker's ask passed on
  };

  enum class SlotState { empty, starting, ready, stopping, exiting };

  struct Slot {
    std::size_t index = 0;  // its place in the pool, kept by replacements
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
    std::uint32_t arena_holder = 0;  // the worker's tag in options.arena (0: none)
  };

  explicit Impl(const ProcessExecutorOptions& opts)
      : RemoteHost(opts.workers),
        options(opts),
        relocation(opts.relocation != nullptr                     ? opts.relocation
                   : opts.start_method == StartMethod::spawn      ? &spawn_relocation()
                   : opts.start_method == StartMethod::forkserver ? &forkserver_relocation()
                                                                  : nullptr),
        dispatcher_shared(opts.start_method != StartMethod::fork) {}

  ProcessExecutorOptions options;
  // How function addresses cross: null under fork (as they are), relocated under spawn and
  // forkserver (the workers run a fresh load of the program).
  const FunctionRelocation* relocation;
  SharedObject<DispatcherShared> dispatcher_shared;
  // The dispatcher's wake-up eventfd. Set before the thread starts and closed once it has been
  // joined (join() leaves no descriptor open); callers write it under wake_mutex, so a late
  // wake-up (a close() after join()) never writes a descriptor number reused meanwhile.
  Fd wake_fd;
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
  std::unique_lock<std::mutex> role_lock{role, std::defer_lock};  // the dispatcher thread's hold

  // The dispatcher's own state.
  bool starting_up = true;
  bool stopping = false;
  std::exception_ptr broken;              // no worker can be started: every task fails with this
  Clock::time_point last_death_check{};   // under the role
  std::atomic<bool> exit_seen{false};     // a poll() without the role saw a pidfd ready
  std::atomic<bool> stops_wanted{false};  // a job asks for its running call to be stopped

  void wake_for_terminate() noexcept override { wake_thread(); }
  // The dispatcher marks chunks of unwanted jobs skipped in their workers' rings as it wakes.
  void skip_unwanted() noexcept override { wake_thread(); }
  bool callers_drive() const noexcept override { return true; }
  const char* name() const noexcept override { return options.name; }
  Driver* driver() noexcept override { return this; }
  RunningStopper* stopper() noexcept override { return this; }

  // --- dispatch.cpp ---------------------------------------------------------------------------
  void wake_dispatcher() noexcept override;
  void wake_for_callbacks() noexcept override;
  void begin_dispatch() noexcept;
  bool take_turn(Deadline deadline) noexcept;
  bool dispatch_round() noexcept;
  void idle(Deadline until) noexcept;
  void end_dispatch() noexcept;
  bool take_role(Deadline deadline) noexcept;
  bool drive(FunctionRef<bool()> done, Deadline deadline) noexcept override;
  bool has_work() const noexcept;
  void wake_thread() noexcept;
  void close_wake_fd() noexcept;
  void on_joined() noexcept override;
  bool step() noexcept;
  bool finished() noexcept;
  bool check_started() noexcept;
  bool maybe_stop() noexcept;
  std::vector<pollfd> sleep_set(bool watch_workers) const;
  void wait_for_events(std::vector<pollfd> fds, Deadline deadline) noexcept;
  Helped help(const void* executor, FunctionRef<bool()> done, Deadline deadline) noexcept override;

  // --- channel.cpp ----------------------------------------------------------------------------
  static void wake_worker(RingState& state, std::atomic<std::uint32_t> RingState::*word,
                          std::atomic<std::uint32_t> RingState::*waiting) noexcept;
  bool read(Slot& s, bool dead) noexcept;
  bool handle(Slot& s, const wire::RecordView& record, bool dead) noexcept;
  bool protocol_error(Slot& s) noexcept;
  bool take_mapped_value(Slot& s, std::span<const std::byte> payload, bool dead) noexcept;
  bool feed_all() noexcept;
  bool continue_writing(Slot& s) noexcept;
  bool send_one(Slot& s) noexcept;
  bool fail_pending() noexcept;
  static std::atomic<std::uint64_t>& skip_word(Slot& s, const InFlight& f) noexcept;
  static void pass_permits(Slot& s, InFlight& f) noexcept;

  // --- supervisor.cpp -------------------------------------------------------------------------
  void spawn(Slot& s);
  void release_slot(Slot& s) noexcept;
  bool check_exits() noexcept;
  bool unwatched_worker() const noexcept;
  template <class Due>
  bool claim_and_kill(Slot& s, bool to_cancel, const Due& due) noexcept;
  void check_timeouts() noexcept;
  void stop_requested() noexcept override;
  void check_stops() noexcept;
  void settle_cancelled(InFlight& f, const char* when) noexcept;
  std::exception_ptr kill_error(const Slot& s, RemoteJob& job, std::size_t item) const noexcept;
  static std::string describe_item(RemoteJob& job, std::size_t i);
  std::exception_ptr timeout_error(RemoteJob& job, std::size_t i) const noexcept;
  std::exception_ptr unattributed_error(RemoteJob& job, std::size_t i, std::uint32_t losses,
                                        const std::string& death) const noexcept;
  Deadline next_timeout() noexcept;
  void on_exit(Slot& s) noexcept;
  bool spawn_missing() noexcept;
  void do_terminate() noexcept override;
};

}  // namespace mpp::detail
