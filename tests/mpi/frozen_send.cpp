// A rank that freezes in the middle of sending a chunk's results is given up as a silent rank is:
// its item fails with mpp::WorkerLost, the pool goes on with the other rank, and the job ends by
// itself with exit status 75 (CTest: MpiPool.ARankFrozenWhileSendingIsGivenUp, 3 ranks over TCP,
// where the sender writes a large message itself: a rank on the same node would have its memory
// read by rank 0 whether it runs or not). The item returns a 32 MB result and, from a thread of
// its own, stops its rank (SIGSTOP) once 2 MB of writes have left the process, that is in the
// middle of the transfer. Prints "frozen_send: ok" when every check held.
#include <mpi.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "mpp/errors.hpp"
#include "mpp/mpi.hpp"

namespace {

constexpr std::size_t k_result_bytes = 32'000'000;
constexpr long long k_stop_after_bytes = 2'000'000;

// What this process has written so far (/proc/self/io: write and writev, so TCP sockets included).
long long bytes_written() {
  std::ifstream io("/proc/self/io");
  std::string key;
  long long value = 0;
  while (io >> key >> value) {
    if (key == "wchar:") return value;
  }
  return -1;
}

// Leaves its rank's pid in `dir`, then returns a large result, stopping its rank in the middle of
// sending it.
std::string large_result_then_freeze(std::string dir) {
  std::ofstream(dir + "/frozen") << ::getpid() << '\n';
  const long long before = bytes_written();
  std::thread([before] {
    while (bytes_written() - before < k_stop_after_bytes)
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    ::raise(SIGSTOP);
  }).detach();
  return std::string(k_result_bytes, 'r');
}

int twice(int x) { return x * 2; }

int failures = 0;

void check(bool ok, const std::string& what) {
  if (ok) return;
  std::printf("frozen_send: FAILED: %s\n", what.c_str());
  ++failures;
}

}  // namespace

int main(int argc, char** argv) {
  const mpp::MpiPoolOptions options{.rank_timeout = std::chrono::seconds(1), .workers_per_rank = 0};
  mpp::MpiPool pool(argc, argv, options);
  char templ[] = "/tmp/mpp-frozen-send-XXXXXX";
  if (::mkdtemp(templ) == nullptr) return 2;
  const std::string dir = templ;

  const auto began = std::chrono::steady_clock::now();
  try {
    const std::string result = pool.apply(&large_result_then_freeze, dir);
    check(false, "the result arrived whole (" + std::to_string(result.size()) +
                     " bytes): was the transfer over TCP (OMPI_MCA_btl=tcp,self)?");
  } catch (const mpp::WorkerLost& e) {
    const std::string what = e.what();
    std::printf("frozen_send: after %.1f s: %s\n",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count(),
                what.c_str());
    check(what.find("said nothing for") != std::string::npos,
          "WorkerLost says the rank fell silent: " + what);
  }
  // The pool goes on with the other rank.
  check(pool.map(&twice, std::vector<int>(100, 3), 1) == std::vector<int>(100, 6), "a map after the loss");

  pid_t pid = 0;
  std::ifstream(dir + "/frozen") >> pid;
  check(pid > 0 && ::kill(pid, SIGCONT) == 0, "the frozen rank is continued");
  std::filesystem::remove_all(dir);
  std::printf("frozen_send: %s\n", failures == 0 ? "ok" : "checks failed");
  std::fflush(stdout);
  return failures == 0 ? 0 : 1;
}
