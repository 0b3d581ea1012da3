// close, join, terminate and the destructor: what is refused, what still runs, what is cancelled.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <ranges>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "mpp/errors.hpp"
#include "mpp/pool.hpp"
#include "mpp_test/pools.hpp"
#include "mpp_test/probe.hpp"
#include "mpp_test/ranges.hpp"

namespace {

using namespace std::chrono_literals;
using mpp_test::PoolTraits;

int square(int x) { return x * x; }

int count_call(int x) {
  mpp_test::probe().calls.add();
  return x;
}

void mark(int i) { mpp_test::probe().slot[static_cast<std::size_t>(i)].fetch_add(1); }

std::vector<int> iota_vector(int n) {
  std::vector<int> out;
  for (int i = 0; i < n; ++i) out.push_back(i);
  return out;
}

bool contains(const char* text, const std::string& part) {
  return std::string(text).find(part) != std::string::npos;
}

// Event slots of the probe.
constexpr std::size_t k_finished_at = 0;

/// Every way of submitting work throws PoolNotRunning, checked before the input is touched.
template <class P>
void expect_every_submission_refused(P& pool) {
  const std::string name = PoolTraits<P>::k_name;
  const std::vector<int> items{1, 2, 3};
  const std::vector<int> none;
  const std::vector<std::pair<int, int>> pairs{{1, 2}};
  const std::vector<std::pair<int, int>> no_pairs;
  auto add = [](int a, int b) { return a + b; };

  try {
    (void)pool.apply_async(&square, 1);
    ADD_FAILURE() << "apply_async accepted work";
  } catch (const mpp::PoolNotRunning& e) {
    EXPECT_TRUE(contains(e.what(), name + "::apply_async")) << e.what();
  }
  try {
    (void)pool.map(&square, none);
    ADD_FAILURE() << "map accepted an empty input";
  } catch (const mpp::PoolNotRunning& e) {
    EXPECT_TRUE(contains(e.what(), name + "::map")) << e.what();
  }
  EXPECT_THROW((void)pool.apply(&square, 1), mpp::PoolNotRunning);
  EXPECT_THROW(pool.apply([] {}), mpp::PoolNotRunning);
  EXPECT_THROW((void)pool.apply_async([] {}), mpp::PoolNotRunning);
  EXPECT_THROW((void)pool.map(&square, items), mpp::PoolNotRunning);
  EXPECT_THROW(pool.map(&mark, items), mpp::PoolNotRunning);
  EXPECT_THROW((void)pool.map(&square, std::views::iota(0, 10), 2), mpp::PoolNotRunning);
  EXPECT_THROW((void)pool.map_async(&square, items), mpp::PoolNotRunning);
  EXPECT_THROW((void)pool.map_async(&square, none), mpp::PoolNotRunning);
  EXPECT_THROW((void)pool.map_async(&square, std::vector<int>{4, 5}), mpp::PoolNotRunning);
  EXPECT_THROW((void)pool.starmap(add, pairs), mpp::PoolNotRunning);
  EXPECT_THROW((void)pool.starmap(add, no_pairs), mpp::PoolNotRunning);
  EXPECT_THROW((void)pool.starmap_async(add, pairs), mpp::PoolNotRunning);
  EXPECT_THROW((void)pool.starmap_async(add, no_pairs), mpp::PoolNotRunning);
  EXPECT_THROW((void)pool.imap(&square, items), mpp::PoolNotRunning);
  EXPECT_THROW((void)pool.imap(&square, none), mpp::PoolNotRunning);
  EXPECT_THROW((void)pool.imap(&square, std::views::iota(0)), mpp::PoolNotRunning);
  EXPECT_THROW((void)pool.imap_unordered(&square, items), mpp::PoolNotRunning);
  EXPECT_THROW((void)pool.imap_unordered(&square, none), mpp::PoolNotRunning);

  // Checked before anything else: the input is not read, so its own exception does not win.
  mpp_test::PullLog log;
  EXPECT_THROW((void)pool.map(&square, mpp_test::CountingRange(&log, 10)), mpp::PoolNotRunning);
  EXPECT_THROW((void)pool.map(&square, mpp_test::CountingRange(&log, 10, 0)), mpp::PoolNotRunning);
  EXPECT_THROW((void)pool.map_async(&square, mpp_test::CountingRange(&log, 10, 0)), mpp::PoolNotRunning);
  EXPECT_THROW((void)pool.imap(&square, mpp_test::CountingRange(&log, 10, 0)), mpp::PoolNotRunning);
  EXPECT_THROW((void)pool.imap_unordered(&square, mpp_test::CountingRange(&log)), mpp::PoolNotRunning);
  EXPECT_EQ(log.pulls, 0U);
  EXPECT_EQ(mpp_test::probe().calls.value(), 0);
}

template <class P>
class PoolLifecycle : public mpp_test::ProbeTest {};
TYPED_TEST_SUITE(PoolLifecycle, mpp_test::PoolTypes, mpp_test::PoolTypeNames);

TYPED_TEST(PoolLifecycle, SubmittingAfterCloseThrowsPoolNotRunning) {
  TypeParam pool(2);
  pool.close();
  expect_every_submission_refused(pool);
  pool.join();
  expect_every_submission_refused(pool);
}

TYPED_TEST(PoolLifecycle, SubmittingAfterTerminateThrowsPoolNotRunning) {
  TypeParam pool(2);
  pool.terminate();
  expect_every_submission_refused(pool);
  pool.join();
  expect_every_submission_refused(pool);
}

TYPED_TEST(PoolLifecycle, JoinBeforeCloseThrowsPoolRunning) {
  TypeParam pool(2);
  try {
    pool.join();
    FAIL() << "join() before close() did not throw";
  } catch (const mpp::PoolRunning& e) {
    EXPECT_TRUE(contains(e.what(), std::string(PoolTraits<TypeParam>::k_name) + "::join")) << e.what();
  }
  // The pool is unharmed and still accepts work.
  EXPECT_EQ(pool.apply(&square, 3), 9);
  pool.close();
  pool.join();
}

TYPED_TEST(PoolLifecycle, ExtraCloseJoinAndTerminateCallsDoNothing) {
  TypeParam pool(3);
  auto result = pool.apply_async(&square, 4);
  pool.close();
  pool.close();
  pool.join();
  pool.join();
  EXPECT_EQ(result.get(), 16);  // terminate() after the work finished cancels nothing
  pool.terminate();
  pool.terminate();
  pool.close();
  pool.join();
  EXPECT_EQ(result.get(), 16);
  EXPECT_EQ(pool.size(), 3U);

  TypeParam terminated(2);
  terminated.terminate();
  terminated.terminate();
  terminated.close();
  terminated.join();
  terminated.join();
}

TYPED_TEST(PoolLifecycle, CloseLetsQueuedWorkFinish) {
  TypeParam pool(1);
  auto blocker = pool.apply_async(&mpp_test::gated_identity, -1);
  ASSERT_TRUE(this->probe().started.wait_at_least(1));
  std::vector<mpp::AsyncResult<int>> queued;
  for (int i = 0; i < 20; ++i) queued.push_back(pool.apply_async(&count_call, i));
  auto map = pool.map_async(&square, iota_vector(100), 3);
  auto imap = pool.imap(&square, iota_vector(50));
  pool.close();
  EXPECT_THROW((void)pool.apply_async(&square, 1), mpp::PoolNotRunning);
  EXPECT_FALSE(queued.back().ready());
  this->probe().release.open();
  pool.join();
  // join() returned: everything queued before close() is done.
  EXPECT_TRUE(blocker.ready());
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(queued[static_cast<std::size_t>(i)].ready());
    EXPECT_EQ(queued[static_cast<std::size_t>(i)].get(), i);
  }
  ASSERT_TRUE(map.ready());
  EXPECT_EQ(map.get().at(99), 99 * 99);
  EXPECT_EQ(this->probe().calls.value(), 20);
  std::vector<int> imap_results;
  for (int r : imap) imap_results.push_back(r);
  ASSERT_EQ(imap_results.size(), 50U);
  EXPECT_EQ(imap_results.back(), 49 * 49);
}

TYPED_TEST(PoolLifecycle, DestructorFinishesAllSubmittedWork) {
  std::vector<mpp::AsyncResult<int>> kept;
  {
    std::optional<std::jthread> opener;  // outlives the pool: it opens the gate while the destructor waits
    TypeParam pool(1);
    auto blocker = pool.apply_async(&mpp_test::gated_identity, 0);
    ASSERT_TRUE(this->probe().started.wait_at_least(1));
    for (int i = 0; i < 50; ++i) kept.push_back(pool.apply_async(&count_call, i));
    for (int i = 0; i < 50; ++i) (void)pool.apply_async(&count_call, i);  // results never waited on
    (void)pool.map_async(&mark, iota_vector(100), 1);
    (void)pool.map_async(&mark, iota_vector(100));
    kept.push_back(std::move(blocker));
    opener.emplace([this] {
      std::this_thread::sleep_for(20ms);  // not for correctness: lets the destructor start first
      this->probe().release.open();
    });
  }
  // Unlike Python's `with`, nothing queued was dropped.
  EXPECT_EQ(this->probe().calls.value(), 100);
  for (std::size_t i = 0; i < 100; ++i) EXPECT_EQ(this->probe().slot[i].load(), 2) << "item " << i;
  for (std::size_t i = 0; i < 50; ++i) {
    ASSERT_TRUE(kept[i].ready());
    EXPECT_EQ(kept[i].get(), static_cast<int>(i));
  }
  EXPECT_EQ(kept.back().get(), 0);
}

TYPED_TEST(PoolLifecycle, TerminateCancelsEveryUnfinishedTaskAtOnce) {
  mpp_test::Probe& p = this->probe();
  TypeParam pool(1);
  auto running = pool.apply_async(
      [](int x) {
        const int r = mpp_test::gated_identity(x);
        mpp_test::probe().event[k_finished_at].store(mpp_test::probe().stamp());
        return r;
      },
      1);
  ASSERT_TRUE(p.started.wait_at_least(1));
  int running_results = 0;  // plain: callbacks run in the terminating thread or not at all
  std::exception_ptr running_error;
  running.then([&](int) { ++running_results; }, [&](std::exception_ptr e) { running_error = std::move(e); });

  std::vector<mpp::AsyncResult<int>> queued;
  std::vector<std::exception_ptr> queued_errors(5);
  for (std::size_t i = 0; i < 5; ++i) {
    queued.push_back(pool.apply_async(&count_call, static_cast<int>(i)));
    queued.back().then(nullptr,
                       [&queued_errors, i](std::exception_ptr e) { queued_errors[i] = std::move(e); });
  }
  auto queued_map = pool.map_async(&mark, iota_vector(100), 1);
  auto queued_void = pool.apply_async([] { mpp_test::probe().calls.add(); });

  // A thread already blocked on a queued result is woken too.
  std::exception_ptr waiter_error;
  std::thread waiter([&] {
    try {
      (void)queued[4].get();
    } catch (...) {
      waiter_error = std::current_exception();
    }
  });

  pool.terminate();

  // At once: every unfinished task is complete with TaskCancelled, and its error callback ran.
  for (std::size_t i = 0; i < queued.size(); ++i) {
    ASSERT_TRUE(queued[i].ready()) << "queued task " << i;
    EXPECT_FALSE(queued[i].successful());
    EXPECT_THROW((void)queued[i].get(), mpp::TaskCancelled);
    ASSERT_TRUE(queued_errors[i] != nullptr) << "error callback " << i;
    EXPECT_THROW(std::rethrow_exception(queued_errors[i]), mpp::TaskCancelled);
  }
  ASSERT_TRUE(queued_map.ready());
  EXPECT_THROW(queued_map.get(), mpp::TaskCancelled);
  ASSERT_TRUE(queued_void.ready());
  EXPECT_THROW(queued_void.get(), mpp::TaskCancelled);
  waiter.join();
  ASSERT_TRUE(waiter_error != nullptr);
  EXPECT_THROW(std::rethrow_exception(waiter_error), mpp::TaskCancelled);

  // The running task is still running, but its result is already final: cancelled.
  EXPECT_EQ(p.finished.value(), 0);
  ASSERT_TRUE(running.ready());
  EXPECT_THROW((void)running.get(), mpp::TaskCancelled);
  ASSERT_TRUE(running_error != nullptr);
  EXPECT_THROW(std::rethrow_exception(running_error), mpp::TaskCancelled);
  EXPECT_THROW((void)pool.apply_async(&square, 1), mpp::PoolNotRunning);

  p.release.open();
  pool.join();

  // Its result stays discarded; nothing queued ever ran; callbacks ran exactly once.
  EXPECT_THROW((void)running.get(), mpp::TaskCancelled);
  EXPECT_EQ(running_results, 0);
  EXPECT_EQ(p.calls.value(), 0);
  for (std::size_t i = 0; i < 100; ++i) EXPECT_EQ(p.slot[i].load(), 0) << "cancelled item " << i << " ran";
}

TYPED_TEST(PoolLifecycle, TerminateLeavesNoTaskUnfinished) {
  // Busy workers dequeue tasks all the time: whatever state a task is in when terminate() is called,
  // when terminate() returns it has its outcome. (A task whose function had already returned may
  // still be publishing its value then: such a result, ready a moment later with its value, is
  // tolerated. One that is not ready and later turns out cancelled was not cancelled "at once".)
  const int k_rounds = 100 / mpp_test::fewer_rounds<TypeParam>();
  int late_cancellations = 0;
  for (int round = 0; round < k_rounds; ++round) {
    TypeParam pool(4);
    std::vector<mpp::AsyncResult<int>> results;
    for (int i = 0; i < 100; ++i) results.push_back(pool.apply_async(&square, i));
    auto map = pool.map_async(&square, iota_vector(200), static_cast<std::size_t>(round % 3));
    pool.terminate();
    std::vector<mpp::AsyncResult<int>> pending;
    for (auto& r : results) {
      if (!r.ready()) pending.push_back(r);
    }
    const bool map_pending = !map.ready();
    pool.join();
    for (auto& r : pending) {
      try {
        (void)r.get();
      } catch (const mpp::TaskCancelled&) {
        ++late_cancellations;
      }
    }
    if (map_pending) {
      try {
        (void)map.get();
      } catch (const mpp::TaskCancelled&) {
        ++late_cancellations;
      }
    }
  }
  EXPECT_EQ(late_cancellations, 0) << "results cancelled only after terminate() had returned";
}

TYPED_TEST(PoolLifecycle, TerminateKeepsTheResultsOfFinishedTasks) {
  TypeParam pool(2);
  auto done = pool.apply_async(&square, 7);
  auto failed = pool.apply_async([]() -> int { throw std::invalid_argument("before terminate"); });
  auto map = pool.map_async(&square, iota_vector(10));
  done.wait();
  failed.wait();
  map.wait();
  pool.terminate();
  EXPECT_EQ(done.get(), 49);
  EXPECT_THROW((void)failed.get(), std::invalid_argument);
  EXPECT_EQ(map.get().at(9), 81);
  pool.join();
}

TYPED_TEST(PoolLifecycle, TerminateCancelsAnImapInProgress) {
  mpp_test::Probe& p = this->probe();
  TypeParam pool(1);
  auto results = pool.imap(&mpp_test::gated_identity, std::views::iota(0, 100));
  ASSERT_TRUE(p.started.wait_at_least(1));
  pool.terminate();
  int cancelled = 0;
  int values = 0;
  bool ended = false;
  for (int k = 0; k < 200 && !ended; ++k) {
    try {
      if (results.next(20s)) {
        ++values;
      } else {
        ended = true;
      }
    } catch (const mpp::TaskCancelled&) {
      ++cancelled;
    }
  }
  EXPECT_TRUE(ended) << "the imap never ended after terminate()";
  EXPECT_EQ(values, 0);  // nothing had finished
  EXPECT_GE(cancelled, 1);
  p.release.open();
  pool.join();
  EXPECT_EQ(results.next(), std::nullopt);
  EXPECT_LE(p.finished.value(), 1);  // only the item that was running may have run
}

TYPED_TEST(PoolLifecycle, TerminateWithNothingQueuedThenJoin) {
  TypeParam pool(4);
  EXPECT_EQ(pool.apply(&square, 2), 4);
  pool.terminate();
  pool.join();
  EXPECT_THROW((void)pool.apply(&square, 2), mpp::PoolNotRunning);
}

// ---------------------------------------------------------------------------------------------
// Thread pool only.

// A thread cannot be stopped: a task running at terminate() finishes in the background.
class ThreadPoolTerminate : public mpp_test::ProbeTest {};

TEST_F(ThreadPoolTerminate, JoinWaitsForTheTaskThatWasRunning) {
  mpp_test::Probe& p = probe();
  mpp::Pool pool(1);
  auto running = pool.apply_async(
      [](int x) {
        const int r = mpp_test::gated_identity(x);
        mpp_test::probe().event[k_finished_at].store(mpp_test::probe().stamp());
        return r;
      },
      1);
  ASSERT_TRUE(p.started.wait_at_least(1));
  int results = 0;
  int errors = 0;
  running.then([&results](int) { ++results; }, [&errors](std::exception_ptr) { ++errors; });
  pool.terminate();
  EXPECT_THROW((void)running.get(), mpp::TaskCancelled);

  std::atomic<long> joined_at{0};
  std::thread joiner([&] {
    pool.join();
    joined_at.store(p.stamp());
  });
  std::this_thread::sleep_for(20ms);  // not for correctness: lets join() start waiting
  EXPECT_EQ(joined_at.load(), 0) << "join() returned while a task was still running";
  p.release.open();
  joiner.join();
  EXPECT_EQ(p.finished.value(), 1);
  EXPECT_GT(joined_at.load(), p.event[k_finished_at].load());
  // Its result was discarded: still cancelled, and on_result never ran.
  EXPECT_THROW((void)running.get(), mpp::TaskCancelled);
  EXPECT_EQ(results, 0);
  EXPECT_EQ(errors, 1);
}

TEST_F(ThreadPoolTerminate, ImapDiscardsTheResultOfTheItemThatWasRunning) {
  mpp_test::Probe& p = probe();
  mpp::Pool pool(1);
  auto results = pool.imap(&mpp_test::gated_identity, std::views::iota(0, 10));
  ASSERT_TRUE(p.started.wait_at_least(1));
  pool.terminate();
  // The running item finishes in the background after terminate(): its result is discarded.
  p.release.open();
  ASSERT_TRUE(p.finished.wait_at_least(1));
  pool.join();
  int values = 0;
  int cancelled = 0;
  for (int k = 0; k < 20; ++k) {
    try {
      if (!results.next()) break;
      ++values;
    } catch (const mpp::TaskCancelled&) {
      ++cancelled;
    }
  }
  EXPECT_EQ(values, 0) << "a result of an item running at terminate() was delivered";
  EXPECT_GE(cancelled, 1);
}

// Lifecycle calls made from inside the pool's own tasks.

TEST(ThreadPoolLifecycle, JoinFromInsideATaskThrows) {
  mpp::Pool pool(2);
  mpp_test::Gate tried_open;
  mpp_test::Gate closed;
  auto result = pool.apply_async([&pool, &tried_open, &closed] {
    std::string outcome;
    try {
      pool.join();  // still open: PoolRunning, as from outside
      outcome = "returned";
    } catch (const mpp::PoolRunning&) {
      outcome = "PoolRunning";
    } catch (const std::exception&) {
      outcome = "other";
    }
    tried_open.open();
    closed.wait();
    try {
      pool.join();  // closed now, but it would wait for itself
      outcome += " returned";
    } catch (const mpp::PoolRunning&) {
      outcome += " PoolRunning";
    } catch (const std::logic_error&) {
      outcome += " logic_error";
    }
    return outcome;
  });
  ASSERT_TRUE(tried_open.wait());
  pool.close();
  closed.open();
  EXPECT_EQ(result.get(), "PoolRunning logic_error");
  pool.join();
}

TEST(ThreadPoolLifecycle, SubmittingFromInsideATaskAfterCloseThrowsPoolNotRunning) {
  mpp::Pool pool(2);
  mpp_test::Gate closed;
  auto result = pool.apply_async([&pool, &closed] {
    closed.wait();
    int refused = 0;
    try {
      (void)pool.apply_async(&square, 1);
    } catch (const mpp::PoolNotRunning&) {
      ++refused;
    }
    try {
      (void)pool.map(&square, std::vector<int>{1, 2});
    } catch (const mpp::PoolNotRunning&) {
      ++refused;
    }
    try {
      (void)pool.imap(&square, std::vector<int>{1, 2});
    } catch (const mpp::PoolNotRunning&) {
      ++refused;
    }
    return refused;
  });
  pool.close();
  closed.open();
  EXPECT_EQ(result.get(), 3);
  pool.join();
}

TEST(ThreadPoolLifecycle, TerminateFromInsideATask) {
  mpp::Pool pool(1);
  std::atomic<int> later_ran{0};
  mpp_test::Gate queued;
  auto self = pool.apply_async([&pool, &queued] {
    queued.wait();
    pool.terminate();
    return 1;
  });
  auto later = pool.apply_async([&later_ran] { later_ran.fetch_add(1); });
  queued.open();
  // The terminating task was running at terminate time: its result is discarded.
  EXPECT_THROW((void)self.get(), mpp::TaskCancelled);
  EXPECT_THROW(later.get(), mpp::TaskCancelled);
  pool.join();
  EXPECT_EQ(later_ran.load(), 0);
}

TEST(ThreadPoolLifecycle, CloseFromInsideATaskLetsQueuedWorkRun) {
  mpp::Pool pool(1);
  mpp_test::Gate queued;
  auto closer = pool.apply_async([&pool, &queued] {
    queued.wait();
    pool.close();
    return 1;
  });
  auto after = pool.apply_async(&square, 5);
  queued.open();
  EXPECT_EQ(closer.get(), 1);
  EXPECT_EQ(after.get(), 25);
  EXPECT_THROW((void)pool.apply_async(&square, 1), mpp::PoolNotRunning);
  pool.join();
}

TEST(ThreadPoolLifecycle, DestroyingThePoolInsideItsOwnTaskLetsQueuedWorkRun) {
  auto pool = std::make_unique<mpp::Pool>(1);
  mpp_test::Gate queued;
  mpp_test::Gate destroyed;
  auto destroyer = pool->apply_async([&pool, &queued, &destroyed] {
    queued.wait();
    pool.reset();  // on the pool's only worker: it cannot join itself
    destroyed.open();
    return 1;
  });
  auto after = pool->apply_async(&square, 6);
  auto mapped = pool->map_async(&square, std::vector<int>{1, 2, 3});
  queued.open();
  ASSERT_TRUE(destroyed.wait());
  EXPECT_EQ(destroyer.get(), 1);
  EXPECT_EQ(after.get(), 36);
  EXPECT_EQ(mapped.get(), (std::vector<int>{1, 4, 9}));
}

TEST(ThreadPoolLifecycle, TasksBeyondTheInjectionQueueAllRun) {
  // More tasks from outside the pool than its lock-free injection ring holds (4 096), from three
  // threads at once, while the workers are held: the rest wait in the overflow queue, none is lost.
  constexpr int k_per_thread = 5000;
  mpp::Pool pool(2);
  mpp_test::Gate held;
  auto blockers = std::vector<mpp::AsyncResult<int>>{};
  for (int i = 0; i < 2; ++i) {
    blockers.push_back(pool.apply_async([&held] {
      held.wait();
      return 0;
    }));
  }
  std::vector<std::vector<mpp::AsyncResult<int>>> results(3);
  {
    std::vector<std::jthread> submitters;
    for (std::size_t t = 0; t < results.size(); ++t) {
      submitters.emplace_back([&pool, &out = results[t]] {
        for (int i = 0; i < k_per_thread; ++i) out.push_back(pool.apply_async(&square, i));
      });
    }
  }
  held.open();
  for (auto& b : blockers) EXPECT_EQ(b.get(), 0);
  for (auto& out : results) {
    ASSERT_EQ(out.size(), static_cast<std::size_t>(k_per_thread));
    for (int i = 0; i < k_per_thread; ++i) ASSERT_EQ(out[static_cast<std::size_t>(i)].get(), i * i);
  }
}

// Three threads submit until the pool refuses while `stop` (close() or terminate()) comes from
// this thread; returns, after join(), what each thread had accepted.
template <class Stop>
std::vector<std::vector<mpp::AsyncResult<int>>> submit_racing_with(mpp::Pool& pool, Stop stop) {
  std::vector<std::vector<mpp::AsyncResult<int>>> results(3);
  std::atomic<int> accepted{0};
  {
    std::vector<std::jthread> submitters;
    for (auto& out : results) {
      submitters.emplace_back([&pool, &accepted, &out] {
        for (int i = 0; i < 400; ++i) {  // bounded: the submitters may outrun the main thread
          try {
            out.push_back(pool.apply_async(&square, i));
            accepted.fetch_add(1);
          } catch (const mpp::PoolNotRunning&) {
            return;
          }
        }
      });
    }
    while (accepted.load() < 50) std::this_thread::yield();
    stop();
  }
  pool.join();
  return results;
}

TEST(ThreadPoolLifecycle, CloseRacingWithSubmittersLosesNoTask) {
  // Every accepted task must run (a worker that exited between a submitter's check and its push
  // would leave it waiting forever).
  for (int round = 0; round < 30; ++round) {
    mpp::Pool pool(2);
    for (auto& out : submit_racing_with(pool, [&pool] { pool.close(); })) {
      for (std::size_t i = 0; i < out.size(); ++i) {
        ASSERT_TRUE(out[i].ready()) << "an accepted task did not run before join() returned";
        ASSERT_EQ(out[i].get(), static_cast<int>(i * i));
      }
    }
  }
}

TEST(ThreadPoolLifecycle, TerminateRacingWithSubmittersLeavesNoTaskUnfinished) {
  for (int round = 0; round < 30; ++round) {
    mpp::Pool pool(2);
    for (auto& out : submit_racing_with(pool, [&pool] { pool.terminate(); })) {
      for (std::size_t i = 0; i < out.size(); ++i) {
        ASSERT_TRUE(out[i].ready()) << "a task accepted before terminate() was left without an outcome";
        try {
          ASSERT_EQ(out[i].get(), static_cast<int>(i * i));
        } catch (const mpp::TaskCancelled&) {
        }
      }
    }
  }
}

}  // namespace
