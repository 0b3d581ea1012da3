// kill -9 from outside: workers of a ProcessPool are killed at random moments during a
// 10 000-item imap. Each kill is made deterministic: the killer stops a worker (SIGSTOP), reads in
// shared memory which item it is running (each item records "pid P runs item k" while it runs),
// and kills it (SIGKILL) only in the middle of an item. Then exactly the killed items fail, each
// with one mpp::WorkerLost naming SIGKILL, every other item has its correct result, and every
// item ran exactly once.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <random>
#include <ranges>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "mpp/errors.hpp"
#include "mpp/process_pool.hpp"
#include "mpp_test/processes.hpp"
#include "mpp_test/sync.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int k_items = 10'000;
constexpr int k_kills = 12;
// Items from here on wait until the killer is done, so that it always finds items to kill.
constexpr int k_gated = k_items - 200;

struct KillLog {
  struct Running {
    std::atomic<pid_t> pid{0};
    std::atomic<int> item{0};  // item + 1 while it runs, 0 between items
  };
  std::array<std::atomic<int>, k_items> runs{};
  std::array<Running, 256> running{};  // one per worker process, claimed by its first item
  std::atomic<bool> killer_done{false};
};

KillLog* g_log = nullptr;

/// This worker's entry in the running table (claimed on first use; cached per process).
KillLog::Running& my_entry() {
  static KillLog::Running* mine = nullptr;  // a worker's own copy: forked processes do not share it
  const pid_t me = ::getpid();
  if (mine != nullptr && mine->pid.load() == me) return *mine;
  for (auto& r : g_log->running) {
    pid_t expected = 0;
    if (r.pid.load() == me || r.pid.compare_exchange_strong(expected, me)) {
      mine = &r;
      return r;
    }
  }
  std::abort();  // more workers than the table holds
}

int expected_result(int x) { return 3 * x + 1; }

/// About 100 us of work, recorded as running in shared memory from start to end.
int busy_item(int x) {
  g_log->runs[static_cast<std::size_t>(x)].fetch_add(1);
  KillLog::Running& me = my_entry();
  me.item.store(x + 1);
  const auto end = Clock::now() + 100us;
  while (Clock::now() < end) {
  }
  if (x >= k_gated) {
    while (!g_log->killer_done.load()) std::this_thread::sleep_for(100us);
  }
  me.item.store(0);
  return expected_result(x);
}

struct KillerReport {
  std::set<int> killed_items;
  int attempts = 0;
  bool timed_out = false;
};

/// Kills k_kills workers, each in the middle of an item; returns which items.
KillerReport kill_workers(unsigned seed) {
  KillerReport report;
  std::mt19937 rng(seed);
  std::set<pid_t> killed;
  const auto deadline = Clock::now() + mpp_test::k_deadlock_limit;
  while (static_cast<int>(report.killed_items.size()) < k_kills) {
    if (Clock::now() > deadline) {
      report.timed_out = true;
      break;
    }
    // Pacing only, so that kills land at different points of the map.
    std::this_thread::sleep_for(std::chrono::microseconds(2000 + rng() % 20000));
    std::vector<KillLog::Running*> candidates;
    for (auto& r : g_log->running) {
      const pid_t pid = r.pid.load();
      if (pid != 0 && killed.count(pid) == 0 && !mpp_test::process_gone(pid)) candidates.push_back(&r);
    }
    if (candidates.empty()) continue;
    KillLog::Running& victim = *candidates[rng() % candidates.size()];
    const pid_t pid = victim.pid.load();
    ++report.attempts;
    if (::kill(pid, SIGSTOP) != 0) continue;
    if (!mpp_test::wait_until_stopped(pid, 2s)) {
      ::kill(pid, SIGCONT);
      continue;
    }
    // Stopped: what it records cannot change now.
    const int item = victim.item.load();
    if (item == 0) {  // between items: let it go on, and try again
      ::kill(pid, SIGCONT);
      continue;
    }
    ::kill(pid, SIGKILL);
    killed.insert(pid);
    report.killed_items.insert(item - 1);
  }
  g_log->killer_done.store(true);
  return report;
}

class ProcessPoolKill : public ::testing::TestWithParam<std::size_t> {
 protected:
  void SetUp() override { g_log = log_.get(); }
  void TearDown() override { g_log = nullptr; }
  KillLog& log() { return *log_; }

 private:
  mpp_test::Shared<KillLog> log_;
};

TEST_P(ProcessPoolKill, EveryKilledItemFailsAloneWithWorkerLost) {
  const std::size_t chunksize = GetParam();
  mpp::ProcessPool pool(4);
  KillerReport report;
  std::thread killer([&] { report = kill_workers(static_cast<unsigned>(chunksize) * 7919U + 1U); });

  std::set<int> lost;
  int wrong = 0;
  int received = 0;
  {
    auto results = pool.imap(&busy_item, std::views::iota(0, k_items), chunksize);
    for (int i = 0; i < k_items; ++i) {
      try {
        const auto r = results.next();
        if (!r) break;
        ++received;
        if (*r != expected_result(i)) ++wrong;
      } catch (const mpp::WorkerLost& e) {
        ++received;
        lost.insert(i);
        EXPECT_NE(std::string(e.what()).find("SIGKILL"), std::string::npos) << e.what();
      }
    }
    EXPECT_FALSE(results.next().has_value());
  }
  killer.join();

  ASSERT_FALSE(report.timed_out) << "only " << report.killed_items.size() << " kills";
  EXPECT_EQ(received, k_items);
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(static_cast<int>(report.killed_items.size()), k_kills);
  EXPECT_EQ(lost, report.killed_items) << "the items that failed are not the items that were killed";
  int ran_twice = 0;
  int never_ran = 0;
  for (const auto& runs : log().runs) {
    ran_twice += runs.load() > 1 ? 1 : 0;
    never_ran += runs.load() == 0 ? 1 : 0;
  }
  EXPECT_EQ(ran_twice, 0);
  EXPECT_EQ(never_ran, 0);
  // Replacements keep the pool at its size, and it still works.
  EXPECT_EQ(pool.size(), 4U);
  const auto out = pool.map(&expected_result, std::views::iota(0, 100));
  EXPECT_EQ(out.back(), expected_result(99));
  std::string items;
  for (int k : report.killed_items) items += " " + std::to_string(k);
  std::printf("%d kills in %d attempts, items%s\n", k_kills, report.attempts, items.c_str());
}

std::string case_name(const ::testing::TestParamInfo<std::size_t>& param) {
  return "Chunksize" + std::to_string(param.param);
}

INSTANTIATE_TEST_SUITE_P(Chunks, ProcessPoolKill, ::testing::Values(std::size_t{1}, std::size_t{4}),
                         case_name);

}  // namespace
