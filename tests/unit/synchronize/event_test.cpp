// mpp::Event across processes: a set in one process wakes waiters in others; timeouts; clear.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "board.hpp"
#include "mpp/process.hpp"
#include "mpp/synchronize.hpp"
#include "mpp_test/start_methods.hpp"

namespace {

using namespace std::chrono_literals;
using mpp_test::BoardView;

// Exit code 0 when the untimed wait returned with the event set.
int wait_for_the_event(mpp::Event event, std::string board_name) {
  BoardView board(board_name);
  if (event.is_set()) return 1;  // the parent has not set it yet
  board->held.fetch_add(1);
  event.wait();
  return event.is_set() ? 0 : 2;
}

class EventAcross : public ::testing::TestWithParam<mpp::StartMethod> {
 protected:
  mpp::ProcessOptions options() const { return mpp::ProcessOptions{.start_method = GetParam()}; }
};

TEST_P(EventAcross, ASetWakesEveryWaitingProcess) {
  mpp::Event event;
  mpp::SharedMemory memory = mpp_test::make_board();
  std::vector<mpp::Process> children;
  for (int i = 0; i < 3; ++i) children.emplace_back(options(), &wait_for_the_event, event, memory.name());
  for (auto& child : children) child.start();
  ASSERT_TRUE(mpp_test::wait_for(mpp_test::board_of(memory).held, 3));
  event.set();
  for (auto& child : children) {
    child.join();
    EXPECT_EQ(child.exitcode(), 0);
  }
}

INSTANTIATE_TEST_SUITE_P(StartMethods, EventAcross, ::testing::ValuesIn(mpp_test::k_start_methods),
                         mpp_test::start_method_name);

TEST(Event, WaitWithATimeoutSaysWhetherItIsSet) {
  mpp::Event event;
  EXPECT_FALSE(event.is_set());
  EXPECT_FALSE(event.wait(20ms));
  EXPECT_FALSE(event.wait(0s));
  event.set();
  event.set();  // again: no change
  EXPECT_TRUE(event.is_set());
  EXPECT_TRUE(event.wait(0s));
  event.wait();  // set: returns at once
  event.clear();
  EXPECT_FALSE(event.is_set());
  EXPECT_FALSE(event.wait(1ms));
}

TEST(Event, ASetFromAnotherThreadEndsATimedWaitEarly) {
  mpp::Event event;
  std::thread setter([event]() mutable { event.set(); });
  EXPECT_TRUE(event.wait(mpp_test::k_deadlock_limit));
  setter.join();
}

}  // namespace
