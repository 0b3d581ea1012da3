// The MPI back end's executor: rank 0 hands chunks to the serving ranks (dynamic balancing, a
// bounded number in flight per rank) from a dispatcher thread, and takes their outcomes back
// (compiled in src/mpi/). The pool algorithms see the same small interface as every executor's.
#pragma once

#include <cstddef>
#include <memory>

#include "mpp/detail/job.hpp"
#include "mpp/detail/result_state.hpp"
#include "mpp/detail/wait.hpp"

namespace mpp::detail {

struct MpiExecutorOptions {
  int* argc = nullptr;
  char*** argv = nullptr;
  std::size_t ranks = 0;  // serving ranks to use; 0 = all
  void (*initializer)() = nullptr;
  const char* name = "mpp::MpiPool";
};

class MpiExecutor {
 public:
  /// Starts the MPI session if needed. On a rank other than 0, serves tasks until rank 0 ends the
  /// session, then ends the process: it never returns there. On rank 0, runs the initializer on
  /// every serving rank (rethrowing the first exception) and starts the dispatcher thread.
  explicit MpiExecutor(const MpiExecutorOptions& options);
  MpiExecutor(const MpiExecutor&) = delete;
  MpiExecutor& operator=(const MpiExecutor&) = delete;
  /// Terminates and joins whatever still runs.
  ~MpiExecutor();

  std::size_t size() const noexcept;
  bool accepting() const noexcept;
  bool open_call() noexcept;
  void close_call() noexcept;
  /// Queues a task; its job must have a remote() side. Takes the task's reference.
  void submit(Task* task) noexcept;
  void submit_batch(Task* tasks, std::size_t count) noexcept;
  bool submit_call(Task* task, bool caller_waits = false) noexcept;
  void close() noexcept;
  /// Completes every unfinished task with TaskCancelled before returning. Chunks already running on
  /// a rank finish there (MPI cannot stop one rank) and their results are discarded.
  void terminate() noexcept;
  /// A job stopped wanting its chunks (an abandoned imap): tells the ranks to skip those they have
  /// not started, from the calling thread, before it returns. The dispatcher would too, but later
  /// when the machine is busy, and a rank may start a queued chunk in the meantime.
  void skip_unwanted() noexcept;
  bool terminated() const noexcept;
  void check_join(const char* who) const;
  /// Waits until every chunk sent to a rank has come back and every callback has run.
  void join(const char* who);
  const void* tag() const noexcept { return this; }
  /// Nullptr: only the dispatcher thread calls MPI for the pool.
  Driver* driver() noexcept { return nullptr; }
  /// Callbacks run on the dispatcher thread.
  CallbackRunner* callback_runner() noexcept;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

/// Starts the MPI session (collective: every rank calls it) and, on ranks other than 0, serves
/// tasks until rank 0 ends the session, then ends the process with exit code 0. Returns on rank 0.
void mpi_serve(int* argc, char*** argv);

/// Serving ranks of the session (starting it if needed): every rank but 0, or 1 for a single rank.
std::size_t mpi_servers(int* argc, char*** argv);

}  // namespace mpp::detail
