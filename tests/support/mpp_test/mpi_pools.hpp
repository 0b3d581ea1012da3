// mpp::MpiPool as a typed-test pool type: the shared suites make pools of 1 to 16 workers, but an
// MPI job has the serving ranks mpirun gave it, so a pool gets as many as asked for when the job has
// them, and every rank otherwise (tests/mpi filters out the tests that need the exact size).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "mpp/mpi.hpp"

namespace mpp_test {

/// MPP_TEST_MPI_WORKERS_PER_RANK (CTest sets it for MpiShared.LocalWorkers.*): the suites run on
/// ranks that run their items in local worker processes (MpiPoolOptions::workers_per_rank). A pool
/// asked for one worker gets one: the suites hold a one-worker pool busy with one call, and a
/// second local worker would run (or take from rank 0) the calls they expect to wait.
class MpiTestPool : public mpp::MpiPool {
 public:
  MpiTestPool() : MpiTestPool(0) {}
  explicit MpiTestPool(std::size_t workers)
      : mpp::MpiPool(mpp::MpiPoolOptions{
            .ranks = std::min(workers, available_ranks()),
            .workers_per_rank = std::min(workers_per_rank(), workers == 0 ? SIZE_MAX : workers)}) {}

  static std::size_t workers_per_rank() {
    const char* set = std::getenv("MPP_TEST_MPI_WORKERS_PER_RANK");
    return set != nullptr ? static_cast<std::size_t>(std::strtoul(set, nullptr, 10)) : 0;
  }
};

template <class P>
struct PoolTraits;

template <>
struct PoolTraits<MpiTestPool> {
  static constexpr const char* k_name = "mpp::MpiPool";
  static constexpr const char* k_test_name = "MpiPool";
  /// A call sent to a rank counts as started (docs/api.md, AsyncResult::cancel): it runs.
  static constexpr bool k_cancels_calls_sent_ahead = false;
  /// A rank's local worker running the call is killed; a rank running it itself lets it finish.
  static bool stops_running_calls() { return MpiTestPool::workers_per_rank() != 0; }
};

}  // namespace mpp_test
