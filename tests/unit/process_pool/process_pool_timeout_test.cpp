// ProcessPool task_timeout: an item that runs too long (an endless loop, an endless sleep) fails
// with mpp::TimeoutError, its worker is killed and replaced, and every other item, those of the
// same chunk included, gets its result. The timeout is per item, not per chunk.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <ranges>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "mpp/errors.hpp"
#include "mpp/process_pool.hpp"
#include "mpp_test/processes.hpp"
#include "mpp_test/sync.hpp"
#include "process/worker.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

enum class Hang { none = 0, spin, sleep };

struct TimeoutLog {
  static constexpr std::size_t k_items = 256;
  std::array<std::atomic<int>, k_items> runs{};
  std::array<std::atomic<int>, k_items> hang{};   // a Hang
  std::array<std::atomic<pid_t>, k_items> pid{};  // the worker that ran the item
};

TimeoutLog* g_log = nullptr;

/// x * x, or never returns: a busy loop, or a sleep that never ends.
int hang_or_square(int x) {
  TimeoutLog& log = *g_log;
  const auto i = static_cast<std::size_t>(x);
  log.runs[i].fetch_add(1);
  log.pid[i].store(::getpid());
  switch (static_cast<Hang>(log.hang[i].load())) {
    case Hang::spin: {
      std::atomic<unsigned long> spins{0};
      for (;;) spins.fetch_add(1, std::memory_order_relaxed);
    }
    case Hang::sleep:
      for (;;) std::this_thread::sleep_for(1h);
    case Hang::none:
      break;
  }
  return x * x;
}

/// Sleeps 40 ms: a chunk of these outlasts the timeout, each item does not.
int slow_square(int x) {
  std::this_thread::sleep_for(40ms);
  return x * x;
}

std::string hang_name(Hang h) { return h == Hang::spin ? "Spin" : "Sleep"; }

class ProcessPoolTimeout : public ::testing::TestWithParam<Hang> {
 protected:
  void SetUp() override { g_log = log_.get(); }
  void TearDown() override { g_log = nullptr; }
  TimeoutLog& log() { return *log_; }

 private:
  mpp_test::Shared<TimeoutLog> log_;
};

mpp::ProcessPoolOptions options(std::size_t processes, std::chrono::nanoseconds timeout) {
  mpp::ProcessPoolOptions o;
  o.processes = processes;
  o.task_timeout = timeout;
  return o;
}

TEST_P(ProcessPoolTimeout, HangingItemAloneFailsAndItsWorkerIsReplaced) {
  constexpr int k_items = 24;
  constexpr int k_bad = 6;  // the third item of the second 4-item chunk
  log().hang[k_bad].store(static_cast<int>(GetParam()));
  mpp::ProcessPool pool(options(2, 200ms));

  const auto start = Clock::now();
  auto results = pool.imap(&hang_or_square, std::views::iota(0, k_items), 4);
  int timeouts = 0;
  for (int i = 0; i < k_items; ++i) {
    try {
      const auto r = results.next();
      ASSERT_TRUE(r.has_value()) << "ended early at item " << i;
      EXPECT_NE(i, k_bad) << "the hanging item returned " << *r;
      if (i != k_bad) {
        EXPECT_EQ(*r, i * i) << "item " << i;
      }
    } catch (const mpp::TimeoutError& e) {
      ++timeouts;
      EXPECT_EQ(i, k_bad) << e.what();
      const auto waited = Clock::now() - start;
      EXPECT_GE(waited, 200ms) << "the item cannot have run for task_timeout yet";
      EXPECT_LT(waited, 10s) << "TimeoutError came far too late";
    }
  }
  EXPECT_FALSE(results.next().has_value());
  EXPECT_EQ(timeouts, 1);
  for (int i = 0; i < k_items; ++i) EXPECT_EQ(log().runs[static_cast<std::size_t>(i)].load(), 1) << i;

  // The worker that ran the item was killed, and reaped before the TimeoutError was reported.
  const pid_t killed = log().pid[k_bad].load();
  EXPECT_TRUE(mpp_test::process_gone(killed)) << "worker " << killed << " still exists";

  // A replacement took its place: the pool is as big as before and computes on live workers.
  EXPECT_EQ(pool.size(), 2U);
  log().hang[k_bad].store(0);
  const auto out = pool.map(&hang_or_square, std::views::iota(100, 164), 4);
  for (int i = 0; i < 64; ++i) {
    EXPECT_EQ(out[static_cast<std::size_t>(i)], (100 + i) * (100 + i));
    EXPECT_NE(log().pid[static_cast<std::size_t>(100 + i)].load(), killed);
  }
}

TEST_P(ProcessPoolTimeout, ApplyThrowsTimeoutErrorAndThePoolGoesOn) {
  log().hang[1].store(static_cast<int>(GetParam()));
  mpp::ProcessPool pool(options(1, 200ms));
  const auto start = Clock::now();
  EXPECT_THROW((void)pool.apply(&hang_or_square, 1), mpp::TimeoutError);
  const auto waited = Clock::now() - start;
  EXPECT_GE(waited, 200ms);
  EXPECT_LT(waited, 10s);
  EXPECT_EQ(pool.apply(&hang_or_square, 2), 4);
  EXPECT_NE(log().pid[2].load(), log().pid[1].load()) << "item 2 ran on the killed worker";
}

// An apply_async is one task: its TimeoutError names "the task", not an item position.
TEST(ProcessPoolTimeoutMessages, ApplyNamesTheTaskNotAnItem) {
  mpp_test::Shared<TimeoutLog> log;
  g_log = log.get();
  log->hang[1].store(static_cast<int>(Hang::sleep));
  mpp::ProcessPool pool(options(1, 100ms));
  std::string message;
  try {
    (void)pool.apply(&hang_or_square, 1);
  } catch (const mpp::TimeoutError& e) {
    message = e.what();
  }
  g_log = nullptr;
  EXPECT_EQ(message,
            "mpp::ProcessPool: the task ran longer than task_timeout; its worker was killed and replaced");
}

// An imap's runs are numbered by the slots of its window: its TimeoutError names the position in
// the input.
TEST(ProcessPoolTimeoutMessages, ImapNamesTheItemsPositionInTheInput) {
  mpp_test::Shared<TimeoutLog> log;
  g_log = log.get();
  constexpr int k_bad = 200;  // far past the first window of 2 * 2 chunks
  log->hang[k_bad].store(static_cast<int>(Hang::sleep));
  mpp::ProcessPool pool(options(2, 100ms));
  auto results = pool.imap(&hang_or_square, std::views::iota(0, k_bad + 10), 1);
  std::string message;
  for (;;) {
    try {
      if (!results.next()) break;
    } catch (const mpp::TimeoutError& e) {
      message = e.what();
    }
  }
  g_log = nullptr;
  EXPECT_EQ(message,
            "mpp::ProcessPool: item 200 ran longer than task_timeout; its worker was killed and replaced");
}

TEST_P(ProcessPoolTimeout, MapRethrowsTimeoutError) {
  log().hang[13].store(static_cast<int>(GetParam()));
  mpp::ProcessPool pool(options(2, 200ms));
  EXPECT_THROW((void)pool.map(&hang_or_square, std::views::iota(0, 32), 8), mpp::TimeoutError);
  for (int i = 0; i < 32; ++i) EXPECT_LE(log().runs[static_cast<std::size_t>(i)].load(), 1) << i;
  EXPECT_EQ(pool.map(&hang_or_square, std::views::iota(40, 48), 2).back(), 47 * 47);
}

TEST_P(ProcessPoolTimeout, ErrorCallbackReceivesTimeoutError) {
  log().hang[0].store(static_cast<int>(GetParam()));
  mpp::ProcessPool pool(options(2, 200ms));
  bool timed_out = false;  // plain: callbacks are serialised and have run when join() returns
  int value = 0;
  pool.apply_async(&hang_or_square, 0)
      .then([&](int) {},
            [&](const std::exception_ptr& e) {
              try {
                std::rethrow_exception(e);
              } catch (const mpp::TimeoutError&) {
                timed_out = true;
              } catch (...) {
              }
            });
  pool.apply_async(&hang_or_square, 3).then([&](int v) { value = v; });
  pool.close();
  pool.join();
  EXPECT_TRUE(timed_out);
  EXPECT_EQ(value, 9);
}

std::string case_name(const ::testing::TestParamInfo<Hang>& param) { return hang_name(param.param); }

INSTANTIATE_TEST_SUITE_P(Hangs, ProcessPoolTimeout, ::testing::Values(Hang::spin, Hang::sleep), case_name);

TEST(ProcessPoolTimeoutPerItem, AChunkLongerThanTheTimeoutSucceedsWhenEachItemIsShorter) {
  // 8 items of 40 ms in one chunk take 320 ms; the timeout, 250 ms, applies to each item.
  mpp::ProcessPool pool(options(2, 250ms));
  const auto out = pool.map(&slow_square, std::views::iota(0, 16), 8);
  ASSERT_EQ(out.size(), 16U);
  for (int i = 0; i < 16; ++i) EXPECT_EQ(out[static_cast<std::size_t>(i)], i * i);
}

TEST(ProcessPoolTimeoutPerItem, IdleWorkersAreNeverTimedOut) {
  // Workers idle far longer than the timeout between tasks: nothing fails, nothing is killed.
  mpp::ProcessPool pool(options(2, 100ms));
  EXPECT_EQ(pool.apply(&slow_square, 3), 9);
  std::this_thread::sleep_for(300ms);  // idle for three timeouts
  const auto before = mpp_test::child_processes();
  EXPECT_EQ(pool.apply(&slow_square, 4), 16);
  EXPECT_EQ(pool.map(&slow_square, std::views::iota(0, 4), 1).back(), 9);
  // Same workers as before: none was replaced.
  std::set<pid_t> pids_before;
  for (const auto& c : before) pids_before.insert(c.pid);
  for (const auto& c : mpp_test::child_processes()) EXPECT_TRUE(pids_before.count(c.pid) == 1) << c.pid;
}

void spin_for(std::chrono::microseconds time) {
  const auto until = Clock::now() + time;
  while (Clock::now() < until) {
  }
}

int g_started_write = -1;  // item 1 reports its start here (the pipe of the test below)
int g_started_read = -1;

/// Item 0 overruns the 50 ms timeout by 30 ms; item 1 reports that it started, then takes 30 ms.
int overrun_then_next(int x) {
  if (x == 0) {
    spin_for(80ms);
  } else {
    if (::write(g_started_write, "s", 1) != 1) ::_exit(9);
    spin_for(30ms);
  }
  return x;
}

/// The dispatcher has decided to kill for item 0: give the worker every chance to finish it and
/// start item 1 before the kill lands (up to 500 ms, until item 1 reports it started).
void let_the_worker_move_on() {
  pollfd fd{g_started_read, POLLIN, 0};
  if (::poll(&fd, 1, 500) == 1) {
    char c = 0;
    (void)::read(g_started_read, &c, 1);
  }
}

/// Runs items 0 and 1 on one worker with the dispatcher held between its timeout decision and
/// its kill; each item's outcome ('v' value, 'T' TimeoutError, 'L' WorkerLost).
std::string outcomes_with_a_late_kill(std::size_t chunksize) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe");
  g_started_read = fds[0];
  g_started_write = fds[1];
  mpp::detail::g_before_timeout_kill.store(&let_the_worker_move_on);
  std::string out;
  {
    mpp::ProcessPool pool(options(1, 50ms));
    auto results = pool.imap(&overrun_then_next, std::views::iota(0, 2), chunksize);
    for (int i = 0; i < 2; ++i) {
      try {
        const auto r = results.next();
        out += r == i ? 'v' : '?';
      } catch (const mpp::TimeoutError&) {
        out += 'T';
      } catch (const mpp::WorkerLost&) {
        out += 'L';
      }
    }
  }
  mpp::detail::g_before_timeout_kill.store(nullptr);
  ::close(fds[0]);
  ::close(fds[1]);
  return out;
}

TEST(ProcessPoolTimeoutPerItem, TheKillFailsTheItemThatOverranNotTheNextInItsChunk) {
  // Item 0 overran: it fails with TimeoutError even if the worker finished it before the kill; the
  // kill never lands on item 1, which gets its value.
  EXPECT_EQ(outcomes_with_a_late_kill(2), "Tv");
}

TEST(ProcessPoolTimeoutPerItem, TheKillFailsTheItemThatOverranNotTheNextChunk) {
  EXPECT_EQ(outcomes_with_a_late_kill(1), "Tv");
}

}  // namespace
