// The contract between the pool algorithms (written once, in pool_front.hpp) and the executors
// (threads, processes, MPI ranks): a Job is a set of numbered items; a Task is a run of them.
#pragma once

#include <cstddef>

#include "mpp/detail/core/ref.hpp"

namespace mpp::detail {

class Job;
class RemoteJob;

/// A run of consecutive items [begin, end) of one job: what an executor queues and runs.
/// A queued Task owns one reference to its job.
struct Task {
  Job* job = nullptr;
  std::size_t begin = 0;
  std::size_t end = 0;
  /// Non-zero: the thread executor may split the run, in pieces of at least `grain` items, so idle
  /// workers can steal half of it (automatic chunking). Zero: the run is the user's chunk; keep it whole.
  std::size_t grain = 0;
  /// Allocated by the executor (a split): deleted after it ran.
  bool owned_by_executor = false;
  /// Process back end: workers that died in a row while this run was theirs and before its first
  /// item started (nothing to blame them on); at a limit, that item fails instead of going round.
  std::uint32_t unattributed_losses = 0;
};

/// The pool algorithms' side of a unit of work. Executors call these; about one virtual call per
/// run of items, never per item in the thread back end.
class Job : public RefCounted {
 public:
  /// Runs items [begin, end) in this process and records their outcomes. Never throws: a task's
  /// exception is an outcome. Called concurrently for disjoint runs.
  virtual void run(std::size_t begin, std::size_t end) noexcept = 0;

  /// Completes, at once, every item that has no outcome yet with TaskCancelled (terminate()).
  /// Idempotent; runs still executing later have their outcomes discarded.
  virtual void cancel() noexcept = 0;

  /// The cross-process side of the job (ProcessPool, MpiPool), or nullptr for threads only.
  virtual RemoteJob* remote() noexcept { return nullptr; }
};

}  // namespace mpp::detail
