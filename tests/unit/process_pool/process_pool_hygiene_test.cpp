// ProcessPool hygiene: after join() no worker is left (no zombie, no process at all), no file
// descriptor and no shared mapping is leaked, however the pool ended (close, terminate, crashed
// workers, a failed constructor); and workers die with their parent: when the process that owns
// a pool is killed, every worker ends at once (no orphans).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <ranges>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "mpp/errors.hpp"
#include "mpp/process_pool.hpp"
#include "mpp_test/processes.hpp"
#include "mpp_test/sync.hpp"

namespace {

using namespace std::chrono_literals;

int square(int x) { return x * x; }
void crash(int) { std::abort(); }
void throwing_initializer() { throw std::runtime_error("no start"); }

struct Blocker {
  mpp_test::Counter started;
  mpp_test::Gate release;
};
Blocker* g_blocker = nullptr;

/// Blocks until the test opens the gate (or, for terminate(), until the worker is killed).
int block(int x) {
  g_blocker->started.add();
  g_blocker->release.wait(60s);
  return x;
}

/// No process of ours is left: every worker was reaped.
void expect_no_children() {
  for (const auto& c : mpp_test::child_processes()) {
    ADD_FAILURE() << "process " << c.pid << " (state " << c.state << ") outlived join()";
  }
}

/// Descriptors and shared mappings now, to compare after the pools are gone.
struct Resources {
  std::size_t fds = mpp_test::open_fd_count();
  std::size_t shared_maps = mpp_test::shared_mapping_count();
};

void expect_same(const Resources& before, const char* when) {
  const Resources after;
  EXPECT_EQ(after.fds, before.fds) << "file descriptors leaked " << when;
  EXPECT_EQ(after.shared_maps, before.shared_maps) << "shared mappings leaked " << when;
}

/// One pool, used and joined, so that whatever the process sets up once (in the C++ runtime, the
/// sanitizers) is there before the counting starts.
void warm_up() {
  mpp::ProcessPool pool(2);
  (void)pool.map(&square, std::views::iota(0, 16));
}

TEST(ProcessPoolHygiene, NoZombieOrWorkerAfterJoin) {
  mpp::ProcessPool pool(4);
  EXPECT_EQ(mpp_test::child_processes().size(), 4U) << "workers start in the constructor";
  (void)pool.map(&square, std::views::iota(0, 100));
  pool.close();
  pool.join();
  expect_no_children();
}

TEST(ProcessPoolHygiene, NoZombieOrWorkerAfterTheDestructor) {
  { mpp::ProcessPool pool(3); }
  expect_no_children();
}

TEST(ProcessPoolHygiene, NoDescriptorOrMappingLeakOverTwentyPools) {
  warm_up();
  const Resources before;
  for (int round = 0; round < 20; ++round) {
    mpp::ProcessPool pool(2);
    const auto out = pool.map(&square, std::views::iota(0, 64), 4);
    ASSERT_EQ(out.back(), 63 * 63);
    EXPECT_EQ(pool.apply(&square, round), round * round);
    int n = 0;
    for (int r : pool.imap(&square, std::views::iota(0, 8))) n += r >= 0 ? 1 : 0;
    EXPECT_EQ(n, 8);
    pool.close();
    pool.join();
  }
  expect_same(before, "after 20 pools closed and joined");
  expect_no_children();
}

TEST(ProcessPoolHygiene, NoDescriptorLeftOpenOnceJoinReturns) {
  warm_up();
  const Resources before;
  mpp::ProcessPool pool(2);
  EXPECT_EQ(pool.apply(&square, 3), 9);
  pool.close();
  pool.join();
  // The pool object still exists: join() alone released everything.
  expect_same(before, "by a joined pool that was not destroyed yet");
  pool.close();  // a late close() wakes nothing and writes no descriptor
  pool.join();
  pool.terminate();
  expect_same(before, "by close(), join() and terminate() after join()");
}

TEST(ProcessPoolHygiene, NoLeakAfterTerminate) {
  mpp_test::Shared<Blocker> blocker;
  g_blocker = blocker.get();
  warm_up();
  const Resources before;
  for (int round = 0; round < 20; ++round) {
    const long started = blocker->started.value();
    mpp::ProcessPool pool(2);
    auto r = pool.map_async(&block, std::views::iota(0, 10), 1);
    ASSERT_TRUE(blocker->started.wait_at_least(started + 2));  // both workers are busy
    pool.terminate();
    EXPECT_THROW((void)r.get(), mpp::TaskCancelled);
    pool.join();
  }
  expect_same(before, "after 20 pools terminated");
  expect_no_children();
  g_blocker = nullptr;
}

TEST(ProcessPoolHygiene, NoLeakAfterCrashedWorkersWereReplaced) {
  warm_up();
  const Resources before;
  for (int round = 0; round < 5; ++round) {
    mpp::ProcessPool pool(2);
    for (int i = 0; i < 4; ++i) EXPECT_THROW(pool.apply(&crash, i), mpp::WorkerLost);
    EXPECT_EQ(pool.apply(&square, 5), 25);
  }
  expect_same(before, "after pools whose workers crashed");
  expect_no_children();
}

TEST(ProcessPoolHygiene, NoLeakAfterAFailedConstructor) {
  warm_up();
  const Resources before;
  for (int round = 0; round < 10; ++round) {
    mpp::ProcessPoolOptions options;
    options.processes = 2;
    options.initializer = &throwing_initializer;
    EXPECT_THROW(mpp::ProcessPool pool(options), std::runtime_error);
  }
  expect_same(before, "after constructors that threw");
  expect_no_children();
}

// ---------------------------------------------------------------------------------------------
// No orphans: the workers die with the process that owns the pool.

/// The pids of this process's children, from /proc/self/task/*/children (workers are children
/// of the pool's thread).
std::vector<pid_t> my_children_from_tasks() {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    std::ifstream in(task.path() / "children");
    for (pid_t pid = 0; in >> pid;) out.push_back(pid);
  }
  return out;
}

/// Body of the forked owner: make a pool, keep one worker busy, report the worker pids on
/// `out`, then wait to be killed.
[[noreturn]] void pool_owner(int out) {
  try {
    mpp::ProcessPool pool(3);
    auto busy = pool.apply_async(&block, 0);  // g_blocker is never opened: runs until killed
    if (!g_blocker->started.wait_at_least(1)) ::_exit(3);
    const auto pids = my_children_from_tasks();
    std::ostringstream text;
    for (pid_t pid : pids) text << pid << ' ';
    text << '\n';
    const std::string line = text.str();
    if (::write(out, line.data(), line.size()) != static_cast<ssize_t>(line.size())) ::_exit(4);
    for (;;) ::pause();
  } catch (...) {
    ::_exit(5);
  }
}

TEST(ProcessPoolHygiene, WorkersDieWithTheirOwnerWhenItIsKilled) {
  mpp_test::Shared<Blocker> blocker;
  g_blocker = blocker.get();
  // Orphans are reparented to us, so we can reap them and see how and when they ended.
  mpp_test::SubreaperScope subreaper;
  ASSERT_TRUE(subreaper.ok());
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t owner = ::fork();
  ASSERT_GE(owner, 0);
  if (owner == 0) {
    ::close(fds[0]);
    pool_owner(fds[1]);
  }
  ::close(fds[1]);
  std::string line;
  char c = 0;
  while (::read(fds[0], &c, 1) == 1 && c != '\n') line += c;
  ::close(fds[0]);
  std::istringstream in(line);
  std::vector<pid_t> workers;
  for (pid_t pid = 0; in >> pid;) workers.push_back(pid);
  ASSERT_EQ(workers.size(), 3U) << "the owner reported '" << line << "'";

  ASSERT_EQ(::kill(owner, SIGKILL), 0);
  const auto owner_end = mpp_test::reap(owner, 10s);
  ASSERT_TRUE(owner_end.has_value());
  EXPECT_TRUE(WIFSIGNALED(owner_end->status) && WTERMSIG(owner_end->status) == SIGKILL);

  // Each worker (the busy one and the idle ones) ends promptly, killed by its death signal.
  const auto start = std::chrono::steady_clock::now();
  for (pid_t worker : workers) {
    const auto end = mpp_test::reap(worker, 5s);
    ASSERT_TRUE(end.has_value()) << "worker " << worker << " outlived its owner by 5 s";
    EXPECT_TRUE(WIFSIGNALED(end->status) && WTERMSIG(end->status) == SIGKILL)
        << "worker " << worker << " " << mpp_test::describe_status(end->status);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  expect_no_children();
  g_blocker = nullptr;
}

// --- forking never waits for another thread's stdio lock ----------------------------------------

int crash_once(int x) {
  if (x < 0) ::raise(SIGKILL);
  return x + 1;
}

/// Runs in a forked helper (a hang there is a deadline here): one thread waits in
/// std::getline(std::cin) on a pipe nobody writes, another holds flockfile(stdout) throughout, and
/// the pool is built, loses a worker (replaced by a fork) and answers. Writes one letter per step
/// done to `out`, so a hang names its step.
[[noreturn]] void stdio_locked_pool(int out) {
  try {
    int in[2];
    if (::pipe(in) != 0 || ::dup2(in[0], 0) < 0) ::_exit(2);
    std::thread reader([] {
      std::string line;
      std::getline(std::cin, line);  // waits until the end: nobody writes the pipe
    });
    mpp_test::Counter locked;
    mpp_test::Counter release;
    std::thread holder([&] {
      ::flockfile(stdout);
      locked.add();
      release.wait_at_least(1);  // holds it until every step is done
      ::funlockfile(stdout);
    });
    if (!locked.wait_at_least(1)) ::_exit(3);
    auto step = [out](char c) {
      if (::write(out, &c, 1) != 1) ::_exit(4);
    };
    step('a');
    mpp::ProcessPool pool(1);
    step('b');
    try {
      (void)pool.apply(&crash_once, -1);
    } catch (const mpp::WorkerLost&) {
    }
    step('c');
    if (pool.apply(&crash_once, 41) != 42) ::_exit(5);
    step('d');
    pool.close();
    pool.join();
    step('e');
    // Let both threads go (a sanitizer's exit may want these locks too).
    release.add();
    holder.join();
    ::close(in[1]);
    reader.join();
    ::_exit(0);
  } catch (...) {
    ::_exit(6);
  }
}

TEST(ProcessPoolHygiene, ForkingNeverWaitsForAnotherThreadsStdioLock) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t helper = ::fork();
  ASSERT_GE(helper, 0);
  if (helper == 0) {
    ::close(fds[0]);
    stdio_locked_pool(fds[1]);
  }
  ::close(fds[1]);
  const auto end = mpp_test::reap(helper, 10s);
  std::string steps;
  char c = 0;
  if (!end) ::kill(helper, SIGKILL);
  while (::read(fds[0], &c, 1) == 1) steps += c;
  ::close(fds[0]);
  if (!end) (void)mpp_test::reap(helper, 10s);
  ASSERT_TRUE(end.has_value())
      << "the helper hung after steps '" << steps
      << "' (a: ready, b: pool built, c: crashed worker replaced, d: apply, e: joined)";
  EXPECT_TRUE(WIFEXITED(end->status) && WEXITSTATUS(end->status) == 0)
      << mpp_test::describe_status(end->status);
  EXPECT_EQ(steps, "abcde");
}

}  // namespace
