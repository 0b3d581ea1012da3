// mpp::AsyncResult<T>: get, get(timeout), wait, wait(timeout), ready, successful, copies, move-only
// and void results. (Callbacks: pool_callbacks_test.cpp.)
#include "mpp/async_result.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "mpp/errors.hpp"
#include "mpp/pool.hpp"
#include "mpp_test/pools.hpp"
#include "mpp_test/probe.hpp"
#include "mpp_test/processes.hpp"
#include "mpp_test/sync.hpp"

namespace {

using namespace std::chrono_literals;

int square(int x) { return x * x; }

int fail_after_gate(int x) {
  mpp_test::gated_identity(x);
  throw std::invalid_argument("failed " + std::to_string(x));
}

static_assert(std::is_copy_constructible_v<mpp::AsyncResult<int>>);
static_assert(std::is_same_v<mpp::AsyncResult<std::string>::value_type, std::string>);

TEST(AsyncResult, DefaultConstructedRefersToNoTaskAndThrowsLogicError) {
  mpp::AsyncResult<int> result;
  EXPECT_FALSE(result.valid());
  EXPECT_THROW((void)result.get(), std::logic_error);
  EXPECT_THROW((void)result.get(1ms), std::logic_error);
  EXPECT_THROW(result.wait(), std::logic_error);
  EXPECT_THROW((void)result.wait(1ms), std::logic_error);
  EXPECT_THROW((void)result.ready(), std::logic_error);
  EXPECT_THROW((void)result.successful(), std::logic_error);
  EXPECT_THROW(result.then([](int) {}), std::logic_error);
  mpp::AsyncResult<void> nothing;
  EXPECT_THROW(nothing.get(), std::logic_error);
  // Not a TimeoutError, nor any mpp::Error: a programming error.
  try {
    (void)result.get();
  } catch (const mpp::Error&) {
    ADD_FAILURE() << "threw an mpp::Error";
  } catch (const std::logic_error&) {
  }
}

template <class P>
class AsyncResultTest : public mpp_test::ProbeTest {};
TYPED_TEST_SUITE(AsyncResultTest, mpp_test::PoolTypes, mpp_test::PoolTypeNames);

TYPED_TEST(AsyncResultTest, GetWithTimeoutThrowsTimeoutErrorUntilReady) {
  TypeParam pool(2);
  auto result = pool.apply_async(&mpp_test::gated_identity, 6);
  ASSERT_TRUE(this->probe().started.wait_at_least(1));
  EXPECT_TRUE(result.valid());
  EXPECT_FALSE(result.ready());
  EXPECT_THROW((void)result.get(10ms), mpp::TimeoutError);
  EXPECT_THROW((void)result.get(0s), mpp::TimeoutError);
  EXPECT_THROW((void)result.get(-1s), mpp::TimeoutError);
  EXPECT_FALSE(result.wait(10ms));
  EXPECT_FALSE(result.wait(0ms));
  EXPECT_THROW((void)result.successful(), std::logic_error);  // Python: ValueError
  EXPECT_FALSE(result.ready());
  this->probe().release.open();
  EXPECT_TRUE(result.wait(20s));
  EXPECT_TRUE(result.ready());
  EXPECT_TRUE(result.successful());
  EXPECT_EQ(result.get(0s), 6);
  EXPECT_EQ(result.get(1h), 6);
  EXPECT_EQ(result.get(std::chrono::hours::max()), 6);  // no overflow
  EXPECT_TRUE(result.wait(0s));
}

// What a forked child finds when it waits on results of its parent's pool: bit k set when check k
// failed. The pool runs only in the parent, so nothing not ready at the fork can arrive here.
template <class R, class Imap>
int wait_in_forked_child(R& ready, R& pending, Imap& imap) {
  int failed = 0;
  const auto refused = [](auto call) {
    try {
      call();
    } catch (const std::logic_error& e) {
      return std::string(e.what()).find(
                 "a result waited on in a process forked from the one that made the pool") !=
             std::string::npos;
    } catch (...) {
    }
    return false;
  };
  try {
    if (ready.get() != 9) failed |= 1;  // ready before the fork: still readable
  } catch (...) {
    failed |= 1;
  }
  if (!refused([&] { (void)pending.get(); })) failed |= 2;
  if (!refused([&] { pending.wait(); })) failed |= 4;
  if (!refused([&] { (void)pending.get(1h); })) failed |= 8;
  if (!refused([&] { (void)imap.next(); })) failed |= 16;
  return failed;
}

// Waiting in a forked child on a result of the parent's pool throws std::logic_error instead of
// waiting forever; the parent's results are untouched.
TYPED_TEST(AsyncResultTest, AForkedChildWaitingOnTheParentsResultsIsRefusedNotHung) {
  TypeParam pool(2);
  auto ready = pool.apply_async(&square, 3);
  ASSERT_EQ(ready.get(), 9);
  auto pending = pool.apply_async(&mpp_test::gated_identity, 6);
  ASSERT_TRUE(this->probe().started.wait_at_least(1));
  auto imap = pool.imap(&square, std::vector<int>{1, 2, 3});
  const pid_t pid = ::fork();
  ASSERT_NE(pid, -1);
  if (pid == 0) ::_exit(wait_in_forked_child(ready, pending, imap));
  const auto reaped = mpp_test::reap(pid, mpp_test::k_deadlock_limit);
  if (!reaped) ::kill(pid, SIGKILL);
  ASSERT_TRUE(reaped) << "the child hangs waiting on its parent's result";
  EXPECT_EQ(reaped->status, 0) << mpp_test::describe_status(reaped->status);
  this->probe().release.open();
  EXPECT_EQ(pending.get(), 6);
  std::vector<int> squares;
  for (int r : imap) squares.push_back(r);
  EXPECT_EQ(squares, (std::vector<int>{1, 4, 9}));
}

TYPED_TEST(AsyncResultTest, SuccessfulIsFalseAfterFailureAndGetRethrowsEveryTime) {
  TypeParam pool(2);
  auto result = pool.apply_async(&fail_after_gate, 2);
  ASSERT_TRUE(this->probe().started.wait_at_least(1));
  EXPECT_THROW((void)result.successful(), std::logic_error);
  this->probe().release.open();
  EXPECT_NO_THROW(result.wait());  // wait() never throws the task's exception
  EXPECT_TRUE(result.wait(1s));
  EXPECT_TRUE(result.ready());
  EXPECT_FALSE(result.successful());
  for (int attempt = 0; attempt < 3; ++attempt) {
    try {
      (void)result.get();
      FAIL() << "get() did not rethrow";
    } catch (const std::invalid_argument& e) {
      EXPECT_STREQ(e.what(), "failed 2");
    }
  }
  EXPECT_THROW((void)result.get(1s), std::invalid_argument);
}

TYPED_TEST(AsyncResultTest, GetCanBeCalledMoreThanOnce) {
  TypeParam pool(2);
  auto result = pool.apply_async([](int n) { return std::string(static_cast<std::size_t>(n), 'x'); }, 3);
  EXPECT_EQ(result.get(), "xxx");
  EXPECT_EQ(result.get(), "xxx");
  EXPECT_EQ(result.get(1s), "xxx");
  auto map = pool.map_async(&square, std::vector<int>{1, 2, 3});
  EXPECT_EQ(map.get(), (std::vector<int>{1, 4, 9}));
  EXPECT_EQ(map.get(), (std::vector<int>{1, 4, 9}));
}

TYPED_TEST(AsyncResultTest, CopiesShareTheResult) {
  TypeParam pool(2);
  auto result = pool.apply_async(&mpp_test::gated_identity, 4);
  auto copy = result;  // before completion
  mpp::AsyncResult<int> assigned;
  assigned = copy;
  EXPECT_FALSE(copy.ready());
  this->probe().release.open();
  EXPECT_EQ(copy.get(), 4);
  EXPECT_TRUE(result.ready());  // the original sees the same completion
  EXPECT_TRUE(assigned.ready());
  EXPECT_EQ(result.get(), 4);
  EXPECT_EQ(assigned.get(), 4);
  auto late_copy = result;  // after completion
  EXPECT_TRUE(late_copy.ready());
  EXPECT_EQ(late_copy.get(), 4);
  EXPECT_EQ(this->probe().started.value(), 1);  // one task, however many handles
}

TYPED_TEST(AsyncResultTest, CopiesAreUsableFromSeveralThreadsAtOnce) {
  TypeParam pool(2);
  auto result = pool.apply_async(&mpp_test::gated_identity, 9);
  std::vector<std::thread> waiters;
  std::vector<int> got(4, 0);
  for (std::size_t t = 0; t < got.size(); ++t) {
    waiters.emplace_back([copy = result, &got, t]() mutable { got[t] = copy.get(); });
  }
  this->probe().release.open();
  for (auto& w : waiters) w.join();
  EXPECT_EQ(got, (std::vector<int>(4, 9)));
}

TYPED_TEST(AsyncResultTest, MovedFromResultRefersToNoTask) {
  TypeParam pool(2);
  auto result = pool.apply_async(&square, 5);
  mpp::AsyncResult<int> moved = std::move(result);
  EXPECT_EQ(moved.get(), 25);
  EXPECT_FALSE(result.valid());  // NOLINT(bugprone-use-after-move): documented state
  EXPECT_THROW((void)result.get(), std::logic_error);
}

TYPED_TEST(AsyncResultTest, VoidResult) {
  TypeParam pool(2);
  mpp::AsyncResult<void> result = pool.apply_async([](int n) { mpp_test::probe().calls.add(n); }, 2);
  static_assert(std::is_void_v<decltype(result.get())>);
  static_assert(std::is_void_v<decltype(result.get(1s))>);
  result.get();
  result.get();
  result.get(1s);
  EXPECT_TRUE(result.successful());
  EXPECT_EQ(this->probe().calls.value(), 2);
  mpp::AsyncResult<void> failed = pool.apply_async([] { throw std::overflow_error("void failed"); });
  EXPECT_THROW(failed.get(), std::overflow_error);
  EXPECT_FALSE(failed.successful());
}

TYPED_TEST(AsyncResultTest, ResultsNeverWaitedOn) {
  // Dropping the handle at once must neither lose the work nor touch freed memory.
  {
    TypeParam pool(2);
    for (int i = 0; i < 200; ++i) (void)pool.apply_async([] { mpp_test::probe().calls.add(); });
    for (int i = 0; i < 20; ++i)
      (void)pool.map_async([](int) { mpp_test::probe().calls.add(); }, std::vector<int>(5));
    (void)pool.apply_async(&mpp_test::gated_identity, 1);
    this->probe().release.open();
  }
  EXPECT_EQ(this->probe().calls.value(), 300);
}

// ---------------------------------------------------------------------------------------------
// Thread pool only: move-only results, waiting from inside a task.

TEST(ThreadPoolAsyncResult, MoveOnlyResultCanBeTakenOnce) {
  mpp::Pool pool(2);
  auto result = pool.apply_async([](int v) { return std::make_unique<int>(v); }, 42);
  static_assert(std::is_same_v<decltype(result), mpp::AsyncResult<std::unique_ptr<int>>>);
  result.wait();
  EXPECT_TRUE(result.successful());
  std::unique_ptr<int> value = result.get();
  ASSERT_NE(value, nullptr);
  EXPECT_EQ(*value, 42);
  EXPECT_THROW((void)result.get(), std::logic_error);
  EXPECT_THROW((void)result.get(1s), std::logic_error);
  EXPECT_TRUE(result.ready());

  // A copy shares the one value: whoever takes it first gets it.
  auto shared = pool.apply_async([] { return std::make_unique<std::string>("once"); });
  auto copy = shared;
  EXPECT_EQ(*copy.get(), "once");
  EXPECT_THROW((void)shared.get(), std::logic_error);

  // with timeout, first
  auto timed = pool.apply_async([] { return std::make_unique<int>(7); });
  EXPECT_EQ(*timed.get(20s), 7);
  EXPECT_THROW((void)timed.get(), std::logic_error);

  // apply() returns it directly.
  EXPECT_EQ(*pool.apply([] { return std::make_unique<int>(3); }), 3);

  // A failed move-only result rethrows every time.
  auto failed = pool.apply_async([]() -> std::unique_ptr<int> { throw std::runtime_error("no pointer"); });
  EXPECT_THROW((void)failed.get(), std::runtime_error);
  EXPECT_THROW((void)failed.get(), std::runtime_error);
}

TEST(ThreadPoolAsyncResult, WaitingFromInsideATaskOfAOneWorkerPool) {
  mpp::Pool pool(1);
  const auto outcome = pool.apply([&pool] {
    auto inner = pool.apply_async(&square, 4);
    const bool ready_in_time = inner.wait(20s);
    auto timed = pool.apply_async(&square, 5);
    return std::vector<int>{ready_in_time ? 1 : 0, inner.get(), timed.get(20s)};
  });
  EXPECT_EQ(outcome, (std::vector<int>{1, 16, 25}));
}

}  // namespace
