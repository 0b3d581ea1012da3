// A rank frozen (SIGSTOP) in the middle of a chunk is given up after rank_timeout: the item it was
// running fails with mpp::WorkerLost, the chunk's items it had not started and the chunks queued
// behind run on the other ranks, no item runs twice, and the rank, continued, starts nothing more
// (start permits, src/mpi/protocol.hpp). Items take longer than a permit reaches ahead, so exactly
// one item is lost. Every item records its run as a file created exclusively: a second run of an
// item finds it and leaves a "twice-<item>" file (CTest: MpiPool.ALostRankLeavesItsUnstartedItems,
// 4 ranks). Prints "cut_chunk: ok" when every check held.
#include <fcntl.h>
#include <mpi.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "mpp/errors.hpp"
#include "mpp/mpi.hpp"

namespace {

constexpr int k_frozen = 2;
constexpr int k_frozen_item = 3;  // the rank freezes in the third item it runs

int rank_here() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

bool create_exclusively(const std::string& path) {
  const int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0600);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

int run_item(std::pair<std::string, int> task) {
  const auto& [dir, item] = task;
  const std::string name = dir + "/" + std::to_string(item);
  if (!create_exclusively(name)) {
    create_exclusively(dir + "/twice-" + std::to_string(item));
    return -1;
  }
  static int runs = 0;
  if (rank_here() == k_frozen && ++runs == k_frozen_item) {
    std::ofstream(dir + "/frozen-pid") << ::getpid() << '\n';
    ::raise(SIGSTOP);
    create_exclusively(dir + "/continued");
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(150));  // longer than a permit reaches
  return 2 * item;
}

int twice(int x) { return 2 * x; }

int failures = 0;

void check(bool ok, const std::string& what) {
  if (ok) return;
  std::printf("cut_chunk: FAILED: %s\n", what.c_str());
  ++failures;
}

template <class Done>
bool wait_for(Done done, std::chrono::seconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

std::vector<std::string> twice_files(const std::string& dir) {
  std::vector<std::string> found;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("twice-", 0) == 0) found.push_back(name);
  }
  return found;
}

}  // namespace

int main(int argc, char** argv) {
  mpp::MpiPool pool(argc, argv, mpp::MpiPoolOptions{.rank_timeout = std::chrono::seconds(1)});
  char templ[] = "/tmp/mpp-cut-chunk-XXXXXX";
  if (::mkdtemp(templ) == nullptr) return 2;
  const std::string dir = templ;

  constexpr int items = 36;
  std::vector<std::pair<std::string, int>> tasks;
  for (int i = 0; i < items; ++i) tasks.emplace_back(dir, i);
  // Chunks of 6: the frozen rank holds the one it runs and one queued behind it.
  auto outcomes = pool.imap(&run_item, tasks, 6);
  int lost = 0;
  for (int i = 0; i < items; ++i) {
    try {
      const std::optional<int> value = outcomes.next();
      check(value.has_value() && *value == 2 * i, "item " + std::to_string(i) + "'s value");
    } catch (const mpp::WorkerLost& e) {
      ++lost;
      const std::string what = e.what();
      check(what.find("rank 2 (") != std::string::npos, "WorkerLost names rank 2: " + what);
    }
  }
  check(lost == 1, "exactly the item running on the frozen rank is lost (" + std::to_string(lost) + ")");
  check(twice_files(dir).empty(), "no item ran twice");

  // Continued, the rank finishes the item it froze in and starts nothing more: the chunk's next
  // item already ran elsewhere, and a second run would leave a twice- file in a moment.
  std::ifstream pid_file(dir + "/frozen-pid");
  pid_t pid = 0;
  pid_file >> pid;
  check(pid > 0 && ::kill(pid, SIGCONT) == 0, "the frozen rank is continued");
  check(wait_for([&] { return std::filesystem::exists(dir + "/continued"); }, std::chrono::seconds(10)),
        "the frozen rank goes on");
  check(!wait_for([&] { return !twice_files(dir).empty(); }, std::chrono::seconds(1)),
        "the continued rank starts no item another rank ran");

  // The pool goes on with the ranks left.
  check(pool.size() == 3, "the pool keeps its size");
  check(pool.map(&twice, std::vector<int>(30, 3), 1) == std::vector<int>(30, 6), "a map after the loss");
  {
    mpp::MpiPool second(mpp::MpiPoolOptions{.rank_timeout = std::chrono::seconds(1)});
    check(second.size() == 2, "a new pool leaves the lost rank out of its size");
  }
  std::filesystem::remove_all(dir);
  std::printf("cut_chunk: %s\n", failures == 0 ? "ok" : "checks failed");
  return failures == 0 ? 0 : 1;
}
