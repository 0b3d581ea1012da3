// AsyncResult::cancel(): what has not started never runs and the result is TaskCancelled; what
// runs or has finished is left alone. Typed over every pool (the MPI tests compile it for MpiPool).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <ranges>
#include <string>
#include <type_traits>
#include <vector>

#include "mpp/async_result.hpp"
#include "mpp/errors.hpp"
#include "mpp/pool.hpp"
#include "mpp_test/pools.hpp"
#include "mpp_test/probe.hpp"

namespace {

using namespace std::chrono_literals;

int square(int x) { return x * x; }

int count_call(int x) {
  mpp_test::probe().calls.add();
  return x;
}

bool says_cancel(const mpp::TaskCancelled& e) {
  return std::string(e.what()).find("AsyncResult::cancel") != std::string::npos;
}

template <class P>
class AsyncResultCancel : public mpp_test::ProbeTest {
 protected:
  // One worker, held by a task until the probe's gate opens, and one more call queued behind it:
  // a process pool sends the next chunk to a busy worker ahead of time (it waits in its channel),
  // and a call that was sent counts as started. What is submitted after these two is not started.
  struct Busy {
    mpp::AsyncResult<int> blocker;
    mpp::AsyncResult<int> sent_ahead;
  };
  Busy occupy(P& pool) {
    Busy busy{pool.apply_async(&mpp_test::gated_identity, -1), {}};
    EXPECT_TRUE(this->probe().started.wait_at_least(1));
    busy.sent_ahead = pool.apply_async(&square, 3);
    return busy;
  }
  void release(Busy& busy) {
    this->probe().release.open();
    EXPECT_EQ(busy.blocker.get(), -1);
    EXPECT_EQ(busy.sent_ahead.get(), 9);
  }
};
TYPED_TEST_SUITE(AsyncResultCancel, mpp_test::PoolTypes, mpp_test::PoolTypeNames);

TYPED_TEST(AsyncResultCancel, AQueuedApplyNeverRunsAndCompletesWithTaskCancelled) {
  TypeParam pool(1);
  auto busy = this->occupy(pool);
  auto queued = pool.apply_async(&count_call, 7);
  std::atomic<int> errors{0};
  std::atomic<int> values{0};
  queued.then([&values](int) { values.fetch_add(1); },
              [&errors](const std::exception_ptr& e) {
                try {
                  std::rethrow_exception(e);
                } catch (const mpp::TaskCancelled& c) {
                  if (says_cancel(c)) errors.fetch_add(1);
                } catch (...) {
                }
              });
  EXPECT_TRUE(queued.cancel());
  // Complete at once, without waiting for the busy worker (the gate is still shut).
  ASSERT_TRUE(queued.wait(20s));
  EXPECT_FALSE(queued.successful());
  try {
    (void)queued.get();
    ADD_FAILURE() << "a cancelled task returned a value";
  } catch (const mpp::TaskCancelled& e) {
    EXPECT_TRUE(says_cancel(e)) << e.what();
  }
  EXPECT_EQ(errors.load(), 1);
  EXPECT_EQ(values.load(), 0);
  EXPECT_FALSE(queued.cancel());  // once only
  this->release(busy);
  pool.close();
  pool.join();
  EXPECT_EQ(this->probe().calls.value(), 0);  // it never ran, not even after the worker was free
}

TYPED_TEST(AsyncResultCancel, ARunningApplyIsLeftToFinish) {
  TypeParam pool(1);
  auto running = pool.apply_async(&mpp_test::gated_identity, 5);
  ASSERT_TRUE(this->probe().started.wait_at_least(1));
  EXPECT_FALSE(running.cancel());
  this->probe().release.open();
  EXPECT_EQ(running.get(), 5);
}

TYPED_TEST(AsyncResultCancel, AFinishedResultIsLeftAlone) {
  TypeParam pool(2);
  auto done = pool.apply_async(&square, 4);
  EXPECT_EQ(done.get(), 16);
  EXPECT_FALSE(done.cancel());
  EXPECT_EQ(done.get(), 16);
  auto mapped = pool.map_async(&square, std::vector<int>{1, 2, 3});
  EXPECT_EQ(mapped.get(), (std::vector<int>{1, 4, 9}));
  EXPECT_FALSE(mapped.cancel());
  EXPECT_EQ(mapped.get(), (std::vector<int>{1, 4, 9}));
}

TYPED_TEST(AsyncResultCancel, AMapStartsNoChunkAfterCancelAndCompletesWithTaskCancelled) {
  TypeParam pool(1);
  auto busy = this->occupy(pool);
  const std::vector<int> items(100, 1);
  auto mapped = pool.map_async(&count_call, items, 10);
  std::atomic<int> errors{0};
  mapped.then(nullptr, [&errors](const std::exception_ptr&) { errors.fetch_add(1); });
  EXPECT_TRUE(mapped.cancel());
  EXPECT_FALSE(mapped.cancel());
  this->release(busy);
  try {
    (void)mapped.get();
    ADD_FAILURE() << "a cancelled map returned its values";
  } catch (const mpp::TaskCancelled& e) {
    EXPECT_TRUE(says_cancel(e)) << e.what();
  }
  EXPECT_EQ(errors.load(), 1);
  pool.close();
  pool.join();
  if constexpr (std::is_same_v<TypeParam, mpp::Pool>) {
    EXPECT_EQ(this->probe().calls.value(), 0);
  } else {
    // A chunk may have been sent to the worker (started) before cancel(): at most that one ran.
    EXPECT_LE(this->probe().calls.value(), 10);
  }
}

TYPED_TEST(AsyncResultCancel, CancelAfterTerminateReturnsFalse) {
  TypeParam pool(1);
  auto busy = this->occupy(pool);
  auto queued = pool.apply_async(&count_call, 1);
  pool.terminate();
  EXPECT_FALSE(queued.cancel());
  EXPECT_THROW((void)queued.get(), mpp::TaskCancelled);
  this->probe().release.open();
  pool.join();
  if (!mpp_test::PoolTraits<TypeParam>::stops_running_calls()) {
    // The running call, which nothing could stop, ends once the gate opens (an MPI rank running it
    // itself may end it after join(): the next test must not remake the probe it waits on).
    EXPECT_TRUE(this->probe().finished.wait_at_least(1));
  }
}

TYPED_TEST(AsyncResultCancel, EvenRunningStopsARunningCallOnlyWhereThePoolCan) {
  TypeParam pool(1);
  auto running = pool.apply_async(&mpp_test::gated_identity, 5);
  ASSERT_TRUE(this->probe().started.wait_at_least(1));
  if (mpp_test::PoolTraits<TypeParam>::stops_running_calls()) {
    // Its worker is killed and replaced; the gate never opens, so nothing else could end it.
    EXPECT_TRUE(running.cancel(mpp::Cancel::even_running));
    try {
      (void)running.get();
      ADD_FAILURE() << "a stopped call returned a value";
    } catch (const mpp::TaskCancelled& e) {
      EXPECT_TRUE(std::string(e.what()).find("cancelled while it ran") != std::string::npos) << e.what();
    }
    EXPECT_EQ(this->probe().finished.value(), 0);
    EXPECT_EQ(pool.apply(&square, 3), 9);  // the replacement works
    this->probe().release.open();
  } else {
    // A thread (or a rank running its items itself) cannot be stopped: cancel says so at once,
    // without waiting for the call, and the call finishes and keeps its value.
    EXPECT_FALSE(running.cancel(mpp::Cancel::even_running));
    EXPECT_FALSE(running.ready());
    EXPECT_EQ(this->probe().finished.value(), 0);
    this->probe().release.open();
    EXPECT_EQ(running.get(), 5);
  }
}

TYPED_TEST(AsyncResultCancel, EvenRunningSkipsACallSentAheadWithoutTouchingTheRunningOne) {
  TypeParam pool(1);
  auto busy = this->occupy(pool);
  // On a process pool, sent_ahead waits in the busy worker's channel (started, not running) and
  // is skipped there; on threads it has not started. An MPI rank counts a call sent to it as
  // started: cancelled only if the dispatcher had not sent it yet, else it runs.
  const bool cancelled = busy.sent_ahead.cancel(mpp::Cancel::even_running);
  if (mpp_test::PoolTraits<TypeParam>::k_cancels_calls_sent_ahead) {
    EXPECT_TRUE(cancelled);
  }
  if (cancelled) {
    EXPECT_THROW((void)busy.sent_ahead.get(), mpp::TaskCancelled);  // at once: still gated
  }
  this->probe().release.open();
  EXPECT_EQ(busy.blocker.get(), -1);  // the call that ran was not touched
  if (!cancelled) {
    EXPECT_EQ(busy.sent_ahead.get(), 9);
  }
  EXPECT_EQ(pool.apply(&square, 2), 4);
}

TEST(AsyncResultCancel, ADefaultConstructedResultThrowsLogicError) {
  mpp::AsyncResult<int> none;
  EXPECT_THROW((void)none.cancel(), std::logic_error);
}

}  // namespace
