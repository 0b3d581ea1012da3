// Start methods (<mpp/start_method.hpp>): the program's default and its round trip, what a spawned
// worker is (a fresh run of the program: no copy of the parent's memory, no inherited lock, no
// leaked MPP_SPAWN_FD), functions that a spawned worker cannot resolve, and the worker life cycle
// (initializer, crash, task_timeout, maxtasksperchild) under spawn as under fork. The fork hazard:
// a lock another thread holds while workers are forked stays locked in them. This program's main()
// calls mpp::freeze_support() (tests/support/mpp_test/main.cpp).
#include "mpp/start_method.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <vector>

#include "mpp/errors.hpp"
#include "mpp/process.hpp"
#include "mpp/process_pool.hpp"
#include "mpp/shared_memory.hpp"
#include "mpp_test/processes.hpp"
#include "mpp_test/start_methods.hpp"
#include "mpp_test/sync.hpp"
#include "process/forkserver.hpp"

namespace {

using namespace std::chrono_literals;

mpp::ProcessPoolOptions options(mpp::StartMethod method, std::size_t processes = 1) {
  return mpp::ProcessPoolOptions{.processes = processes, .start_method = method};
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Set in the test process before its pools start: a forked worker has a copy, a spawned one does not.
int g_marker = 0;
int read_marker(int /*unused*/) { return g_marker; }

int twice(int x) { return 2 * x; }
int own_pid(int /*unused*/) { return static_cast<int>(::getpid()); }
int parent_pid(int /*unused*/) { return static_cast<int>(::getppid()); }

// This process's children, less the fork server an earlier test (in the same run) started.
std::vector<mpp_test::ProcessInfo> children_but_the_fork_server() {
  std::vector<mpp_test::ProcessInfo> out;
  const pid_t server = mpp::detail::forkserver_pid();
  for (const auto& c : mpp_test::child_processes())
    if (c.pid != server) out.push_back(c);
  return out;
}

// Restores the program's default start method (the library's: this program keeps it), whatever a
// test set.
class StartMethodTest : public ::testing::Test {
 protected:
  void TearDown() override { mpp::set_start_method(mpp::StartMethod::forkserver); }
};

TEST_F(StartMethodTest, DefaultIsForkserverAndSetStartMethodRoundTrips) {
  EXPECT_EQ(mpp::get_start_method(), mpp::StartMethod::forkserver);
  mpp::set_start_method(mpp::StartMethod::spawn);
  EXPECT_EQ(mpp::get_start_method(), mpp::StartMethod::spawn);
  mpp::set_start_method(mpp::StartMethod::forkserver);
  EXPECT_EQ(mpp::get_start_method(), mpp::StartMethod::forkserver);
  mpp::set_start_method(mpp::StartMethod::fork);
  EXPECT_EQ(mpp::get_start_method(), mpp::StartMethod::fork);
}

TEST_F(StartMethodTest, APoolWithoutAMethodOfItsOwnTakesTheProgramsDefault) {
  g_marker = 42;
  {
    mpp::ProcessPool served(1);  // forkserver: a fresh run of the program, forked by its server
    EXPECT_EQ(served.apply(&read_marker, 0), 0);
  }
  mpp::set_start_method(mpp::StartMethod::fork);
  {
    mpp::ProcessPool forked(1);
    EXPECT_EQ(forked.apply(&read_marker, 0), 42);  // a copy of this process
  }
  mpp::set_start_method(mpp::StartMethod::spawn);
  {
    mpp::ProcessPool spawned(1);
    EXPECT_EQ(spawned.apply(&read_marker, 0), 0);  // a fresh run of the program
    // Its own method wins over the default.
    mpp::ProcessPool forked(options(mpp::StartMethod::fork));
    EXPECT_EQ(forked.apply(&read_marker, 0), 42);
  }
  g_marker = 0;
}

TEST_F(StartMethodTest, ASpawnedWorkerRunsMapsAndApplies) {
  mpp::ProcessPool pool(options(mpp::StartMethod::spawn, 2));
  std::vector<int> items(1000);
  for (int i = 0; i < 1000; ++i) items[static_cast<std::size_t>(i)] = i;
  const std::vector<int> doubled = pool.map(&twice, items, 7);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(doubled[static_cast<std::size_t>(i)], 2 * i);
  EXPECT_EQ(pool.apply([](const std::string& s) { return s + "!"; }, std::string("spawned")), "spawned!");
  EXPECT_NE(pool.apply(&own_pid, 0), static_cast<int>(::getpid()));
}

// --- what a spawned worker inherits -------------------------------------------------------------

bool spawn_variable_set(int /*unused*/) { return std::getenv("MPP_SPAWN_FD") != nullptr; }

// The worker's own child process (through /bin/sh) does not see the variable either.
int spawn_variable_in_a_child(int /*unused*/) {
  return std::system("test -z \"${MPP_SPAWN_FD+set}\"");  // NOLINT(concurrency-mt-unsafe)
}

TEST_F(StartMethodTest, TheSpawnVariableDoesNotLeakIntoTheWorkerOrItsChildren) {
  mpp::ProcessPool pool(options(mpp::StartMethod::spawn));
  EXPECT_FALSE(pool.apply(&spawn_variable_set, 0));
  const int status = pool.apply(&spawn_variable_in_a_child, 0);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0) << "a spawned worker's child saw MPP_SPAWN_FD";
}

// A spawned worker may start pools of its own, of either method (its main() called freeze_support
// too); the functions it sends travel as each of those pools needs, whichever thread encodes them
// (one apply after another: the waiting caller, this worker's main thread, mostly sends them).
int sum_in_a_nested_pool(int method) {
  mpp::ProcessPool nested(options(static_cast<mpp::StartMethod>(method), 2));
  int sum = 0;
  for (int i = 1; i <= 20; ++i) sum += nested.apply(&twice, i);
  for (int v : nested.map(&twice, std::vector<int>{1, 2, 3, 4})) sum += v;
  return sum;
}

TEST_F(StartMethodTest, ASpawnedWorkerCanRunPoolsOfEveryMethod) {
  mpp::ProcessPool pool(options(mpp::StartMethod::spawn));
  EXPECT_EQ(pool.apply(&sum_in_a_nested_pool, static_cast<int>(mpp::StartMethod::fork)), 440);
  EXPECT_EQ(pool.apply(&sum_in_a_nested_pool, static_cast<int>(mpp::StartMethod::spawn)), 440);
  EXPECT_EQ(pool.apply(&sum_in_a_nested_pool, static_cast<int>(mpp::StartMethod::forkserver)), 440);
}

// A forkserver worker is a fork of the server, which ran freeze_support() too: it may start pools
// of every method, a forkserver one through a server of its own.
TEST_F(StartMethodTest, AForkserverWorkerCanRunPoolsOfEveryMethod) {
  mpp::ProcessPool pool(options(mpp::StartMethod::forkserver));
  for (const auto method : {mpp::StartMethod::fork, mpp::StartMethod::spawn, mpp::StartMethod::forkserver})
    EXPECT_EQ(pool.apply(&sum_in_a_nested_pool, static_cast<int>(method)), 440);
}

// --- functions a spawned worker cannot resolve ------------------------------------------------

TEST_F(StartMethodTest, AFunctionOfALibraryOnlyTheParentLoadedIsASerializationError) {
  void* library = ::dlopen(MPP_TEST_PLUGIN, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(library, nullptr) << ::dlerror();
  using Triple = int (*)(int);
  const auto triple = reinterpret_cast<Triple>(::dlsym(library, "mpp_test_plugin_triple"));
  ASSERT_NE(triple, nullptr);
  {
    // A forked worker has the library: it is a copy of this process.
    mpp::ProcessPool forked(options(mpp::StartMethod::fork));
    EXPECT_EQ(forked.apply(triple, 2), 6);
  }
  mpp::ProcessPool pool(options(mpp::StartMethod::spawn, 2));
  try {
    (void)pool.apply(triple, 2);
    ADD_FAILURE() << "no exception";
  } catch (const mpp::SerializationError& e) {
    EXPECT_TRUE(
        contains(e.what(), "a spawned worker cannot resolve a function of libmpp_test_spawn_plugin.so"))
        << e.what();
    // Named once, by the pool ("mpp: mpp::ProcessPool: ..." read twice).
    EXPECT_TRUE(std::string_view(e.what()).starts_with("mpp::ProcessPool: ")) << e.what();
  }
  // In a map the function is decoded once per chunk, before any item: every item fails with it.
  try {
    (void)pool.map(triple, std::vector<int>{1, 2, 3, 4, 5}, 2);
    ADD_FAILURE() << "no exception";
  } catch (const mpp::SerializationError& e) {
    EXPECT_TRUE(contains(e.what(), "cannot resolve")) << e.what();
  }
  // The workers are unharmed.
  EXPECT_EQ(pool.map(&twice, std::vector<int>{1, 2, 3}), (std::vector<int>{2, 4, 6}));
  pool.close();
  pool.join();
  ::dlclose(library);
}

// --- the worker life cycle under spawn ---------------------------------------------------------

int g_initialised = 0;  // in a spawned worker, only its initializer sets it
void set_initialised() { g_initialised = 7; }
int read_initialised(int /*unused*/) { return g_initialised; }
void failing_initializer() { throw std::invalid_argument("no configuration in the worker"); }

TEST_F(StartMethodTest, TheInitializerRunsInEachSpawnedWorker) {
  mpp::ProcessPoolOptions o = options(mpp::StartMethod::spawn, 2);
  o.initializer = &set_initialised;
  mpp::ProcessPool pool(o);
  EXPECT_EQ(pool.map(&read_initialised, std::vector<int>(8, 0), 1), std::vector<int>(8, 7));
  EXPECT_EQ(g_initialised, 0);  // not here
}

TEST_F(StartMethodTest, AnInitializerFailureInASpawnedWorkerIsRethrownByTheConstructor) {
  mpp::ProcessPoolOptions o = options(mpp::StartMethod::spawn, 2);
  o.initializer = &failing_initializer;
  try {
    mpp::ProcessPool pool(o);
    ADD_FAILURE() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_TRUE(contains(e.what(), "no configuration in the worker")) << e.what();
  }
}

int crash(int /*unused*/) {
  ::raise(SIGKILL);
  return 0;
}

TEST_F(StartMethodTest, ASpawnedWorkerThatDiesFailsItsItemAndIsReplaced) {
  mpp::ProcessPool pool(options(mpp::StartMethod::spawn));
  const int first = pool.apply(&own_pid, 0);
  try {
    (void)pool.apply(&crash, 0);
    ADD_FAILURE() << "no exception";
  } catch (const mpp::WorkerLost& e) {
    EXPECT_TRUE(contains(e.what(), "SIGKILL")) << e.what();
  }
  const int replacement = pool.apply(&own_pid, 0);
  EXPECT_NE(replacement, first);
  EXPECT_EQ(pool.apply(&twice, 21), 42);
}

int sleep_ms(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return ms;
}

TEST_F(StartMethodTest, TaskTimeoutAndMaxtasksperchildWorkUnderSpawn) {
  mpp::ProcessPoolOptions o = options(mpp::StartMethod::spawn);
  o.task_timeout = 300ms;
  {
    mpp::ProcessPool pool(o);
    EXPECT_THROW((void)pool.apply(&sleep_ms, 5000), mpp::TimeoutError);
    EXPECT_EQ(pool.apply(&sleep_ms, 1), 1);  // on its replacement
  }
  o.task_timeout = 0ns;
  o.maxtasksperchild = 1;
  mpp::ProcessPool pool(o);
  std::set<int> pids;
  for (int i = 0; i < 3; ++i) pids.insert(pool.apply(&own_pid, 0));
  EXPECT_EQ(pids.size(), 3U);  // a fresh worker for every task
}

TEST_F(StartMethodTest, ASpawnPoolLeavesNoDescriptorMappingOrChildOnceJoined) {
  {  // what the process sets up once (the C++ runtime, the sanitizers) is there before counting
    mpp::ProcessPool warm_up(options(mpp::StartMethod::spawn, 2));
    EXPECT_EQ(warm_up.apply(&twice, 1), 2);
  }
  const std::size_t fds = mpp_test::open_fd_count();
  const std::size_t maps = mpp_test::shared_mapping_count();
  for (int round = 0; round < 5; ++round) {
    mpp::ProcessPool pool(options(mpp::StartMethod::spawn, 2));
    EXPECT_THROW((void)pool.apply(&crash, 0), mpp::WorkerLost);  // and its replacement
    EXPECT_EQ(pool.map(&twice, std::vector<int>{1, 2, 3}), (std::vector<int>{2, 4, 6}));
    pool.close();
    pool.join();
    EXPECT_EQ(mpp_test::open_fd_count(), fds) << "descriptors left open by a joined spawn pool";
    EXPECT_EQ(mpp_test::shared_mapping_count(), maps) << "shared mappings left by a joined spawn pool";
    EXPECT_TRUE(children_but_the_fork_server().empty()) << "a worker outlived join()";
  }
}

// --- the fork hazard ---------------------------------------------------------------------------

// The lock a user thread holds while the pool starts (or replaces) its workers, and that the
// worker function takes.
std::mutex g_user_lock;
int under_user_lock(int x) {
  const std::lock_guard lock(g_user_lock);
  return x;
}

// A thread of the test program that takes g_user_lock when asked and keeps it until released.
class LockHolder {
 public:
  LockHolder() : thread_([this] { run(); }) {}
  LockHolder(const LockHolder&) = delete;
  LockHolder& operator=(const LockHolder&) = delete;
  ~LockHolder() {
    {
      const std::lock_guard lock(mutex_);
      quit_ = true;
      want_ = false;
    }
    cv_.notify_all();
    thread_.join();
  }

  /// Returns once the thread holds the lock.
  void hold() { set(true); }
  /// Returns once the thread has released it.
  void release() { set(false); }

 private:
  void set(bool want) {
    std::unique_lock lock(mutex_);
    want_ = want;
    cv_.notify_all();
    cv_.wait(lock, [&] { return held_ == want; });
  }

  // g_user_lock is taken and released without mutex_ held, so the two are only ever nested one
  // way (g_user_lock, then mutex_).
  void run() {
    for (;;) {
      bool want = false;
      {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [&] { return quit_ || want_ != held_; });
        if (quit_ && !held_) return;
        want = !quit_ && want_;
      }
      if (want) {
        g_user_lock.lock();
      } else {
        g_user_lock.unlock();
      }
      {
        const std::lock_guard lock(mutex_);
        held_ = want;
      }
      cv_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  bool want_ = false;
  bool held_ = false;
  bool quit_ = false;
  std::thread thread_;
};

// Starts a one-worker pool while another thread holds g_user_lock, then releases it: whether the
// worker can take the lock afterwards. Then the same for a replacement: the lock held while the
// worker dies and another is started in its place. Under fork the worker's copy of the lock stays
// locked (the thread that held it does not exist there): its item hangs until task_timeout.
struct HazardOutcome {
  bool first_worker_took_the_lock = false;
  bool replacement_took_the_lock = false;
};

HazardOutcome run_with_a_held_lock(mpp::StartMethod method) {
  LockHolder holder;
  mpp::ProcessPoolOptions o = options(method);
  o.task_timeout = 500ms;  // how long a hung item may take before it counts as hung
  HazardOutcome outcome;
  holder.hold();
  mpp::ProcessPool pool(o);  // returns once the worker started: with the lock held
  holder.release();
  try {
    outcome.first_worker_took_the_lock = pool.apply(&under_user_lock, 1) == 1;
  } catch (const mpp::TimeoutError&) {
  }
  holder.hold();
  EXPECT_THROW((void)pool.apply(&crash, 0), mpp::WorkerLost);
  EXPECT_EQ(pool.apply(&twice, 2), 4);  // a replacement runs: it started with the lock held
  holder.release();
  try {
    outcome.replacement_took_the_lock = pool.apply(&under_user_lock, 2) == 2;
  } catch (const mpp::TimeoutError&) {
  }
  return outcome;
}

TEST_F(StartMethodTest, ForkedWorkersInheritALockAnotherThreadHeldAndHangOnIt) {
  const HazardOutcome outcome = run_with_a_held_lock(mpp::StartMethod::fork);
  EXPECT_FALSE(outcome.first_worker_took_the_lock);
  EXPECT_FALSE(outcome.replacement_took_the_lock);
}

TEST_F(StartMethodTest, SpawnedWorkersInheritNoLock) {
  const HazardOutcome outcome = run_with_a_held_lock(mpp::StartMethod::spawn);
  EXPECT_TRUE(outcome.first_worker_took_the_lock);
  EXPECT_TRUE(outcome.replacement_took_the_lock);
}

// The fork server forks its workers from a process with one thread, where no lock is held.
TEST_F(StartMethodTest, ForkserverWorkersInheritNoLock) {
  const HazardOutcome outcome = run_with_a_held_lock(mpp::StartMethod::forkserver);
  EXPECT_TRUE(outcome.first_worker_took_the_lock);
  EXPECT_TRUE(outcome.replacement_took_the_lock);
}

// --- the forkserver start method ----------------------------------------------------------------

// The inodes of the sockets process `pid` holds.
std::set<unsigned long> socket_inodes(pid_t pid) {
  std::set<unsigned long> inodes;
  const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::error_code ec;
    const std::string target = std::filesystem::read_symlink(entry.path(), ec).string();
    if (!ec && target.rfind("socket:[", 0) == 0) inodes.insert(std::stoul(target.substr(8)));
  }
  return inodes;
}

// A pidfd for `pid`, or -1 when it is gone already.
int pidfd_of(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

// Whether the process behind `pidfd` has ended within `timeout`.
bool ended_within(int pidfd, std::chrono::milliseconds timeout) {
  pollfd fd{pidfd, POLLIN, 0};
  return ::poll(&fd, 1, static_cast<int>(timeout.count())) == 1;
}

TEST_F(StartMethodTest, ForkserverWorkersRunMapsAndAppliesForkedByOneServer) {
  g_marker = 42;
  mpp::ProcessPool pool(options(mpp::StartMethod::forkserver, 2));
  std::vector<int> items(1000);
  for (int i = 0; i < 1000; ++i) items[static_cast<std::size_t>(i)] = i;
  const std::vector<int> doubled = pool.map(&twice, items, 7);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(doubled[static_cast<std::size_t>(i)], 2 * i);
  EXPECT_EQ(pool.apply([](const std::string& s) { return s + "!"; }, std::string("forked")), "forked!");
  EXPECT_EQ(pool.apply(&read_marker, 0), 0);  // forked from a fresh run of the program, not from this one
  // The workers are the server's children, and so are those of every other forkserver pool.
  const pid_t server = mpp::detail::forkserver_pid();
  ASSERT_GT(server, 0);
  EXPECT_NE(server, ::getpid());
  EXPECT_EQ(pool.apply(&parent_pid, 0), server);
  mpp::ProcessPool other(options(mpp::StartMethod::forkserver, 1));
  EXPECT_EQ(other.apply(&parent_pid, 0), server);
  EXPECT_EQ(mpp::detail::forkserver_pid(), server);
  g_marker = 0;
}

int exit_with_3(int /*unused*/) { ::_exit(3); }

TEST_F(StartMethodTest, AForkserverWorkerThatDiesFailsItsItemSaysHowAndIsReplaced) {
  mpp::ProcessPool pool(options(mpp::StartMethod::forkserver));
  const int first = pool.apply(&own_pid, 0);
  try {
    (void)pool.apply(&crash, 0);
    ADD_FAILURE() << "no exception";
  } catch (const mpp::WorkerLost& e) {
    // The server, its parent, read its status: exact.
    EXPECT_TRUE(contains(e.what(), "killed by signal SIGKILL (9)")) << e.what();
  }
  const int replacement = pool.apply(&own_pid, 0);
  EXPECT_NE(replacement, first);
  try {
    (void)pool.apply(&exit_with_3, 0);
    ADD_FAILURE() << "no exception";
  } catch (const mpp::WorkerLost& e) {
    EXPECT_TRUE(contains(e.what(), "exited with code 3")) << e.what();
  }
  EXPECT_EQ(pool.apply(&twice, 21), 42);
}

TEST_F(StartMethodTest, TaskTimeoutAndMaxtasksperchildWorkUnderForkserver) {
  mpp::ProcessPoolOptions o = options(mpp::StartMethod::forkserver);
  o.task_timeout = 300ms;
  {
    mpp::ProcessPool pool(o);
    EXPECT_THROW((void)pool.apply(&sleep_ms, 5000), mpp::TimeoutError);
    EXPECT_EQ(pool.apply(&sleep_ms, 1), 1);  // on its replacement
  }
  o.task_timeout = 0ns;
  o.maxtasksperchild = 1;
  o.initializer = &set_initialised;
  mpp::ProcessPool pool(o);
  std::set<int> pids;
  for (int i = 0; i < 3; ++i) {
    pids.insert(pool.apply(&own_pid, 0));
    EXPECT_EQ(pool.apply(&read_initialised, 0), 7);
  }
  EXPECT_EQ(pids.size(), 3U);  // a fresh worker for every task
}

TEST_F(StartMethodTest, AKilledForkServerIsStartedAgainOnNextNeed) {
  mpp::ProcessPool pool(options(mpp::StartMethod::forkserver, 2));
  std::set<int> workers;
  for (int pid : pool.map(&own_pid, std::vector<int>(40, 0), 1)) workers.insert(pid);
  const pid_t server = mpp::detail::forkserver_pid();
  ASSERT_GT(server, 0);
  std::vector<int> watched{pidfd_of(server)};
  for (int pid : workers) watched.push_back(pidfd_of(pid));
  ASSERT_EQ(::kill(server, SIGKILL), 0);
  // Its workers die with it (PR_SET_PDEATHSIG).
  for (int fd : watched) {
    if (fd < 0) continue;  // gone and reaped already
    EXPECT_TRUE(ended_within(fd, 10s)) << "a process outlived the killed server";
    ::close(fd);
  }
  // The pool replaces them through a new server.
  const std::vector<int> items{1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_EQ(pool.map(&twice, items, 1), (std::vector<int>{2, 4, 6, 8, 10, 12, 14, 16}));
  const pid_t again = mpp::detail::forkserver_pid();
  EXPECT_GT(again, 0);
  EXPECT_NE(again, server);
  EXPECT_EQ(pool.apply(&parent_pid, 0), again);
  // A new pool uses the new server too.
  mpp::ProcessPool other(options(mpp::StartMethod::forkserver, 1));
  EXPECT_EQ(other.apply(&parent_pid, 0), again);
}

// Item 0 kills the fork server (its worker's parent), in the middle of a map: its worker dies
// with the server, and so does the other; the items they ran fail with WorkerLost saying so, the
// rest run on replacements forked by a new server. Nothing hangs.
int kill_the_server_at_zero(int x) {
  if (x == 0) {
    ::kill(::getppid(), SIGKILL);
    for (;;) ::pause();  // until the death signal
  }
  return 2 * x;
}

TEST_F(StartMethodTest, AForkServerKilledDuringAMapFailsOnlyTheItemsItsWorkersRan) {
  mpp::ProcessPool pool(options(mpp::StartMethod::forkserver, 2));
  const pid_t server = static_cast<pid_t>(pool.apply(&parent_pid, 0));
  std::vector<int> items(50);
  for (int i = 0; i < 50; ++i) items[static_cast<std::size_t>(i)] = i;
  std::vector<mpp::AsyncResult<int>> results;
  for (int i : items) results.push_back(pool.apply_async(&kill_the_server_at_zero, i));
  int lost = 0;
  for (int i = 0; i < 50; ++i) {
    try {
      EXPECT_EQ(results[static_cast<std::size_t>(i)].get(), 2 * i);
    } catch (const mpp::WorkerLost& e) {
      ++lost;
      EXPECT_TRUE(contains(e.what(), "fork server")) << e.what();
    }
  }
  EXPECT_GE(lost, 1);
  EXPECT_LE(lost, 2);  // one item per worker at most
  EXPECT_EQ(pool.map(&twice, items, 5), pool.map(&twice, items, 1));
  EXPECT_NE(mpp::detail::forkserver_pid(), server);
  EXPECT_EQ(pool.apply(&parent_pid, 0), mpp::detail::forkserver_pid());
}

// A program (a fork of this test, which has a server of its own: the parent's channel is closed
// in it) that starts a forkserver pool and ends without closing it, normally or killed: its
// server and workers are gone soon after.
TEST_F(StartMethodTest, TheForkServerAndItsWorkersEndWithTheProgram) {
  {  // This process's own server, which the forked program must not use.
    mpp::ProcessPool warm_up(options(mpp::StartMethod::forkserver));
    EXPECT_EQ(warm_up.apply(&twice, 1), 2);
  }
  const pid_t parents_server = mpp::detail::forkserver_pid();
  ASSERT_GT(parents_server, 0);
  struct stat channel = {};
  ASSERT_EQ(::fstat(mpp::detail::forkserver_channel_fd(), &channel), 0);
  for (const bool killed : {false, true}) {
    int report[2];
    ASSERT_EQ(::pipe(report), 0);
    const pid_t program = ::fork();
    ASSERT_GE(program, 0);
    if (program == 0) {
      ::close(report[0]);
      int code = 0;
      // The parent's channel was closed in this fork: it does not keep the parent's server alive.
      if (socket_inodes(::getpid()).count(channel.st_ino) != 0) code = 4;
      try {
        // Never closed nor destroyed: the program just ends.
        auto* pool = new mpp::ProcessPool(options(mpp::StartMethod::forkserver, 2));
        std::vector<int> pids{static_cast<int>(mpp::detail::forkserver_pid())};
        for (int pid : pool->map(&own_pid, std::vector<int>(20, 0), 1)) pids.push_back(pid);
        if (pids[0] <= 0 || pids[0] == parents_server || pool->apply(&parent_pid, 0) != pids[0]) code = 3;
        (void)!::write(report[1], pids.data(), pids.size() * sizeof(int));
      } catch (...) {
        code = 2;
      }
      ::close(report[1]);
      if (killed) ::raise(SIGKILL);
      ::_exit(code);
    }
    ::close(report[1]);
    std::vector<int> pids;
    int pid = 0;
    while (::read(report[0], &pid, sizeof(pid)) == static_cast<ssize_t>(sizeof(pid))) pids.push_back(pid);
    ::close(report[0]);
    int status = 0;
    ASSERT_EQ(::waitpid(program, &status, 0), program);
    if (killed) {
      EXPECT_TRUE(WIFSIGNALED(status)) << status;
    } else {
      // 4: the parent's channel was still open in the fork; 3: it used the parent's server.
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    }
    ASSERT_GE(pids.size(), 2U);
    for (int p : pids) {
      const int fd = pidfd_of(p);
      if (fd < 0) continue;  // gone and reaped already
      EXPECT_TRUE(ended_within(fd, 10s)) << "process " << p << " outlived the program";
      ::close(fd);
    }
  }
  // This process's own server was not disturbed.
  EXPECT_EQ(mpp::detail::forkserver_pid(), parents_server);
  mpp::ProcessPool pool(options(mpp::StartMethod::forkserver));
  EXPECT_EQ(pool.apply(&parent_pid, 0), parents_server);
}

// The channel has no name: not in the file system, not in the abstract namespace (Python's
// forkserver once listened on an abstract socket any local user could connect to,
// CVE-2022-42919). Only a process that holds one of its descriptors reaches the server; another
// user cannot even take the server's through /proc.

int own_euid(int /*unused*/) { return static_cast<int>(::geteuid()); }

std::string comm_of(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/comm");
  std::string name;
  std::getline(in, name);
  return name;
}
std::string own_comm(int /*unused*/) { return comm_of("self"); }

// Spawned workers, the fork server and its workers are named as the program (ps, pgrep, top), not
// "exe" (the file they run is /proc/self/exe).
TEST_F(StartMethodTest, ServersAndWorkersAreNamedAsTheProgram) {
  const std::string name = comm_of("self");
  ASSERT_FALSE(name.empty());
  for (const mpp::StartMethod method : {mpp::StartMethod::spawn, mpp::StartMethod::forkserver}) {
    mpp::ProcessPool pool(options(method));
    EXPECT_EQ(pool.apply(&own_comm, 0), name);
  }
  EXPECT_EQ(comm_of(std::to_string(mpp::detail::forkserver_pid())), name);
}

// In a forked helper (it changes its credentials for good): bit k set when check k failed.
int drop_privileges_between_pools() {
  int failed = 0;
  try {
    mpp::ProcessPool before(
        mpp::ProcessPoolOptions{.processes = 1, .start_method = mpp::StartMethod::forkserver});
    if (before.apply(&own_euid, 0) != 0) failed |= 1;
    if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) return 64;
    mpp::ProcessPool after(
        mpp::ProcessPoolOptions{.processes = 1, .start_method = mpp::StartMethod::forkserver});
    if (after.apply(&own_euid, 0) != 65534) failed |= 2;  // not root any more
    if (before.apply(&own_euid, 0) != 0) failed |= 4;     // the first pool's workers are as they were
  } catch (...) {
    failed |= 8;
  }
  return failed;
}

// A root program that drops its privileges after its fork server started (a daemon): the workers
// of its later pools run as it does now, never as root (a new server starts for them).
TEST_F(StartMethodTest, WorkersOfAForkServerNeverKeepCredentialsTheProgramDropped) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root, to drop to nobody";
  const pid_t pid = ::fork();
  ASSERT_NE(pid, -1);
  if (pid == 0) ::_exit(drop_privileges_between_pools());
  const auto reaped = mpp_test::reap(pid, mpp_test::k_deadlock_limit);
  if (!reaped) ::kill(pid, SIGKILL);
  ASSERT_TRUE(reaped) << "the helper hangs";
  EXPECT_EQ(reaped->status, 0) << mpp_test::describe_status(reaped->status);
}

TEST_F(StartMethodTest, TheForkServersChannelHasNoNameAndAnotherUserCannotReachIt) {
  mpp::ProcessPool pool(options(mpp::StartMethod::forkserver));
  EXPECT_EQ(pool.apply(&twice, 1), 2);
  const int channel = mpp::detail::forkserver_channel_fd();
  const pid_t server = mpp::detail::forkserver_pid();
  ASSERT_GE(channel, 0);
  ASSERT_GT(server, 0);
  sockaddr_un address{};
  socklen_t length = sizeof(address);
  ASSERT_EQ(::getsockname(channel, reinterpret_cast<sockaddr*>(&address), &length), 0);
  EXPECT_EQ(address.sun_family, AF_UNIX);
  EXPECT_EQ(length, sizeof(sa_family_t)) << "the program's end of the channel has a name";
  length = sizeof(address);
  ASSERT_EQ(::getpeername(channel, reinterpret_cast<sockaddr*>(&address), &length), 0);
  EXPECT_EQ(length, sizeof(sa_family_t)) << "the server's end of the channel has a name";

  // /proc/net/unix lists no path (nor abstract name, shown as @name) for either end.
  struct stat st = {};
  ASSERT_EQ(::fstat(channel, &st), 0);
  std::set<unsigned long> inodes = socket_inodes(server);
  EXPECT_FALSE(inodes.empty());
  inodes.insert(st.st_ino);
  std::ifstream table("/proc/net/unix");
  std::string line;
  std::getline(table, line);  // "Num RefCount Protocol Flags Type St Inode Path"
  std::size_t listed = 0;
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string num, refs, protocol, flags, type, state, path;
    unsigned long inode = 0;
    fields >> num >> refs >> protocol >> flags >> type >> state >> inode >> path;
    if (inodes.count(inode) == 0) continue;
    ++listed;
    EXPECT_EQ(path, "") << "socket " << inode << " of the fork server's channel has a name";
  }
  EXPECT_GE(listed, 2U);

  if (::geteuid() != 0) GTEST_SKIP() << "the other-user check needs root (to become nobody, 65534)";
  // Another user (a child that becomes nobody) cannot open the server's descriptors through /proc.
  std::vector<std::string> paths;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/" + std::to_string(server) + "/fd"))
    paths.push_back(entry.path().string());
  const pid_t other = ::fork();
  ASSERT_GE(other, 0);
  if (other == 0) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(2);
    for (const std::string& path : paths) {
      const int fd = ::open(path.c_str(), O_RDWR);
      if (fd >= 0) ::_exit(1);
      if (errno != EACCES && errno != EPERM) ::_exit(3);
    }
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(other, &status, 0), other);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: another user opened a descriptor of the server; 2: setuid "
                                       "failed; 3: refused, but not with EACCES or EPERM";
  // The server still serves.
  EXPECT_EQ(pool.apply(&twice, 2), 4);
}

// --- a program that never called freeze_support -----------------------------------------------

TEST_F(StartMethodTest, SpawnWithoutFreezeSupportIsALogicErrorNamingIt) {
  // The helper program's main() makes a spawn pool without calling freeze_support (it prints
  // what it caught, and counts its own runs of main() in the file it is given).
  char counter[] = "/tmp/mpp_test_no_freeze_XXXXXX";
  const int fd = ::mkstemp(counter);
  ASSERT_GE(fd, 0);
  ::close(fd);
  const std::string command = std::string(MPP_TEST_NO_FREEZE_SUPPORT) + " " + counter + " 2>&1";
  FILE* out = ::popen(command.c_str(), "r");
  ASSERT_NE(out, nullptr);
  std::string text;
  char buffer[512];
  while (std::fgets(buffer, sizeof(buffer), out) != nullptr) text += buffer;
  const int status = ::pclose(out);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << "\n" << text;
  EXPECT_TRUE(contains(text, "std::logic_error")) << text;
  EXPECT_TRUE(
      contains(text, "mpp::ProcessPool: the spawn start method needs mpp::freeze_support(argc, argv)"))
      << text;
  EXPECT_TRUE(contains(text,
                       "mpp::ProcessPool: the forkserver start method needs mpp::freeze_support(argc, "
                       "argv) at the top of main()"))
      << text;
  EXPECT_TRUE(contains(text, "mpp::Process::start: the spawn start method needs")) << text;
  EXPECT_TRUE(contains(text, "mpp::Process::start: the forkserver start method needs")) << text;
  EXPECT_TRUE(contains(text, "(a pool made before main()")) << text;  // said to the pools
  EXPECT_FALSE(contains(text,
                        "mpp::Process::start: the spawn start method needs mpp::freeze_support(argc, argv) "
                        "at the top of main(): a spawned worker (or fork server) runs the program again "
                        "and becomes a worker (or the server) there, instead of running main() a second "
                        "time (a pool"))
      << text;  // not to Process
  EXPECT_TRUE(contains(text, "or choose StartMethod::fork")) << text;
  EXPECT_FALSE(contains(text, "no exception")) << text;
  FILE* runs = std::fopen(counter, "r");
  ASSERT_NE(runs, nullptr);
  std::string counted;
  while (std::fgets(buffer, sizeof(buffer), runs) != nullptr) counted += buffer;
  std::fclose(runs);
  ::unlink(counter);
  EXPECT_EQ(counted, "main\n");  // main() ran once: no worker ran a second copy of it
}

// A forkserver pool joined leaves nothing behind but the server (and its channel), which later
// pools reuse: no pidfd, memfd or mapping of a worker, no zombie, also after a worker crashed.
TEST_F(StartMethodTest, AForkserverPoolLeavesNoDescriptorMappingOrChildOnceJoined) {
  {  // the server, and what the process sets up once, are there before counting
    mpp::ProcessPool warm_up(options(mpp::StartMethod::forkserver, 2));
    EXPECT_EQ(warm_up.apply(&twice, 1), 2);
  }
  const std::size_t fds = mpp_test::open_fd_count();
  const std::size_t maps = mpp_test::shared_mapping_count();
  const pid_t server = mpp::detail::forkserver_pid();
  for (int round = 0; round < 5; ++round) {
    mpp::ProcessPool pool(options(mpp::StartMethod::forkserver, 2));
    EXPECT_THROW((void)pool.apply(&crash, 0), mpp::WorkerLost);  // and its replacement
    EXPECT_EQ(pool.map(&twice, std::vector<int>{1, 2, 3}), (std::vector<int>{2, 4, 6}));
    pool.close();
    pool.join();
    EXPECT_EQ(mpp_test::open_fd_count(), fds) << "descriptors left open by a joined forkserver pool";
    EXPECT_EQ(mpp_test::shared_mapping_count(), maps) << "shared mappings left by a joined forkserver pool";
    EXPECT_TRUE(children_but_the_fork_server().empty());
    EXPECT_EQ(mpp::detail::forkserver_pid(), server);
    // The server's own children: none left, zombies included.
    const auto left = mpp_test::children_of(server);
    EXPECT_TRUE(left.empty()) << left.size() << " children of the server outlived join()";
  }
}

// This test program run with MPP_SPAWN_FD set by someone else than a pool: freeze_support() ends
// it with a message and exit code 7, whatever the value; no test runs.
TEST_F(StartMethodTest, AStraySpawnVariableEndsTheProgramWithAMessage) {
  char self[4096] = {};
  const ssize_t length = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  ASSERT_GT(length, 0);
  for (const char* value : {"abc", "", "1", "99", "-3"}) {
    const std::string command =
        std::string("MPP_SPAWN_FD='") + value + "' '" + self + "' --gtest_list_tests 2>&1 </dev/null";
    FILE* out = ::popen(command.c_str(), "r");
    ASSERT_NE(out, nullptr);
    std::string text;
    char buffer[512];
    while (std::fgets(buffer, sizeof(buffer), out) != nullptr) text += buffer;
    const int status = ::pclose(out);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 7) << value << ": " << status << "\n" << text;
    EXPECT_TRUE(contains(text, "mpp::freeze_support: MPP_SPAWN_FD is set")) << value << ": " << text;
    EXPECT_FALSE(contains(text, "StartMethodTest")) << value << ": the tests were listed";
  }
}

// --- current_process() -------------------------------------------------------------------------

// (name, pid, index or -1) of whoever runs it.
std::tuple<std::string, long, long> who_am_i(int /*unused*/) {
  const mpp::ProcessIdentity me = mpp::current_process();
  return {me.name, me.pid, me.index ? static_cast<long>(*me.index) : -1L};
}

int die_at_once(int /*unused*/) {
  std::raise(SIGKILL);
  return 0;
}

// Writes the child's name, NUL-terminated, at the start of the segment `segment`.
void write_my_name(std::string segment) {
  mpp::SharedMemory out = mpp::SharedMemory::attach(segment);
  const std::string name = mpp::current_process().name;
  std::memcpy(out.data(), name.c_str(), name.size() + 1);
}

class CurrentProcess : public ::testing::TestWithParam<mpp::StartMethod> {};

TEST(CurrentProcessMain, TheProgramAndItsThreadsAreTheMainProcess) {
  const auto [name, pid, index] = who_am_i(0);
  EXPECT_EQ(name, "MainProcess");
  EXPECT_EQ(pid, ::getpid());
  EXPECT_EQ(index, -1);
  std::thread other([] { EXPECT_EQ(mpp::current_process().name, "MainProcess"); });
  other.join();
}

TEST_P(CurrentProcess, EachPoolWorkerKnowsItsIndexAndAReplacementKeepsIt) {
  mpp::ProcessPool pool(options(GetParam(), 2));
  std::map<long, long> index_of_pid;
  for (const auto& [name, pid, index] : pool.map(&who_am_i, std::vector<int>(200, 0), 1)) {
    ASSERT_TRUE(index == 0 || index == 1) << index;
    EXPECT_EQ(name, "ProcessPoolWorker-" + std::to_string(index));
    EXPECT_NE(pid, ::getpid());
    const auto [at, fresh] = index_of_pid.emplace(pid, index);
    EXPECT_EQ(at->second, index) << "one worker, two indices";
  }
  // A worker that dies is replaced at its place.
  EXPECT_THROW((void)pool.apply(&die_at_once, 0), mpp::WorkerLost);
  std::set<long> indices;
  for (const auto& [name, pid, index] : pool.map(&who_am_i, std::vector<int>(200, 0), 1))
    indices.insert(index);
  EXPECT_TRUE(std::includes(std::set<long>{0, 1}.begin(), std::set<long>{0, 1}.end(), indices.begin(),
                            indices.end()));
  pool.close();
  pool.join();
}

TEST_P(CurrentProcess, AProcessChildHasItsNameTheDefaultOrTheOneGiven) {
  mpp::SharedMemory out(256);
  mpp::Process named(mpp::ProcessOptions{.start_method = GetParam(), .name = "collector"}, &write_my_name,
                     out.name());
  EXPECT_EQ(named.name(), "collector");
  named.start();
  named.join();
  ASSERT_EQ(named.exitcode(), 0);
  EXPECT_STREQ(reinterpret_cast<const char*>(out.data()), "collector");

  mpp::Process first(mpp::ProcessOptions{.start_method = GetParam()}, &write_my_name, out.name());
  mpp::Process second(mpp::ProcessOptions{.start_method = GetParam()}, &write_my_name, out.name());
  ASSERT_TRUE(first.name().starts_with("Process-")) << first.name();
  const long n = std::stol(first.name().substr(8));
  EXPECT_EQ(second.name(), "Process-" + std::to_string(n + 1));  // counted, as Python's
  second.start();
  second.join();
  ASSERT_EQ(second.exitcode(), 0);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(out.data())), second.name());
}

INSTANTIATE_TEST_SUITE_P(StartMethods, CurrentProcess, ::testing::ValuesIn(mpp_test::k_start_methods),
                         mpp_test::start_method_name);

}  // namespace
