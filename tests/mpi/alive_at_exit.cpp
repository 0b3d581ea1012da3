// A program that ends while pools with local workers still wait for their calls: one never
// destroyed, one on main's stack that std::exit skips. Their dispatcher threads must not call MPI
// while the exit finalises it (rank 0 crashed there, exit status 139); the serving ranks stop the
// calls, and the job ends with the program's own status, 3, long before the calls would end
// (CTest: MpiLocalWorkers.APoolAliveAtExitDoesNotCrashIt).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "mpp/mpi.hpp"

namespace {

// Says it started (a file in `dir`), then runs far longer than the test may.
int started_then_sleeps(std::string dir, int x) {
  std::ofstream(dir + "/" + std::to_string(x)) << x;
  std::this_thread::sleep_for(std::chrono::seconds(120));
  return x;
}

}  // namespace

int main(int argc, char** argv) {
  mpp::MpiPool::serve(argc, argv);
  char dir[] = "/tmp/mpp-alive-at-exit-XXXXXX";
  if (::mkdtemp(dir) == nullptr) return 1;
  auto* never_destroyed = new mpp::MpiPool(mpp::MpiPoolOptions{.workers_per_rank = 1});
  mpp::MpiPool on_the_stack(mpp::MpiPoolOptions{.workers_per_rank = 1});
  auto first = never_destroyed->apply_async(&started_then_sleeps, std::string(dir), 1);
  auto second = on_the_stack.apply_async(&started_then_sleeps, std::string(dir), 2);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!(std::filesystem::exists(std::string(dir) + "/1") &&
           std::filesystem::exists(std::string(dir) + "/2"))) {
    if (std::chrono::steady_clock::now() > deadline) {
      std::printf("alive_at_exit: the calls did not start\n");
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::filesystem::remove_all(dir);
  std::printf("alive_at_exit: exiting with the calls running\n");
  std::fflush(stdout);
  std::exit(3);
}
