// The spawn start method: a ProcessPool worker that is a fresh run of the program's own binary
// (/proc/self/exe) instead of a fork. The parent sends it, over an AF_UNIX socketpair (the child's
// end keeps its number across exec; k_spawn_variable names it), the memfds of what they share (the worker's
// page, its two rings, the dispatcher's page) and the wake-up eventfd (SCM_RIGHTS), with a small message: the
// parent's pid, maxtasksperchild, whether items are timed, and the initializer as (module, offset). The
// program's main() calls mpp::freeze_support() first thing; there, finding k_spawn_variable set,
// the process receives its setup and runs the same worker loop as a forked worker (worker_main).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>

#include "mpp/detail/posix/child.hpp"
#include "mpp/detail/remote/remote.hpp"

namespace mpp::detail {

/// The environment variable that makes freeze_support() a worker; its value is the descriptor of
/// the setup socket (whatever number the parent's end had: a fixed number could replace a
/// descriptor the program passes on to its children on purpose). Removed from the worker's
/// environment before anything else runs there.
inline constexpr const char* k_spawn_variable = "MPP_SPAWN_FD";

/// What freeze_support() recorded: whether main() called it, and argv[0].
bool freeze_support_called() noexcept;
void record_freeze_support(const char* argv0);

/// How function addresses cross to a spawned worker: (module build id, offset). Installed on the
/// threads that encode a spawn pool's requests, and in the spawned worker.
const FunctionRelocation& spawn_relocation() noexcept;

/// What one spawned worker is given. The descriptors stay the caller's (it closes them after).
struct SpawnSetup {
  int worker_shared_fd = -1;  // memfd of the WorkerShared page
  int requests_fd = -1;       // memfds of the two rings
  int responses_fd = -1;
  std::size_t ring_bytes = 0;
  int dispatcher_fd = -1;  // memfd of the DispatcherShared page
  int wake_fd = -1;        // the dispatcher's eventfd
  void (*initializer)() = nullptr;
  std::size_t maxtasks = 0;
  bool timed = false;
};

/// Starts a worker: sends its setup and runs /proc/self/exe with k_spawn_variable set. The child
/// dies with the calling thread (PR_SET_PDEATHSIG), as a forked worker does. Throws
/// mpp::SerializationError when the initializer cannot be named for the worker, std::system_error
/// when a system call fails.
Child spawn_worker(const SpawnSetup& setup);

/// In freeze_support() of a spawned worker: receives the setup from descriptor `fd` and serves the
/// pool. Never returns.
[[noreturn]] void run_spawned_worker(int fd) noexcept;

}  // namespace mpp::detail
