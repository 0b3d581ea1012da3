// mpp::Barrier across processes: no party passes before all arrive, round after round; a timeout,
// abort() and a party that dies while it waits break it for the others (never a hang); reset().
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <set>
#include <stdexcept>
#include <string>
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

constexpr std::uint32_t k_parties = 4;
constexpr int k_rounds = 8;

// Exit code 0 when every round's wait returned only after all parties had arrived at it.
int meet_every_round(mpp::Barrier barrier, std::string board_name) {
  BoardView board(board_name);
  for (int round = 0; round < k_rounds; ++round) {
    board->arrivals[round].fetch_add(1);
    (void)barrier.wait(mpp_test::k_deadlock_limit);
    if (board->arrivals[round].load() != k_parties) return 1;
  }
  return 0;
}

// Exit code 0 when the wait ended with BrokenBarrierError.
int wait_until_broken(mpp::Barrier barrier, std::string board_name) {
  BoardView board(board_name);
  board->held.fetch_add(1);
  try {
    (void)barrier.wait();
  } catch (const mpp::BrokenBarrierError&) {
    return 0;
  }
  return 1;
}

void wait_forever(mpp::Barrier barrier) { (void)barrier.wait(); }

// Bounded: until `n` parties wait at the barrier.
bool wait_for_waiting(const mpp::Barrier& barrier, std::uint32_t n) {
  const auto limit = std::chrono::steady_clock::now() + mpp_test::k_deadlock_limit;
  while (barrier.n_waiting() < n) {
    if (std::chrono::steady_clock::now() > limit) return false;
    std::this_thread::yield();
  }
  return true;
}

class BarrierAcross : public ::testing::TestWithParam<mpp::StartMethod> {
 protected:
  mpp::ProcessOptions options() const { return mpp::ProcessOptions{.start_method = GetParam()}; }
};

TEST_P(BarrierAcross, NoPartyPassesBeforeAllArriveRoundAfterRound) {
  mpp::Barrier barrier(k_parties);
  mpp::SharedMemory memory = mpp_test::make_board();
  std::vector<mpp::Process> children;
  for (std::uint32_t i = 0; i + 1 < k_parties; ++i) {
    children.emplace_back(options(), &meet_every_round, barrier, memory.name());
  }
  for (auto& child : children) child.start();
  EXPECT_EQ(meet_every_round(barrier, memory.name()), 0);
  for (auto& child : children) {
    child.join();
    EXPECT_EQ(child.exitcode(), 0);
  }
  EXPECT_EQ(barrier.n_waiting(), 0U);
  EXPECT_FALSE(barrier.broken());
}

TEST_P(BarrierAcross, APartyThatDiesWhileItWaitsBreaksTheBarrierForTheOthers) {
  mpp::Barrier barrier(3);
  mpp::Process doomed(options(), &wait_forever, barrier);
  doomed.start();
  ASSERT_TRUE(wait_for_waiting(barrier, 1));
  doomed.kill();
  doomed.join();                                                // reaped or not, its death is seen
  EXPECT_THROW((void)barrier.wait(), mpp::BrokenBarrierError);  // untimed: the death ends it
  EXPECT_TRUE(barrier.broken());
  barrier.reset();
  EXPECT_FALSE(barrier.broken());
}

TEST_P(BarrierAcross, AbortBreaksItForAWaiterInAnotherProcess) {
  mpp::Barrier barrier(2);
  mpp::SharedMemory memory = mpp_test::make_board();
  mpp::Process child(options(), &wait_until_broken, barrier, memory.name());
  child.start();
  ASSERT_TRUE(wait_for_waiting(barrier, 1));
  barrier.abort();
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
  EXPECT_THROW((void)barrier.wait(), mpp::BrokenBarrierError);  // until reset
}

INSTANTIATE_TEST_SUITE_P(StartMethods, BarrierAcross, ::testing::ValuesIn(mpp_test::k_start_methods),
                         mpp_test::start_method_name);

TEST(Barrier, ATimeoutBreaksItAndResetMakesItUsableAgain) {
  mpp::Barrier barrier(2);
  EXPECT_EQ(barrier.parties(), 2U);
  EXPECT_THROW((void)barrier.wait(10ms), mpp::BrokenBarrierError);
  EXPECT_TRUE(barrier.broken());
  EXPECT_THROW((void)barrier.wait(), mpp::BrokenBarrierError);
  barrier.reset();
  std::set<std::uint32_t> indices;
  std::uint32_t other_index = 0;
  std::thread other([&, barrier]() mutable { other_index = barrier.wait(mpp_test::k_deadlock_limit); });
  indices.insert(barrier.wait(mpp_test::k_deadlock_limit));
  other.join();
  indices.insert(other_index);
  EXPECT_EQ(indices, (std::set<std::uint32_t>{0, 1}));
}

TEST(Barrier, ResetBreaksAWaitInProgress) {
  mpp::Barrier barrier(2);
  std::thread waiter([barrier]() mutable { EXPECT_THROW((void)barrier.wait(), mpp::BrokenBarrierError); });
  ASSERT_TRUE(wait_for_waiting(barrier, 1));
  barrier.reset();
  waiter.join();
  EXPECT_FALSE(barrier.broken());
}

TEST(Barrier, OnePartyPassesAtOnceAndNoPartiesIsRefused) {
  mpp::Barrier alone(1);
  EXPECT_EQ(alone.wait(), 0U);
  EXPECT_EQ(alone.wait(), 0U);
  EXPECT_THROW(mpp::Barrier(0), std::invalid_argument);
}

}  // namespace
