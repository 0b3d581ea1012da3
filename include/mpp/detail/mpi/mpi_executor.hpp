// The MPI back end's executor: rank 0 hands chunks to the serving ranks (dynamic balancing, a
// bounded number in flight per rank) from a dispatcher thread, and takes their outcomes back
// (compiled in src/mpi/). The pool algorithms see the remote executors' interface.
#pragma once

#include <chrono>
#include <cstddef>

#include "mpp/detail/core/wait.hpp"
#include "mpp/detail/remote/remote_executor.hpp"

namespace mpp::detail {

struct MpiExecutorOptions {
  int* argc = nullptr;
  char*** argv = nullptr;
  std::size_t ranks = 0;  // serving ranks to use; 0 = all
  void (*initializer)() = nullptr;
  std::chrono::milliseconds rank_timeout{0};  // silence that loses a rank; 0 = never
  const char* name = "mpp::MpiPool";
  /// Worker processes each rank forks for the pool (0: the rank runs items itself; SIZE_MAX: one
  /// per CPU the rank may use), and their limits (as ProcessPool's; local workers only).
  std::size_t workers_per_rank = 0;
  std::chrono::nanoseconds task_timeout{0};
  std::size_t maxtasksperchild = 0;
};

/// terminate() completes every unfinished task with TaskCancelled at once; chunks already running on
/// a rank finish there (MPI cannot stop one rank) and their results are discarded.
class MpiExecutor : public RemoteExecutor {
 public:
  /// Starts the MPI session if needed. On a rank other than 0, serves tasks until rank 0 ends the
  /// session, then ends the process: it never returns there. On rank 0, runs the initializer on
  /// every serving rank (rethrowing the first exception) and starts the dispatcher thread.
  explicit MpiExecutor(const MpiExecutorOptions& options);
  /// Terminates and joins whatever still runs.
  ~MpiExecutor();

  struct Impl;
};

/// Starts the MPI session (collective: every rank calls it) and, on ranks other than 0, serves
/// tasks until rank 0 ends the session, then ends the process with exit code 0. Returns on rank 0.
void mpi_serve(int* argc, char*** argv);

/// Serving ranks of the session (starting it if needed): every rank but 0, or 1 for a single rank.
std::size_t mpi_servers(int* argc, char*** argv);

}  // namespace mpp::detail
