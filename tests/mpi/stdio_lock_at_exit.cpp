// A serving rank ends (when rank 0's pools are done) although a thread a task started holds a
// stdio stream's lock: the rank flushes only the standard streams, and only when free, instead of
// fflush(nullptr), which waited for that lock forever (CTest: MpiPool.RankExitDoesNotWaitForAStdioLock).
#include <stdio.h>
#include <unistd.h>

#include <cstddef>
#include <cstdio>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "mpp/mpi.hpp"

namespace {

// On each serving rank, once: a thread locks a stream of its own and keeps it locked for good.
int lock_a_stream(int x) {
  static std::once_flag once;
  std::call_once(once, [] {
    std::FILE* stream = std::fopen("/dev/null", "w");
    if (stream == nullptr) return;
    std::promise<void> locked;
    auto done = locked.get_future();
    std::thread([stream, &locked] {
      ::flockfile(stream);
      locked.set_value();
      for (;;) ::pause();
    }).detach();
    done.wait();
  });
  return x;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t results = 0;
  {
    mpp::MpiPool pool(argc, argv);  // ranks other than 0 serve, and end, here
    results = pool.map(&lock_a_stream, std::vector<int>(64, 1), 1).size();
  }
  std::printf("stdio_lock_at_exit: %zu results\n", results);
  return results == 64 ? 0 : 1;
}
