// The process back end: persistent worker processes (forked, or spawned), a shared-memory channel each, and a
// dispatcher thread that feeds them chunks, collects outcomes, and supervises them (compiled in
// src/process/). The pool algorithms see the remote executors' interface (remote_executor.hpp).
#pragma once

#include <chrono>
#include <cstddef>

#include "mpp/detail/core/wait.hpp"
#include "mpp/detail/remote/remote_executor.hpp"
#include "mpp/start_method.hpp"

namespace mpp::detail {

class FunctionRelocation;
class SharedArena;

struct ProcessExecutorOptions {
  std::size_t workers = 1;
  void (*initializer)() = nullptr;
  std::size_t maxtasksperchild = 0;
  std::chrono::nanoseconds task_timeout{0};
  const char* name = "mpp::ProcessPool";
  StartMethod start_method = StartMethod::fork;  // resolved: never the program's default
  /// Fork only: how functions cross to the workers when not as addresses (an MPI rank's workers run
  /// requests encoded by rank 0, whose functions cross with the MPI session's relocation).
  const FunctionRelocation* relocation = nullptr;
  /// The workers encode results for another machine (an MPI rank's workers: they go on to rank 0),
  /// so that nothing crosses as the name of a shared memory range.
  bool results_leave_machine = false;
  /// Fork only: runs first in each worker, before the initializer (an MPI rank's workers reset the
  /// fault handlers Open MPI installed and refuse MPI calls; see src/mpi/worker_guard.hpp).
  void (*prepare_worker)() = nullptr;
  /// Fork only: memory mapped before the workers fork, which large requests (a job's
  /// mapped_request()) and large results cross by address (process/shared_arena.hpp). Outlives the
  /// executor.
  SharedArena* arena = nullptr;
};

/// terminate() kills the workers.
class ProcessExecutor : public RemoteExecutor {
 public:
  /// Starts the workers (options.start_method) and waits until each ran the initializer; the first
  /// initializer exception is rethrown here (after stopping every worker).
  explicit ProcessExecutor(const ProcessExecutorOptions& options);
  /// Terminates and joins whatever still runs.
  ~ProcessExecutor();

  struct Impl;
};

}  // namespace mpp::detail
