// Stress: concurrent submitters racing close(), and many create/submit/terminate rounds. Sized to
// finish in seconds under ThreadSanitizer on two cores.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <exception>
#include <random>
#include <ranges>
#include <thread>
#include <vector>

#include "mpp/errors.hpp"
#include "mpp/pool.hpp"
#include "mpp/process_pool.hpp"
#include "mpp_test/pools.hpp"
#include "mpp_test/probe.hpp"
#include "mpp_test/sync.hpp"
#include "process/worker.hpp"

namespace {

int square(int x) { return x * x; }

template <class P>
class PoolStress : public mpp_test::ProbeTest {};
TYPED_TEST_SUITE(PoolStress, mpp_test::PoolTypes, mpp_test::PoolTypeNames);

TYPED_TEST(PoolStress, ConcurrentSubmittersWhileThePoolCloses) {
  constexpr int k_submitters = 4;
  constexpr long k_rounds_before_close = 500;  // per submitter, at least
  TypeParam pool(4);
  mpp_test::Counter rounds;
  std::atomic<int> wrong{0};
  std::atomic<int> unexpected{0};
  long callbacks = 0;  // plain: callbacks are serialised
  std::atomic<long> callbacks_expected{0};
  std::vector<std::vector<mpp::AsyncResult<int>>> pending(k_submitters);

  std::vector<std::thread> submitters;
  for (int t = 0; t < k_submitters; ++t) {
    submitters.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t) + 1);
      std::vector<int> input(50);
      for (int i = 0; i < 50; ++i) input[static_cast<std::size_t>(i)] = i;
      try {
        for (;;) {
          const int x = static_cast<int>(rng() % 1000);
          switch (rng() % 5) {
            case 0: {
              auto r = pool.apply_async(&square, x);
              callbacks_expected.fetch_add(1);
              r.then([&callbacks](int) { ++callbacks; });
              pending[static_cast<std::size_t>(t)].push_back(std::move(r));
              break;
            }
            case 1:
              if (pool.apply(&square, x) != x * x) wrong.fetch_add(1);
              break;
            case 2: {
              const auto out = pool.map(&square, input, static_cast<std::size_t>(rng() % 4));
              for (int i = 0; i < 50; ++i) {
                if (out[static_cast<std::size_t>(i)] != i * i) wrong.fetch_add(1);
              }
              break;
            }
            case 3: {
              int i = 0;
              for (int r : pool.imap(&square, std::views::iota(0, 30), 1 + rng() % 3)) {
                if (r != i * i) wrong.fetch_add(1);
                ++i;
              }
              if (i != 30) wrong.fetch_add(1);
              break;
            }
            default: {
              auto results = pool.imap_unordered(&square, std::views::iota(0, 20));
              long sum = 0;
              for (int r : results) sum += r;
              if (sum != 2470) wrong.fetch_add(1);
              break;
            }
          }
          rounds.add();
        }
      } catch (const mpp::PoolNotRunning&) {
        // The pool closed: this submitter is done.
      } catch (...) {
        unexpected.fetch_add(1);
      }
    });
  }
  ASSERT_TRUE(rounds.wait_at_least(k_submitters * k_rounds_before_close));
  pool.close();
  for (auto& s : submitters) s.join();
  pool.join();

  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(unexpected.load(), 0);
  // close() is not terminate(): everything accepted before it ran.
  for (auto& mine : pending) {
    for (auto& r : mine) {
      ASSERT_TRUE(r.ready());
      EXPECT_TRUE(r.successful());
    }
  }
  EXPECT_EQ(callbacks, callbacks_expected.load());
}

// Several threads each wait on their own results, with callbacks attached before completion: on a
// process pool a waiter drives the workers and completes the others' results, and their callbacks
// go to the dispatcher thread, which may just then be parking for that waiter. Each round is a
// chance for a callback (and so its result) to be stranded; a hang here fails by the test timeout.
TYPED_TEST(PoolStress, WaitersOnSeveralThreadsNeverStrandACallback) {
  const int k_rounds = 20 / mpp_test::fewer_rounds<TypeParam>();
  constexpr int k_threads = 4;
  constexpr int k_per_thread = 100;
  for (int round = 0; round < k_rounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    TypeParam pool(k_threads);
    std::atomic<long> callbacks{0};
    std::vector<std::thread> waiters;
    for (int t = 0; t < k_threads; ++t) {
      waiters.emplace_back([&pool, &callbacks] {
        std::vector<mpp::AsyncResult<int>> mine;
        for (int i = 0; i < k_per_thread; ++i) {
          mine.push_back(pool.apply_async(&square, i));
          mine.back().then([&callbacks](int) { callbacks.fetch_add(1, std::memory_order_relaxed); });
        }
        for (int i = 0; i < k_per_thread; ++i) EXPECT_EQ(mine[static_cast<std::size_t>(i)].get(), i * i);
      });
    }
    for (auto& w : waiters) w.join();
    pool.close();
    pool.join();
    EXPECT_EQ(callbacks.load(), long{k_threads} * k_per_thread);
  }
}

TYPED_TEST(PoolStress, CreateSubmitTerminateRounds) {
  const int k_rounds = 100 / mpp_test::fewer_rounds<TypeParam>();
  for (int round = 0; round < k_rounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const std::size_t workers = round % 2 == 0 ? 2 : 4;
    long callbacks = 0;  // plain: serialised, and all run when terminate() returns or before
    std::vector<mpp::AsyncResult<int>> results;
    int values = 0;
    int cancelled = 0;
    {
      TypeParam pool(workers);
      for (int i = 0; i < 10; ++i) {
        results.push_back(pool.apply_async(&square, i));
        results.back().then([&callbacks](int) { ++callbacks; },
                            [&callbacks](std::exception_ptr) { ++callbacks; });
      }
      auto map = pool.map_async(&square, std::views::iota(0, 100), static_cast<std::size_t>(round % 3));
      auto imap = pool.imap(&square, std::views::iota(0, 50));
      int consumed = 0;
      for (int k = 0; k < 3; ++k) {
        if (imap.next() == k * k) ++consumed;
      }
      EXPECT_EQ(consumed, 3);
      if (round % 3 == 0) {
        std::thread terminator([&pool] { pool.terminate(); });
        terminator.join();
      } else {
        pool.terminate();
      }
      // Every result is a correct value or TaskCancelled. (That each is ready the moment terminate()
      // returns is PoolLifecycle.TerminateLeavesNoTaskUnfinished's business.)
      for (std::size_t i = 0; i < results.size(); ++i) {
        try {
          EXPECT_EQ(results[i].get(), static_cast<int>(i * i));
          ++values;
        } catch (const mpp::TaskCancelled&) {
          ++cancelled;
        }
      }
      try {
        const auto out = map.get();
        ASSERT_EQ(out.size(), 100U);
        for (int i = 0; i < 100; ++i) EXPECT_EQ(out[static_cast<std::size_t>(i)], i * i);
      } catch (const mpp::TaskCancelled&) {
      }
      // The imap ends: values in order up to a point, TaskCancelled for the rest.
      int position = 3;
      bool ended = false;
      for (int k = 0; k < 200 && !ended; ++k) {
        try {
          const auto r = imap.next();
          if (!r) {
            ended = true;
          } else {
            EXPECT_EQ(*r, position * position);
            ++position;
          }
        } catch (const mpp::TaskCancelled&) {
          ++position;
        }
      }
      EXPECT_TRUE(ended);
      pool.join();
      EXPECT_EQ(callbacks, 10);
    }
    EXPECT_EQ(values + cancelled, 10);
  }
}

// The dispatcher thread has decided to sleep, with nothing in flight, and still holds the role when
// a caller submits a call it will wait on: the caller cannot drive (the role is taken), and
// submit_call() did not wake the dispatcher since the caller was to drive. The dispatcher is held
// there well past the caller's spin; without the caller's wake-up it would then sleep with the call
// unsent, and apply() would never return (the test fails by its timeout).
std::atomic<bool> g_hold_armed{false};
std::atomic<const mpp::AsyncResult<int>*> g_first{nullptr};
mpp_test::Gate* g_holding = nullptr;

void hold_the_dispatcher_once() {
  if (!g_hold_armed.load()) return;
  // The test stores `first` just after apply_async() returns; the dispatcher may reach here before
  // that (it sends and settles the call at once) and, returning, would sleep with nothing to wake it.
  // submit_call() takes no lock held here, so waiting cannot block the test.
  const mpp::AsyncResult<int>* first = nullptr;
  while ((first = g_first.load()) == nullptr) {
    if (!g_hold_armed.load()) return;  // the test gave up
    std::this_thread::yield();
  }
  if (!first->ready() || !g_hold_armed.exchange(false)) return;  // still in flight
  g_holding->open();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // widens the window; not for correctness
}

TEST(ProcessPoolWakeUps, ACallerThatCannotDriveWakesTheDispatcherOnItsWayToSleep) {
  mpp::ProcessPool pool(1);
  mpp_test::Gate holding;
  g_holding = &holding;
  g_hold_armed.store(true);
  mpp::detail::g_before_dispatcher_sleeps.store(&hold_the_dispatcher_once);
  // Not waited on (a wait would drive): the dispatcher sends it, settles it, and goes to sleep.
  auto first = pool.apply_async(&square, 2);
  g_first.store(&first);
  ASSERT_TRUE(holding.wait());
  EXPECT_EQ(pool.apply(&square, 3), 9);
  g_hold_armed.store(false);
  mpp::detail::g_before_dispatcher_sleeps.store(nullptr);
  g_first.store(nullptr);
  EXPECT_EQ(first.get(), 4);
  pool.close();
  pool.join();
}

}  // namespace
