// mpp::RLock across processes: the holder may take it again, and another process gets it only when
// every level is released; a holder killed at any depth is told to the next acquirer alone.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <system_error>
#include <thread>

#include "board.hpp"
#include "mpp/errors.hpp"
#include "mpp/process.hpp"
#include "mpp/synchronize.hpp"
#include "mpp_test/start_methods.hpp"

namespace {

using namespace std::chrono_literals;
using mpp_test::BoardView;
using mpp_test::wait_for;

// Exit code: 0 when the lock could not be taken while the parent held it and could after.
int take_when_free(mpp::RLock lock, std::string board_name) {
  BoardView board(board_name);
  if (lock.try_lock()) return 1;  // the parent holds it twice
  board->held.store(1);
  if (!wait_for(board->go_on)) return 2;
  if (lock.try_lock()) return 3;  // still held once
  board->held.store(2);
  if (!wait_for(board->go_on, 2)) return 4;
  if (!lock.acquire(mpp_test::k_deadlock_limit)) return 5;
  lock.release();
  return 0;
}

void hold_deep_and_hang(mpp::RLock lock, std::string board_name) {
  BoardView board(board_name);
  lock.acquire();
  lock.acquire();
  lock.acquire();
  board->held.store(1);
  for (;;) std::this_thread::sleep_for(1h);  // killed here, three levels deep
}

void take_twice_and_return(mpp::RLock lock) {
  lock.acquire();
  lock.acquire();
}

class RLockAcross : public ::testing::TestWithParam<mpp::StartMethod> {
 protected:
  mpp::ProcessOptions options() const { return mpp::ProcessOptions{.start_method = GetParam()}; }
};

TEST_P(RLockAcross, AnotherProcessGetsItOnlyWhenEveryLevelIsReleased) {
  mpp::RLock lock;
  mpp::SharedMemory memory = mpp_test::make_board();
  auto& board = mpp_test::board_of(memory);
  lock.acquire();
  ASSERT_TRUE(lock.acquire(1s));  // again, in the holding thread: at once
  mpp::Process child(options(), &take_when_free, lock, memory.name());
  child.start();
  ASSERT_TRUE(wait_for(board.held));
  lock.release();
  board.go_on.store(1);
  ASSERT_TRUE(wait_for(board.held, 2));
  lock.release();
  board.go_on.store(2);
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
}

TEST_P(RLockAcross, AHolderKilledAtDepthThreeIsToldOnceAndTheLockIsFree) {
  mpp::RLock lock;
  mpp::SharedMemory memory = mpp_test::make_board();
  mpp::Process holder(options(), &hold_deep_and_hang, lock, memory.name());
  holder.start();
  ASSERT_TRUE(wait_for(mpp_test::board_of(memory).held));
  holder.kill();
  holder.join();
  EXPECT_THROW(lock.acquire(), mpp::LockOwnerDied);
  ASSERT_TRUE(lock.try_lock());  // free: the dead holder's levels are gone
  lock.release();
  std::thread other([lock]() mutable {  // and free for another thread after one release
    EXPECT_TRUE(lock.try_lock());
    lock.release();
  });
  other.join();
}

TEST_P(RLockAcross, AHolderThatReturnsHoldingItIsToldToo) {
  mpp::RLock lock;
  mpp::Process child(options(), &take_twice_and_return, lock);
  child.start();
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
  EXPECT_THROW(lock.acquire(), mpp::LockOwnerDied);
  ASSERT_TRUE(lock.try_lock());
  lock.release();
}

INSTANTIATE_TEST_SUITE_P(StartMethods, RLockAcross, ::testing::ValuesIn(mpp_test::k_start_methods),
                         mpp_test::start_method_name);

TEST(RLock, ReleasingWhereItIsNotHeldIsAnErrorAndChangesNothing) {
  mpp::RLock lock;
  try {
    lock.release();
    ADD_FAILURE() << "released a free lock";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::operation_not_permitted);
  }
  lock.acquire();
  std::thread other([lock]() mutable {
    EXPECT_THROW(lock.release(), std::system_error);  // not this thread's
    EXPECT_FALSE(lock.try_lock());                    // still held by the main thread
  });
  other.join();
  lock.release();
  EXPECT_THROW(lock.release(), std::system_error);  // one level only
}

TEST(RLock, IsLockableForTheStandardGuards) {
  mpp::RLock lock;
  const std::scoped_lock outer(lock);
  const std::lock_guard inner(lock);
  std::thread other([lock]() mutable { EXPECT_FALSE(lock.try_lock_for(1ms)); });
  other.join();
}

}  // namespace
