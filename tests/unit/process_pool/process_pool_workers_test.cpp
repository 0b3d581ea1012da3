// ProcessPool's worker life cycle: maxtasksperchild (counted as Python counts: one apply_async,
// or one chunk of a map) and the initializer (once in every worker process, replacements
// included; an exception from it during construction is rethrown by the constructor).
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <map>
#include <ranges>
#include <stdexcept>
#include <string>
#include <tuple>
#include <typeinfo>
#include <vector>

#include "mpp/errors.hpp"
#include "mpp/process_pool.hpp"
#include "mpp_test/processes.hpp"
#include "mpp_test/sync.hpp"

namespace {

struct WorkerLog {
  static constexpr std::size_t k_items = 512;
  std::array<std::atomic<pid_t>, k_items> pid{};       // the worker that ran each item
  std::array<std::atomic<int>, k_items> runs{};        // how often each item ran
  std::array<std::atomic<pid_t>, k_items> init_pid{};  // the worker of each initializer run
  std::atomic<int> init_runs{0};
  std::atomic<bool> fail_init{false};  // from now on, initializers throw
  std::atomic<int> crash_init{0};      // from now on, initializers kill their worker: a CrashMode
};

enum CrashMode { k_no_crash, k_abort, k_segv, k_exit3 };

WorkerLog* g_log = nullptr;

/// Set by the initializer, in the worker process only.
int g_initialized = 0;

void initializer() {
  WorkerLog& log = *g_log;
  const int k = log.init_runs.fetch_add(1);
  log.init_pid[static_cast<std::size_t>(k)].store(::getpid());
  if (log.fail_init.load()) throw std::runtime_error("initializer failed in a replacement");
  g_initialized = 42;
}

/// Counts its runs; from when the test sets crash_init on, ends its worker that way.
void crashing_initializer() {
  WorkerLog& log = *g_log;
  log.init_runs.fetch_add(1);
  switch (log.crash_init.load()) {
    case k_abort:
      std::abort();
    case k_segv:
      ::signal(SIGSEGV, SIG_DFL);  // a real death by SIGSEGV, not a sanitizer's report
      ::raise(SIGSEGV);
      break;
    case k_exit3:
      ::_exit(3);
    default:
      break;
  }
  g_initialized = 42;
}

/// Records which worker ran x; returns what the initializer set there.
int record(int x) {
  WorkerLog& log = *g_log;
  const auto i = static_cast<std::size_t>(x);
  log.pid[i].store(::getpid());
  log.runs[i].fetch_add(1);
  return g_initialized;
}

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override { g_log = log_.get(); }
  void TearDown() override { g_log = nullptr; }
  WorkerLog& log() { return *log_; }

  /// Items [0, n) per worker pid; checks each ran exactly once.
  std::map<pid_t, int> items_per_pid(int n) {
    std::map<pid_t, int> out;
    for (int i = 0; i < n; ++i) {
      const auto k = static_cast<std::size_t>(i);
      EXPECT_EQ(log().runs[k].load(), 1) << "item " << i;
      ++out[log().pid[k].load()];
    }
    return out;
  }

 private:
  mpp_test::Shared<WorkerLog> log_;
};

mpp::ProcessPoolOptions options(std::size_t processes, std::size_t maxtasks, void (*init)() = nullptr) {
  mpp::ProcessPoolOptions o;
  o.processes = processes;
  o.maxtasksperchild = maxtasks;
  o.initializer = init;
  return o;
}

// ---------------------------------------------------------------------------------------------
// maxtasksperchild

using ProcessPoolMaxTasks = LogTest;

TEST_F(ProcessPoolMaxTasks, EachWorkerRunsAtMostThatManySingleItemChunks) {
  constexpr int k_items = 60;
  mpp::ProcessPool pool(options(2, 3));
  const auto out = pool.map(&record, std::views::iota(0, k_items), 1);
  ASSERT_EQ(out.size(), static_cast<std::size_t>(k_items));
  const auto per_pid = items_per_pid(k_items);
  for (const auto& [pid, n] : per_pid) EXPECT_LE(n, 3) << "worker " << pid << " ran " << n << " tasks";
  EXPECT_GE(per_pid.size(), static_cast<std::size_t>(k_items / 3));
  EXPECT_EQ(pool.size(), 2U);
}

TEST_F(ProcessPoolMaxTasks, AChunkCountsAsOneTask) {
  // 16 chunks of 4: a worker runs at most 3 chunks (12 items), each chunk on one worker.
  constexpr int k_items = 64;
  mpp::ProcessPool pool(options(2, 3));
  const auto out = pool.map(&record, std::views::iota(0, k_items), 4);
  ASSERT_EQ(out.size(), static_cast<std::size_t>(k_items));
  for (int c = 0; c < k_items / 4; ++c) {
    const auto first = static_cast<std::size_t>(4 * c);
    for (std::size_t k = first; k < first + 4; ++k) {
      EXPECT_EQ(log().pid[k].load(), log().pid[first].load()) << "chunk " << c << " was split";
    }
  }
  const auto per_pid = items_per_pid(k_items);
  for (const auto& [pid, n] : per_pid) {
    EXPECT_LE(n, 12) << "worker " << pid << " ran " << n / 4 << " chunks";
    EXPECT_EQ(n % 4, 0) << "worker " << pid << " ran part of a chunk";
  }
  EXPECT_GE(per_pid.size(), static_cast<std::size_t>(k_items / 12 + 1));
}

TEST_F(ProcessPoolMaxTasks, AnApplyAsyncCountsAsOneTask) {
  constexpr int k_tasks = 20;
  mpp::ProcessPool pool(options(2, 2));
  std::vector<mpp::AsyncResult<int>> results;
  for (int i = 0; i < k_tasks; ++i) results.push_back(pool.apply_async(&record, i));
  for (auto& r : results) EXPECT_EQ(r.get(), 0);  // no initializer: the global stays 0
  const auto per_pid = items_per_pid(k_tasks);
  for (const auto& [pid, n] : per_pid) EXPECT_LE(n, 2) << "worker " << pid;
  EXPECT_GE(per_pid.size(), static_cast<std::size_t>(k_tasks / 2));
}

TEST_F(ProcessPoolMaxTasks, ImapChunksCountAsTasks) {
  constexpr int k_items = 40;
  mpp::ProcessPool pool(options(2, 2));
  int n = 0;
  for (int r : pool.imap(&record, std::views::iota(0, k_items), 2)) {
    EXPECT_EQ(r, 0);
    ++n;
  }
  EXPECT_EQ(n, k_items);
  const auto per_pid = items_per_pid(k_items);
  for (const auto& [pid, count] : per_pid) EXPECT_LE(count, 4) << "worker " << pid;
  EXPECT_GE(per_pid.size(), static_cast<std::size_t>(k_items / 4));
}

TEST_F(ProcessPoolMaxTasks, ZeroMeansWorkersAreNeverReplaced) {
  mpp::ProcessPool pool(options(2, 0));
  (void)pool.map(&record, std::views::iota(0, 100), 1);
  EXPECT_LE(items_per_pid(100).size(), 2U);
}

// ---------------------------------------------------------------------------------------------
// initializer

using ProcessPoolInitializer = LogTest;

TEST_F(ProcessPoolInitializer, RunsOnceInEachWorkerReplacementsIncluded) {
  constexpr int k_items = 40;
  {
    mpp::ProcessPool pool(options(2, 2, &initializer));
    // The constructor waits for every worker's initializer.
    EXPECT_GE(log().init_runs.load(), 2);
    const auto out = pool.map(&record, std::views::iota(0, k_items), 1);
    for (int i = 0; i < k_items; ++i) EXPECT_EQ(out[static_cast<std::size_t>(i)], 42) << "item " << i;
  }
  // Only in the workers: the caller's copy of the global is untouched.
  EXPECT_EQ(g_initialized, 0);

  std::map<pid_t, int> inits;
  for (int k = 0; k < log().init_runs.load(); ++k)
    ++inits[log().init_pid[static_cast<std::size_t>(k)].load()];
  for (const auto& [pid, n] : inits) EXPECT_EQ(n, 1) << "initializer ran " << n << " times in " << pid;
  const auto per_pid = items_per_pid(k_items);
  EXPECT_GE(per_pid.size(), static_cast<std::size_t>(k_items / 2)) << "workers were not replaced";
  for (const auto& [pid, n] : per_pid) EXPECT_EQ(inits.count(pid), 1U) << "no initializer ran in " << pid;
}

void throw_runtime_error() { throw std::runtime_error("initializer failed"); }
void throw_invalid_argument() { throw std::invalid_argument("bad initializer argument"); }

TEST(ProcessPoolInitializerError, ConstructorRethrowsItAsTheSameType) {
  try {
    mpp::ProcessPool pool(options(2, 0, &throw_runtime_error));
    ADD_FAILURE() << "the constructor returned";
  } catch (const std::exception& e) {
    EXPECT_EQ(typeid(e), typeid(std::runtime_error)) << typeid(e).name();
    EXPECT_STREQ(e.what(), "initializer failed");
  }
  try {
    mpp::ProcessPool pool(options(3, 0, &throw_invalid_argument));
    ADD_FAILURE() << "the constructor returned";
  } catch (const std::exception& e) {
    EXPECT_EQ(typeid(e), typeid(std::invalid_argument)) << typeid(e).name();
    EXPECT_STREQ(e.what(), "bad initializer argument");
  }
  // Every worker started for the failed pool is gone and reaped.
  EXPECT_TRUE(mpp_test::child_processes().empty());
}

class InitError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
void throw_user_type() { throw InitError("custom initializer error"); }
void crash_initializer() { std::abort(); }

TEST(ProcessPoolInitializerError, UserTypeArrivesAsRemoteError) {
  try {
    mpp::ProcessPool pool(options(2, 0, &throw_user_type));
    ADD_FAILURE() << "the constructor returned";
  } catch (const mpp::RemoteError& e) {
    EXPECT_NE(e.type_name().find("InitError"), std::string::npos) << e.type_name();
    EXPECT_EQ(e.message(), "custom initializer error");
  }
  EXPECT_TRUE(mpp_test::child_processes().empty());
}

TEST(ProcessPoolInitializerError, InitializerThatKillsItsWorkerFailsTheConstructor) {
  EXPECT_THROW(mpp::ProcessPool pool(options(2, 0, &crash_initializer)), mpp::WorkerLost);
  EXPECT_TRUE(mpp_test::child_processes().empty());
}

TEST_F(ProcessPoolInitializer, FailingReplacementsFailTasksInsteadOfHanging) {
  // docs/design.md: a replacement whose initializer keeps failing is not restarted, and when no
  // worker is left every task fails with the initializer's exception instead of waiting forever.
  mpp::ProcessPool pool(options(2, 1, &initializer));
  log().fail_init.store(true);
  EXPECT_EQ(pool.apply(&record, 0), 42);  // the first worker's one task
  EXPECT_EQ(pool.apply(&record, 1), 42);  // the second's
  try {
    (void)pool.apply(&record, 2);
    ADD_FAILURE() << "a task ran although no worker could start";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "initializer failed in a replacement");
  }
  EXPECT_EQ(log().runs[2].load(), 0);
  pool.close();
  pool.join();
}

class ProcessPoolCrashingInitializer : public LogTest, public ::testing::WithParamInterface<CrashMode> {};

TEST_P(ProcessPoolCrashingInitializer, ReplacementsStopAfterThreeDeathsAndTasksFailWithTheCause) {
  // docs/design.md: three failures in a row, then no restart, and tasks fail with the cause instead
  // of waiting. A death during the initializer (a signal, abort(), _exit()) is such a failure.
  mpp::ProcessPool pool(options(2, 1, &crashing_initializer));
  log().crash_init.store(GetParam());
  EXPECT_EQ(pool.apply(&record, 0), 42);  // each worker exits after one task
  EXPECT_EQ(pool.apply(&record, 1), 42);
  auto r = pool.apply_async(&record, 2);
  ASSERT_TRUE(r.wait(std::chrono::seconds(10)))
      << "the task waits for a worker that never starts (" << log().init_runs.load() << " initializer runs)";
  const char* cause = GetParam() == k_abort  ? "SIGABRT"
                      : GetParam() == k_segv ? "SIGSEGV"
                                             : "exited with code 3";
  try {
    (void)r.get();
    ADD_FAILURE() << "a task ran although no worker could start";
  } catch (const mpp::WorkerLost& e) {
    EXPECT_NE(std::string(e.what()).find("initializer"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(cause), std::string::npos) << e.what();
  }
  EXPECT_EQ(log().runs[2].load(), 0);
  // Two workers at start, then three tries for each of the two slots: no fork storm.
  EXPECT_LE(log().init_runs.load(), 2 + 2 * 3);
  pool.close();
  pool.join();
  EXPECT_TRUE(mpp_test::child_processes().empty());
}

std::string crash_mode_name(const ::testing::TestParamInfo<CrashMode>& mode) {
  return mode.param == k_abort ? "Abort" : mode.param == k_segv ? "Sigsegv" : "ExitCode3";
}

INSTANTIATE_TEST_SUITE_P(Deaths, ProcessPoolCrashingInitializer, ::testing::Values(k_abort, k_segv, k_exit3),
                         crash_mode_name);

// --- a pool called from one of its own workers ----------------------------------------------------

// The pool the tasks below call: set before the workers are forked, so each worker has a copy.
alignas(mpp::ProcessPool) unsigned char g_pool_storage[sizeof(mpp::ProcessPool)];
mpp::ProcessPool* g_pool = nullptr;

int plus_one(int x) { return x + 1; }

enum class Call { apply, apply_async, map, map_async, imap, starmap, join };

int call_own_pool(int call) {
  switch (static_cast<Call>(call)) {
    case Call::apply:
      return g_pool->apply(&plus_one, 1);
    case Call::apply_async:
      return g_pool->apply_async(&plus_one, 1).get();
    case Call::map:
      return g_pool->map(&plus_one, std::vector<int>{1, 2}).back();
    case Call::map_async:
      return g_pool->map_async(&plus_one, std::vector<int>{1, 2}).get().back();
    case Call::imap:
      return *g_pool->imap(&plus_one, std::vector<int>{1, 2}).next();
    case Call::starmap:
      return g_pool->starmap([](int a, int b) { return a + b; }, std::vector<std::tuple<int, int>>{{1, 2}})
          .back();
    case Call::join:
      g_pool->join();
      return 0;
  }
  return 0;
}

/// close() and terminate() cannot throw: in a worker they leave the owner's pool alone.
int close_and_terminate_own_pool(int x) {
  g_pool->close();
  g_pool->terminate();
  return x;
}

/// A worker that destroys its copy of the pool (as exit() would, running static destructors)
/// must not touch the owner's threads, workers or pages.
int exit_worker(int) {
  g_pool->~ProcessPool();
  ::_exit(0);
}

class ProcessPoolCalledFromItsWorker : public ::testing::Test {
 protected:
  void SetUp() override {
    g_pool = reinterpret_cast<mpp::ProcessPool*>(g_pool_storage);
    new (g_pool_storage) mpp::ProcessPool(2);
  }
  void TearDown() override {
    g_pool->~ProcessPool();
    g_pool = nullptr;
  }
  mpp::ProcessPool& pool() { return *g_pool; }
};

TEST_F(ProcessPoolCalledFromItsWorker, EveryCallThrowsLogicErrorThatReachesTheCaller) {
  for (Call call :
       {Call::apply, Call::apply_async, Call::map, Call::map_async, Call::imap, Call::starmap, Call::join}) {
    auto r = pool().apply_async(&call_own_pool, static_cast<int>(call));
    ASSERT_TRUE(r.wait(std::chrono::seconds(10)))
        << "call " << static_cast<int>(call) << " hangs in the worker";
    try {
      (void)r.get();
      ADD_FAILURE() << "call " << static_cast<int>(call) << " returned";
    } catch (const std::logic_error& e) {
      EXPECT_NE(std::string(e.what()).find("mpp::ProcessPool: used in one of its own worker processes"),
                std::string::npos)
          << e.what();
    }
  }
  // The pool and its workers are unharmed.
  EXPECT_EQ(pool().map(&plus_one, std::vector<int>{1, 2, 3}), (std::vector<int>{2, 3, 4}));
}

TEST_F(ProcessPoolCalledFromItsWorker, CloseAndTerminateInAWorkerLeaveThePoolRunning) {
  auto r = pool().apply_async(&close_and_terminate_own_pool, 7);
  ASSERT_TRUE(r.wait(std::chrono::seconds(10))) << "close() or terminate() hangs in the worker";
  EXPECT_EQ(r.get(), 7);
  EXPECT_EQ(pool().apply(&plus_one, 1), 2);
}

TEST_F(ProcessPoolCalledFromItsWorker, AWorkerRunningThePoolsDestructorLeavesTheOwnersPoolAlone) {
  auto r = pool().apply_async(&exit_worker, 0);
  ASSERT_TRUE(r.wait(std::chrono::seconds(10))) << "the pool's destructor hangs in the worker";
  EXPECT_THROW((void)r.get(), mpp::WorkerLost);  // it exited with code 0 while running the item
  EXPECT_EQ(pool().apply(&plus_one, 1), 2);
}

}  // namespace
