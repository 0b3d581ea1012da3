// mpp::Lock across processes: exclusion between children of every start method (the lock passed
// as an argument), timeouts against a holder in another process, a holder killed while holding it
// (the next acquirer alone is told, and the lock works on), and misuse (relocking, foreign release).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <new>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "board.hpp"
#include "mpp/errors.hpp"
#include "mpp/process.hpp"
#include "mpp/process_pool.hpp"
#include "mpp/shared_memory.hpp"
#include "mpp/start_method.hpp"
#include "mpp/synchronize.hpp"
#include "mpp_test/start_methods.hpp"
#include "mpp_test/sync.hpp"

namespace {

using namespace std::chrono_literals;

using mpp_test::Board;
using mpp_test::board_of;
using mpp_test::make_board;
using mpp_test::wait_for;

constexpr int k_rounds = 2000;

void count_under(mpp::Lock lock, std::string board_name) {
  mpp::SharedMemory memory = mpp::SharedMemory::attach(board_name);
  Board& board = board_of(memory);
  for (int i = 0; i < k_rounds; ++i) {
    const std::lock_guard guard(lock);
    const std::uint64_t seen = board.counter;  // a read and a write apart: a race would lose counts
    std::this_thread::yield();
    board.counter = seen + 1;
  }
}

void hold_until_told(mpp::Lock lock, std::string board_name) {
  mpp::SharedMemory memory = mpp::SharedMemory::attach(board_name);
  Board& board = board_of(memory);
  lock.acquire();
  board.held.store(1);
  if (!wait_for(board.go_on)) return;  // never released: the parent's test has failed anyway
  lock.release();
}

void hold_and_hang(mpp::Lock lock, std::string board_name) {
  mpp::SharedMemory memory = mpp::SharedMemory::attach(board_name);
  lock.acquire();
  board_of(memory).held.store(1);
  for (;;) std::this_thread::sleep_for(1h);  // killed here, holding the lock
}

void acquire_and_return(mpp::Lock lock) { lock.acquire(); }
int acquire_and_return_one(mpp::Lock lock) {
  lock.acquire();
  return 1;
}

class LockAcross : public ::testing::TestWithParam<mpp::StartMethod> {
 protected:
  mpp::ProcessOptions options() const { return mpp::ProcessOptions{.start_method = GetParam()}; }
};

TEST_P(LockAcross, ChildrenCountingUnderTheLockLoseNoCount) {
  mpp::Lock lock;
  mpp::SharedMemory memory = make_board();
  std::vector<mpp::Process> children;
  for (int i = 0; i < 3; ++i) children.emplace_back(options(), &count_under, lock, memory.name());
  for (auto& child : children) child.start();
  count_under(lock, memory.name());  // the parent too
  for (auto& child : children) {
    child.join();
    EXPECT_EQ(child.exitcode(), 0);
  }
  EXPECT_EQ(board_of(memory).counter, 4U * k_rounds);
}

TEST_P(LockAcross, AcquireWithATimeoutGivesUpWhileAnotherProcessHoldsIt) {
  mpp::Lock lock;
  mpp::SharedMemory memory = make_board();
  mpp::Process holder(options(), &hold_until_told, lock, memory.name());
  holder.start();
  ASSERT_TRUE(wait_for(board_of(memory).held));
  EXPECT_FALSE(lock.try_lock());
  EXPECT_FALSE(lock.acquire(20ms));
  EXPECT_FALSE(lock.try_lock_for(1ms));
  board_of(memory).go_on.store(1);
  EXPECT_TRUE(lock.acquire(mpp_test::k_deadlock_limit));  // as soon as the holder releases it
  lock.release();
  holder.join();
  EXPECT_EQ(holder.exitcode(), 0);
}

TEST_P(LockAcross, AHolderKilledWhileHoldingItIsToldToTheNextAcquirerAloneAndTheLockWorksOn) {
  mpp::Lock lock;
  mpp::SharedMemory memory = make_board();
  mpp::Process holder(options(), &hold_and_hang, lock, memory.name());
  holder.start();
  ASSERT_TRUE(wait_for(board_of(memory).held));
  holder.kill();
  holder.join();
  try {
    lock.acquire();
    ADD_FAILURE() << "the death was not told";
    lock.release();
  } catch (const mpp::LockOwnerDied& e) {
    EXPECT_NE(std::string(e.what()).find("died holding it"), std::string::npos) << e.what();
  }
  // Free and usable, and told once only.
  ASSERT_TRUE(lock.try_lock());
  lock.release();
  { const std::lock_guard guard(lock); }
  // Waiters with a timeout are told too.
  mpp::Process second(options(), &hold_and_hang, lock, memory.name());
  board_of(memory).held.store(0);
  second.start();
  ASSERT_TRUE(wait_for(board_of(memory).held));
  second.kill();
  second.join();
  EXPECT_THROW((void)lock.acquire(1s), mpp::LockOwnerDied);
  EXPECT_TRUE(lock.acquire(1s));
  lock.release();
}

// The child's handle (decoded from its arguments under spawn and forkserver) is destroyed when the
// target returns, before the process ends: the lock must stay mapped for the kernel to release it.
TEST_P(LockAcross, AHolderThatReturnsOrExitsHoldingItIsToldToo) {
  mpp::Lock lock;
  mpp::Process child(options(), &acquire_and_return, lock);
  child.start();
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
  EXPECT_THROW(lock.acquire(), mpp::LockOwnerDied);
  // A pool worker that ends after a task that took the lock (maxtasksperchild).
  mpp::ProcessPool pool(
      mpp::ProcessPoolOptions{.processes = 1, .maxtasksperchild = 1, .start_method = GetParam()});
  EXPECT_EQ(pool.apply(&acquire_and_return_one, lock), 1);
  EXPECT_THROW(lock.acquire(), mpp::LockOwnerDied);  // waits for the worker to end, then told
  ASSERT_TRUE(lock.try_lock());
  lock.release();
}

INSTANTIATE_TEST_SUITE_P(StartMethods, LockAcross, ::testing::ValuesIn(mpp_test::k_start_methods),
                         mpp_test::start_method_name);

TEST(Lock, ThreadsOfOneProcessExcludeEachOtherAndCopiesShareTheLock) {
  mpp::Lock lock;
  mpp::Lock copy = lock;  // a handle to the same lock
  EXPECT_EQ(copy.name(), lock.name());
  ASSERT_TRUE(lock.try_lock());
  std::thread other([copy]() mutable { EXPECT_FALSE(copy.try_lock()); });
  other.join();
  lock.release();
  std::thread again([copy]() mutable {
    EXPECT_TRUE(copy.try_lock());
    copy.release();
  });
  again.join();
}

TEST(Lock, RelockingInTheHoldingThreadIsAnErrorNotAHang) {
  mpp::Lock lock;
  lock.acquire();
  try {
    lock.acquire();
    ADD_FAILURE() << "relocked";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::resource_deadlock_would_occur);
  }
  lock.release();
}

TEST(Lock, ReleasingALockNotHeldIsAnError) {
#if defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "ThreadSanitizer reports the misuse itself (unlock of an unlocked mutex) and stops";
#endif
  mpp::Lock lock;
  lock.acquire();
  lock.release();
  try {
    lock.release();
    ADD_FAILURE() << "released twice";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::operation_not_permitted);
  }
}

}  // namespace
