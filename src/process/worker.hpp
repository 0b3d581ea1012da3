// A worker process: what the parent and one worker share, and the worker's main loop.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>

#include "mpp/detail/core/config.hpp"
#include "mpp/detail/remote/remote.hpp"
#include "process/ring.hpp"
#include "remote/tunables.hpp"

namespace mpp::detail {

class SharedArena;

/// One worker's shared page: its rings' state and what it runs right now.
struct WorkerShared {
  RingState requests;
  RingState responses;
  // index + 1 of the item running now, 0 between items: if the worker dies, that item is lost.
  alignas(k_cache_line) std::atomic<std::uint64_t> running{0};
  std::atomic<std::int64_t> started_ns{0};  // CLOCK_MONOTONIC, when timeouts are on
  // In a chunk whose items may be killed (timeouts on; a one-item chunk, which
  // AsyncResult::cancel() may stop): odd while an item runs (the worker adds 1 as it starts and as
  // it ends one), even between items. The dispatcher claims a running item for a kill by setting
  // k_claimed on its odd value; a worker that finds its item claimed as it ends it reports
  // nothing more and waits for the kill, so the kill lands on the item it was meant for, never on
  // the next one.
  std::atomic<std::uint64_t> turn{0};
  // One word per chunk in flight, by sequence % the most in flight: see mark_unwanted().
  std::atomic<std::uint64_t> skip[k_ring_pipeline.short_depth] = {};
  // Start permits, by the same index (RemoteJob::permitted()): the parent writes `permit` before it
  // sends the chunk and raises it as the job permits more; the worker starts only items below it,
  // and asks for more by raising `ask` (the item it would start up to; `ahead`, written first: how
  // many of those it asks for ahead of need, its pace) and waking the parent.
  std::atomic<std::uint64_t> permit[k_ring_pipeline.short_depth] = {};
  std::atomic<std::uint64_t> ask[k_ring_pipeline.short_depth] = {};
  std::atomic<std::uint64_t> ahead[k_ring_pipeline.short_depth] = {};
};

// A chunk's skip word holds its sequence + 1 (shifted left by 2) and two flags: the parent sets
// k_unwanted when nobody wants the chunk's results any more (an abandoned imap, a cancelled call),
// the worker sets k_started as it starts the chunk. Each sets its flag by compare-and-swap, so
// exactly one is first: a chunk marked before its worker started it is skipped whole, and the
// parent may settle it at once instead of waiting for a worker that may be busy for long.
inline constexpr std::uint64_t k_unwanted = 1;
inline constexpr std::uint64_t k_started = 2;
constexpr std::uint64_t skip_tag(std::uint64_t sequence) noexcept { return (sequence + 1) << 2; }

/// The parent: chunk `sequence` is not wanted. True when its worker had not started it: the
/// worker will skip it whole (each item a TaskCancelled). False: the worker skips only the items
/// it has not started yet.
inline bool mark_unwanted(std::atomic<std::uint64_t>& word, std::uint64_t sequence) noexcept {
  std::uint64_t seen = word.load(std::memory_order_acquire);
  for (;;) {
    const bool same = (seen & ~std::uint64_t{3}) == skip_tag(sequence);
    if (word.compare_exchange_weak(seen, (same ? seen : skip_tag(sequence)) | k_unwanted,
                                   std::memory_order_acq_rel)) {
      return !same || (seen & k_started) == 0;
    }
  }
}

/// The worker: starts chunk `sequence`. False when the parent marked it unwanted first.
inline bool start_chunk(std::atomic<std::uint64_t>& word, std::uint64_t sequence) noexcept {
  std::uint64_t seen = word.load(std::memory_order_acquire);
  for (;;) {
    if (seen == (skip_tag(sequence) | k_unwanted)) return false;
    if (word.compare_exchange_weak(seen, skip_tag(sequence) | k_started, std::memory_order_acq_rel))
      return true;
  }
}

/// The worker: whether the parent no longer wants chunk `sequence` (skip the items not started).
inline bool unwanted(const std::atomic<std::uint64_t>& word, std::uint64_t sequence) noexcept {
  const std::uint64_t seen = word.load(std::memory_order_acquire);
  return (seen & ~std::uint64_t{3}) == skip_tag(sequence) && (seen & k_unwanted) != 0;
}

inline constexpr std::uint64_t k_claimed = std::uint64_t{1} << 63;

/// Test hook: when set, the dispatcher calls it after it has claimed an item for a timeout kill
/// and before it kills the worker (a test widens that window with it). Null in normal use.
extern std::atomic<void (*)()> g_before_timeout_kill;

/// Test hook: when set, the dispatcher thread calls it when it has decided to sleep and still holds
/// the role (a test widens that window with it). Null in normal use.
extern std::atomic<void (*)()> g_before_dispatcher_sleeps;

/// Test hook: when set, a worker calls it after it wrote a value into a slot of the arena and
/// before it sends the slot's address (a test kills the worker there). Null in normal use.
extern std::atomic<void (*)()> g_after_arena_value;

/// The parent's shared page.
struct DispatcherShared {
  alignas(k_cache_line) std::atomic<std::uint32_t> sleeping{0};  // the dispatcher sleeps in poll()
};

/// What a worker needs: fork copies it into the child; a spawned worker builds it from what its
/// parent sent (process/spawn.hpp).
struct WorkerSetup {
  WorkerShared* shared = nullptr;
  Ring* requests = nullptr;
  Ring* responses = nullptr;
  DispatcherShared* dispatcher = nullptr;
  int wake_fd = -1;  // eventfd the dispatcher polls
  pid_t parent = 0;
  void (*initializer)() = nullptr;
  std::size_t maxtasks = 0;  // chunks before the worker exits; 0 = never
  bool timed = false;        // record each item's start time (task_timeout)
  /// How functions arrive: null in a forked worker (addresses as they are), the spawn relocation
  /// in a spawned one (the chunk's entry then follows its header, relocated).
  const FunctionRelocation* relocation = nullptr;
  /// Set when the initializer could not even be found (a spawned worker): reported as its failure.
  std::exception_ptr initializer_error;
  std::size_t index = 0;               // its place in the pool (current_process())
  bool results_leave_machine = false;  // ProcessExecutorOptions::results_leave_machine
  void (*prepare)() = nullptr;         // ProcessExecutorOptions::prepare_worker
  SharedArena* arena = nullptr;        // ProcessExecutorOptions::arena (fork only)
  std::uint32_t arena_holder = 0;      // the worker's tag there (SharedArena::new_holder)
};

/// How a worker process ends by itself: its exit code. A pool reports a worker that ended while it
/// was still needed as WorkerLost with the code (a task may _exit() with any code too, so the pool
/// names the code, not this meaning).
enum class WorkerExit : int {
  stopped = 0,             // asked to stop, or maxtasksperchild chunks done
  orphaned = 1,            // its parent is gone (the death signal was missed)
  initializer_failed = 3,  // the initializer threw; the pool has the exception
  corrupt_request = 4,     // a request it cannot read: nothing to report it against
  cannot_report = 6,       // not even an error can be reported (no memory): the item is lost
  bad_setup = 7,           // a spawned worker whose setup is missing or malformed
};

/// Runs in the worker process (forked, or spawned); never returns (ends with _exit).
[[noreturn]] void worker_main(const WorkerSetup& setup) noexcept;

/// Nanoseconds of CLOCK_MONOTONIC (comparable between processes, unlike steady_clock in theory).
std::int64_t monotonic_ns() noexcept;

/// Wakes the dispatcher if it sleeps (after anything it may be waiting for).
void wake_dispatcher(DispatcherShared& dispatcher, int wake_fd) noexcept;

}  // namespace mpp::detail
