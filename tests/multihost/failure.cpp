// mpp_test_multihost_failure MODE RANK HOST DIR: a map across the simulated hosts of run-multihost,
// during which the driver kills RANK, stops it or cuts its host's link. RANK, once it runs an item,
// writes its pid to DIR/rank-RANK (the driver waits for that file) and holds the item until the
// driver acts (60 s at most); the other ranks' items take 2 ms.
//   MODE kill: the job must end (mpirun names the rank); rank 0 never gets past the map (the pool's
//     rank_timeout is the default 10 s).
//   MODE lose: RANK is given up after rank_timeout (1 s): its items fail with mpp::WorkerLost naming
//     the rank and HOST (the simulated host's name), every other item succeeds, the pool goes on
//     without it, and the job ends with exit status 75. Prints "multihost_failure: ok" when every
//     check held.
#include <mpi.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "mpp/errors.hpp"
#include "mpp/mpi.hpp"

namespace {

// From the command line, which every rank gets: read before the pool, so serving ranks have them.
std::string g_dir;

int rank_here() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

long long now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Written whole, then renamed: the driver never reads half a pid.
void announce(int rank) {
  const std::string path = g_dir + "/rank-" + std::to_string(rank);
  {
    std::ofstream out(path + ".tmp");
    out << ::getpid() << '\n';
  }
  std::rename((path + ".tmp").c_str(), path.c_str());
}

int hold_on(int target, int x) {
  const int rank = rank_here();
  if (rank != target) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return 2 * x;
  }
  announce(rank);
  // Until the driver kills or stops this rank or cuts its link; bounded so nothing waits for ever.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return 2 * x;
}

int twice(int x) { return x * 2; }

int failures = 0;

void check(bool ok, const std::string& what) {
  if (ok) return;
  std::printf("multihost_failure: FAILED: %s\n", what.c_str());
  ++failures;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s kill|lose RANK HOST DIR\n", argv[0]);
    return 2;
  }
  const std::string mode = argv[1];
  const int target = std::atoi(argv[2]);
  const std::string host = argv[3];
  g_dir = argv[4];

  // Killed, the rank must end the job through MPI's own rule before the pool gives it up: the
  // default rank_timeout (10 s) there.
  mpp::MpiPoolOptions options;
  options.workers_per_rank = 0;  // the item kills or stops its rank, not a local worker
  if (mode != "kill") options.rank_timeout = std::chrono::seconds(1);
  mpp::MpiPool pool(argc, argv, options);
  constexpr int items = 60;
  std::vector<mpp::AsyncResult<int>> results;
  for (int i = 0; i < items; ++i) results.push_back(pool.apply_async(&hold_on, target, i));
  int lost = 0;
  long long first_lost_ms = 0;
  for (int i = 0; i < items; ++i) {
    try {
      check(results[static_cast<std::size_t>(i)].get() == 2 * i, "item " + std::to_string(i) + "'s value");
    } catch (const mpp::WorkerLost& e) {
      if (lost++ == 0) first_lost_ms = now_ms();
      const std::string what = e.what();
      const std::string named = "rank " + std::to_string(target) + " (" + host + ")";
      check(what.find(named) != std::string::npos, "WorkerLost names " + named + ": " + what);
    }
  }
  if (mode == "kill") {
    std::printf("multihost_failure: the map returned (%d of %d items lost), but rank %d was killed\n", lost,
                items, target);
    return 1;
  }
  check(lost > 0, "an item on the lost rank fails");
  check(lost < items, "items on the other ranks succeed");
  std::printf("multihost_failure: rank %d lost: %d of %d items failed, the first at %lld ms (epoch)\n",
              target, lost, items, first_lost_ms);
  // The pool goes on with the ranks left.
  check(pool.map(&twice, std::vector<int>(100, 4), 1) == std::vector<int>(100, 8), "a map after the loss");
  std::printf("multihost_failure: %s\n", failures == 0 ? "ok" : "checks failed");
  std::fflush(stdout);
  return failures == 0 ? 0 : 1;
}
