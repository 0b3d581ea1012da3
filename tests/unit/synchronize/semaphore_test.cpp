// mpp::Semaphore and mpp::BoundedSemaphore across processes: never more holders than the count, a
// release in one process wakes a waiter in another, timeouts, and the bound.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "board.hpp"
#include "mpp/detail/remote/codec.hpp"
#include "mpp/errors.hpp"
#include "mpp/process.hpp"
#include "mpp/synchronize.hpp"
#include "mpp_test/start_methods.hpp"

namespace {

using namespace std::chrono_literals;
using mpp_test::BoardView;
using mpp_test::wait_for;

constexpr int k_rounds = 300;

void take_turns(mpp::Semaphore semaphore, std::string board_name) {
  BoardView board(board_name);
  for (int i = 0; i < k_rounds; ++i) {
    semaphore.acquire();
    const std::uint32_t now = board->inside.fetch_add(1) + 1;
    std::uint32_t most = board->most_inside.load();
    while (now > most && !board->most_inside.compare_exchange_weak(most, now)) {
    }
    std::this_thread::yield();
    board->inside.fetch_sub(1);
    semaphore.release();
  }
}

// Exit code 0 when an untimed acquire returned (after the parent's release).
int wait_for_one(mpp::Semaphore semaphore, std::string board_name) {
  BoardView board(board_name);
  if (semaphore.try_acquire()) return 1;  // the parent has not released yet
  board->held.store(1);
  semaphore.acquire();
  return 0;
}

class SemaphoreAcross : public ::testing::TestWithParam<mpp::StartMethod> {
 protected:
  mpp::ProcessOptions options() const { return mpp::ProcessOptions{.start_method = GetParam()}; }
};

TEST_P(SemaphoreAcross, NeverMoreHoldersThanTheCount) {
  mpp::Semaphore semaphore(2);
  mpp::SharedMemory memory = mpp_test::make_board();
  std::vector<mpp::Process> children;
  for (int i = 0; i < 4; ++i) children.emplace_back(options(), &take_turns, semaphore, memory.name());
  for (auto& child : children) child.start();
  for (auto& child : children) {
    child.join();
    EXPECT_EQ(child.exitcode(), 0);
  }
  EXPECT_LE(mpp_test::board_of(memory).most_inside.load(), 2U);
  EXPECT_EQ(semaphore.get_value(), 2U);
}

TEST_P(SemaphoreAcross, AReleaseWakesAWaiterInAnotherProcess) {
  mpp::Semaphore semaphore(0);
  mpp::SharedMemory memory = mpp_test::make_board();
  mpp::Process child(options(), &wait_for_one, semaphore, memory.name());
  child.start();
  ASSERT_TRUE(wait_for(mpp_test::board_of(memory).held));
  semaphore.release();
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
  EXPECT_EQ(semaphore.get_value(), 0U);
}

INSTANTIATE_TEST_SUITE_P(StartMethods, SemaphoreAcross, ::testing::ValuesIn(mpp_test::k_start_methods),
                         mpp_test::start_method_name);

TEST(Semaphore, AcquireWithATimeoutGivesUpAtZero) {
  mpp::Semaphore semaphore(1);
  EXPECT_TRUE(semaphore.acquire(0s));
  EXPECT_FALSE(semaphore.acquire(20ms));
  EXPECT_FALSE(semaphore.try_acquire());
  EXPECT_FALSE(semaphore.try_acquire_for(1ms));
  semaphore.release(3);
  EXPECT_EQ(semaphore.get_value(), 3U);
  EXPECT_TRUE(semaphore.try_acquire_until(std::chrono::steady_clock::now()));
}

TEST(Semaphore, AReleaseOfSeveralWakesAsManyWaitingThreads) {
  mpp::Semaphore semaphore(0);
  std::vector<std::thread> waiters;
  for (int i = 0; i < 3; ++i) {
    waiters.emplace_back(
        [semaphore]() mutable { EXPECT_TRUE(semaphore.acquire(mpp_test::k_deadlock_limit)); });
  }
  semaphore.release(3);
  for (auto& waiter : waiters) waiter.join();
  EXPECT_EQ(semaphore.get_value(), 0U);
}

TEST(BoundedSemaphore, AReleaseAboveTheInitialValueIsAnErrorAndChangesNothing) {
  mpp::BoundedSemaphore semaphore(2);
  try {
    semaphore.release();
    ADD_FAILURE() << "released above the bound";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::value_too_large);
  }
  EXPECT_EQ(semaphore.get_value(), 2U);
  semaphore.acquire();
  semaphore.acquire();
  EXPECT_THROW(semaphore.release(3), std::system_error);
  semaphore.release(2);
  EXPECT_EQ(semaphore.get_value(), 2U);
}

TEST(BoundedSemaphore, KeepsItsBoundThroughAPlainSemaphoreHandleSentToAnotherProcess) {
  mpp::BoundedSemaphore bounded(1);
  mpp::Semaphore plain = bounded;  // a slice: the same semaphore
  mpp::detail::ByteBuffer bytes;
  mpp::detail::encode(bytes, plain);
  mpp::detail::ByteReader reader(bytes);
  auto decoded = mpp::detail::decode<mpp::Semaphore>(reader);
  EXPECT_EQ(decoded.name(), bounded.name());
  EXPECT_THROW(decoded.release(), std::system_error);
}

TEST(SyncHandle, ANameOfAnotherKindIsRefusedWhenDecoded) {
  mpp::Event event;
  mpp::detail::ByteBuffer bytes;
  mpp::detail::encode(bytes, event);
  mpp::detail::ByteReader reader(bytes);
  try {
    (void)mpp::detail::decode<mpp::Semaphore>(reader);
    ADD_FAILURE() << "an Event attached as a Semaphore";
  } catch (const mpp::SerializationError& e) {
    EXPECT_NE(std::string(e.what()).find("holds mpp::Event"), std::string::npos) << e.what();
  }
}

}  // namespace
