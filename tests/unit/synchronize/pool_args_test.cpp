// Every primitive of <mpp/synchronize.hpp> crosses to ProcessPool workers as a task's argument,
// under every start method, and is the same primitive there.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>

#include "mpp/process_pool.hpp"
#include "mpp/synchronize.hpp"
#include "mpp_test/start_methods.hpp"
#include "mpp_test/sync.hpp"

namespace {

using namespace std::chrono_literals;

// In a worker: each primitive shows the state the caller left it in. Returns a bit per failure.
std::uint32_t look_at(mpp::Lock lock, mpp::RLock rlock, mpp::Semaphore semaphore, mpp::Event event,
                      mpp::Condition condition, mpp::Barrier barrier) {
  std::uint32_t failures = 0;
  if (lock.try_lock()) failures |= 1U;  // the caller holds it
  if (rlock.try_lock()) failures |= 2U;
  if (semaphore.get_value() != 3) failures |= 4U;
  if (!event.is_set()) failures |= 8U;
  if (!condition.try_lock()) {
    failures |= 16U;
  } else {
    condition.notify_all();  // held: allowed
    condition.release();
  }
  if (barrier.wait(mpp_test::k_deadlock_limit) > 1) failures |= 32U;  // meets the caller
  event.clear();
  return failures;
}

class SynchronizeInPool : public ::testing::TestWithParam<mpp::StartMethod> {};

TEST_P(SynchronizeInPool, EveryPrimitiveCrossesToAWorkerAsTheSamePrimitive) {
  mpp::ProcessPool pool(mpp::ProcessPoolOptions{.processes = 1, .start_method = GetParam()});
  mpp::Lock lock;
  mpp::RLock rlock;
  mpp::Semaphore semaphore(3);
  mpp::Event event;
  mpp::Condition condition(mpp::Lock{});
  mpp::Barrier barrier(2);
  lock.acquire();
  rlock.acquire();
  event.set();
  auto result = pool.apply_async(&look_at, lock, rlock, semaphore, event, condition, barrier);
  (void)barrier.wait(mpp_test::k_deadlock_limit);
  EXPECT_EQ(result.get(mpp_test::k_deadlock_limit), 0U);
  EXPECT_FALSE(event.is_set());  // cleared in the worker
  lock.release();
  rlock.release();
}

INSTANTIATE_TEST_SUITE_P(StartMethods, SynchronizeInPool, ::testing::ValuesIn(mpp_test::k_start_methods),
                         mpp_test::start_method_name);

}  // namespace
