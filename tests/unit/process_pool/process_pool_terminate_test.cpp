// ProcessPool::terminate() kills the workers at once: tasks that would run for 10 s do not delay
// it; every unfinished task completes with mpp::TaskCancelled, and join() returns promptly with
// every worker gone.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <ranges>
#include <thread>
#include <vector>

#include "mpp/errors.hpp"
#include "mpp/process_pool.hpp"
#include "mpp_test/processes.hpp"
#include "mpp_test/sync.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct SleepLog {
  mpp_test::Counter started;
  std::array<std::atomic<pid_t>, 64> pid{};
};
SleepLog* g_log = nullptr;

/// Sleeps 10 s: far longer than terminate() may take.
int sleep_ten_seconds(int x) {
  g_log->pid[static_cast<std::size_t>(x)].store(::getpid());
  g_log->started.add();
  std::this_thread::sleep_for(10s);
  return x;
}

/// Spins for 10 s without a system call: a worker that never blocks must die as promptly.
int spin_ten_seconds(int x) {
  g_log->pid[static_cast<std::size_t>(x)].store(::getpid());
  g_log->started.add();
  const auto end = Clock::now() + 10s;
  std::atomic<unsigned long> spins{0};
  while (Clock::now() < end) spins.fetch_add(1, std::memory_order_relaxed);
  return x;
}

template <class R>
void expect_cancelled(mpp::AsyncResult<R>& r, const char* what) {
  ASSERT_TRUE(r.ready()) << what << " is not complete after terminate()";
  EXPECT_THROW((void)r.get(), mpp::TaskCancelled) << what;
}

class ProcessPoolTerminate : public ::testing::TestWithParam<int (*)(int)> {
 protected:
  void SetUp() override { g_log = log_.get(); }
  void TearDown() override { g_log = nullptr; }
  SleepLog& log() { return *log_; }

 private:
  mpp_test::Shared<SleepLog> log_;
};

TEST_P(ProcessPoolTerminate, KillsRunningTasksAtOnceAndCancelsEverything) {
  auto* f = GetParam();
  mpp::ProcessPool pool(2);
  std::vector<mpp::AsyncResult<int>> applies;
  for (int i = 0; i < 3; ++i) applies.push_back(pool.apply_async(f, i));
  auto mapped = pool.map_async(f, std::vector<int>{10, 11, 12, 13}, 1);
  auto lazy = pool.imap(f, std::views::iota(20, 24));
  ASSERT_TRUE(log().started.wait_at_least(2));  // both workers are inside a 10 s task

  const auto start = Clock::now();
  pool.terminate();
  const auto terminate_took = Clock::now() - start;
  EXPECT_LT(terminate_took, 3s) << "terminate() waited for the running tasks";

  for (auto& r : applies) expect_cancelled(r, "apply_async");
  expect_cancelled(mapped, "map_async");
  EXPECT_THROW((void)lazy.next(), mpp::TaskCancelled);

  const auto join_start = Clock::now();
  pool.join();
  EXPECT_LT(Clock::now() - join_start, 3s) << "join() waited for the running tasks";
  // The workers were killed and reaped.
  EXPECT_TRUE(mpp_test::child_processes().empty());
  for (const auto& pid : log().pid) {
    if (const pid_t p = pid.load(); p != 0) {
      EXPECT_TRUE(mpp_test::process_gone(p)) << "worker " << p;
    }
  }
  EXPECT_THROW((void)pool.apply_async(f, 0), mpp::PoolNotRunning);
}

TEST_P(ProcessPoolTerminate, DestructorAfterTerminateDoesNotWaitForTasks) {
  auto* f = GetParam();
  const auto start = Clock::now();
  {
    mpp::ProcessPool pool(2);
    auto r = pool.map_async(f, std::vector<int>{0, 1, 2, 3}, 1);
    ASSERT_TRUE(log().started.wait_at_least(2));
    pool.terminate();
    expect_cancelled(r, "map_async");
  }
  EXPECT_LT(Clock::now() - start, 5s);
  EXPECT_TRUE(mpp_test::child_processes().empty());
}

std::string case_name(const ::testing::TestParamInfo<int (*)(int)>& param) {
  return param.param == &sleep_ten_seconds ? "Sleeping" : "Spinning";
}

INSTANTIATE_TEST_SUITE_P(Tasks, ProcessPoolTerminate,
                         ::testing::Values(&sleep_ten_seconds, &spin_ten_seconds), case_name);

}  // namespace
