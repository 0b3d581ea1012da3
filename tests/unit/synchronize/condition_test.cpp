// mpp::Condition across processes: waiters in other processes woken by notify and notify_all, over
// a Lock and an RLock; timeouts keep the lock (every level of an RLock); misuse is an error; a
// holder killed while a waiter waits to take the lock back is told to that waiter, lock held.
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "board.hpp"
#include "mpp/errors.hpp"
#include "mpp/process.hpp"
#include "mpp/synchronize.hpp"
#include "mpp_test/start_methods.hpp"

namespace {

using namespace std::chrono_literals;
using mpp_test::BoardView;
using mpp_test::wait_for;

// Waits (holding the condition's lock) for the parent's counter to reach 1; exit code 0 then.
int wait_for_counter(mpp::Condition condition, std::string board_name) {
  BoardView board(board_name);
  std::unique_lock guard(condition);
  board->held.fetch_add(1);  // under the lock: the parent's notify comes after this child waits
  const bool done = condition.wait_for([&] { return board->counter == 1; }, mpp_test::k_deadlock_limit);
  return done ? 0 : 1;
}

// Takes the lock while the parent waits, wakes it, and hangs holding the lock until killed.
void notify_and_hang(mpp::Condition condition, std::string board_name) {
  BoardView board(board_name);
  condition.acquire();
  condition.notify();
  board->held.store(1);
  for (;;) std::this_thread::sleep_for(1h);
}

class ConditionAcross : public ::testing::TestWithParam<mpp::StartMethod> {
 protected:
  mpp::ProcessOptions options() const { return mpp::ProcessOptions{.start_method = GetParam()}; }
};

TEST_P(ConditionAcross, NotifyAllWakesWaitersInOtherProcessesOverALockAndAnRLock) {
  for (const bool over_rlock : {false, true}) {
    mpp::Condition condition = over_rlock ? mpp::Condition() : mpp::Condition(mpp::Lock());
    mpp::SharedMemory memory = mpp_test::make_board();
    auto& board = mpp_test::board_of(memory);
    std::vector<mpp::Process> children;
    for (int i = 0; i < 3; ++i) children.emplace_back(options(), &wait_for_counter, condition, memory.name());
    for (auto& child : children) child.start();
    ASSERT_TRUE(wait_for(board.held, 3));
    {
      const std::lock_guard guard(condition);  // every child waits now: each counted under the lock
      board.counter = 1;
      condition.notify_all();
    }
    for (auto& child : children) {
      child.join();
      EXPECT_EQ(child.exitcode(), 0) << (over_rlock ? "over an RLock" : "over a Lock");
    }
  }
}

TEST_P(ConditionAcross, AHolderKilledWhileAWaiterWaitsForTheLockIsToldToTheWaiterHoldingIt) {
  mpp::Condition condition(mpp::Lock{});
  mpp::SharedMemory memory = mpp_test::make_board();
  auto& board = mpp_test::board_of(memory);
  mpp::Process holder(options(), &notify_and_hang, condition, memory.name());
  std::unique_lock guard(condition);
  holder.start();  // the child waits for the lock
  std::thread killer([&] {
    if (wait_for(board.held)) holder.kill();
  });
  try {
    condition.wait();  // the child takes the lock, notifies, and dies holding it
    ADD_FAILURE() << "the death was not told";
  } catch (const mpp::LockOwnerDied& e) {
    EXPECT_NE(std::string(e.what()).find("holds the lock again"), std::string::npos) << e.what();
  }
  killer.join();
  holder.join();
  std::thread other([condition]() mutable { EXPECT_FALSE(condition.try_lock()); });  // held here
  other.join();
  guard.unlock();
  ASSERT_TRUE(condition.try_lock());
  condition.release();
}

INSTANTIATE_TEST_SUITE_P(StartMethods, ConditionAcross, ::testing::ValuesIn(mpp_test::k_start_methods),
                         mpp_test::start_method_name);

TEST(Condition, ATimedOutWaitHoldsEveryLevelOfItsRLockAgain) {
  mpp::RLock lock;
  mpp::Condition condition(lock);
  lock.acquire();
  lock.acquire();
  EXPECT_FALSE(condition.wait(10ms));
  std::thread other([lock]() mutable { EXPECT_FALSE(lock.try_lock()); });
  other.join();
  lock.release();
  std::thread still([lock]() mutable { EXPECT_FALSE(lock.try_lock()); });  // one level left
  still.join();
  lock.release();
  EXPECT_THROW(lock.release(), std::system_error);
}

TEST(Condition, WaitingOrNotifyingWithoutTheLockIsAnError) {
  mpp::Condition condition;
  try {
    condition.notify();
    ADD_FAILURE() << "notified without the lock";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::operation_not_permitted);
  }
  EXPECT_THROW(condition.notify_all(), std::system_error);
  EXPECT_THROW(condition.wait(), std::system_error);
  mpp::Condition over_lock(mpp::Lock{});
  EXPECT_THROW((void)over_lock.wait(1ms), std::system_error);
}

TEST(Condition, NotifyWakesAThreadWaitingInThisProcess) {
  mpp::Condition condition(mpp::Lock{});
  bool ready = false;  // plain: the condition's lock guards it
  std::thread waiter([&, condition]() mutable {
    std::unique_lock guard(condition);
    condition.wait_for([&] { return ready; });
  });
  {
    const std::lock_guard guard(condition);
    ready = true;
    condition.notify();
  }
  waiter.join();
}

}  // namespace
