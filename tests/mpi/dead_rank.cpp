// A program whose rank 2 dies (SIGKILL) in the middle of a map: the job must end, with mpirun's
// message naming the rank, and never hang (CTest: MpiDeadRankEndsTheJob).
#include <mpi.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "mpp/mpi.hpp"

namespace {

int die_on_rank_2(int x) {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 2) ::raise(SIGKILL);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  return x;
}

}  // namespace

int main(int argc, char** argv) {
  // The rank runs items itself: in a local worker, the item would fail alone with WorkerLost.
  mpp::MpiPool pool(argc, argv, mpp::MpiPoolOptions{.workers_per_rank = 0});
  const auto results = pool.map(&die_on_rank_2, std::vector<int>(200, 1), 1);
  std::printf("dead_rank: the map returned %zu results, but rank 2 should have died\n", results.size());
  return 0;
}
