// mpp::JoinableQueue across processes: join returns once consumers in other processes (every start
// method) marked every item done, not before; join with a timeout; task_done called too often.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "mpp/process.hpp"
#include "mpp/queue.hpp"
#include "mpp/start_method.hpp"
#include "mpp_test/start_methods.hpp"
#include "mpp_test/sync.hpp"

namespace {

using namespace std::chrono_literals;
using mpp_test::k_deadlock_limit;

// Takes items until a negative one; puts each one's double on `results` before marking it done.
void consume(mpp::JoinableQueue<int> tasks, mpp::Queue<int> results) {
  for (;;) {
    const int item = tasks.get();
    if (item >= 0) results.put(item * 2);
    tasks.task_done();
    if (item < 0) return;
  }
}

class JoinableQueueAcross : public ::testing::TestWithParam<mpp::StartMethod> {};

TEST_P(JoinableQueueAcross, JoinReturnsOnceConsumersInOtherProcessesFinishedEveryItem) {
  mpp::JoinableQueue<int> tasks;
  mpp::Queue<int> results;
  std::vector<mpp::Process> consumers;
  for (int c = 0; c < 2; ++c) {
    consumers.emplace_back(mpp::ProcessOptions{.start_method = GetParam()}, &consume, tasks, results);
  }
  for (auto& consumer : consumers) consumer.start();
  for (int i = 0; i < 100; ++i) tasks.put(i);
  ASSERT_TRUE(tasks.join(k_deadlock_limit));
  EXPECT_EQ(tasks.unfinished(), 0U);
  // Every result was put before its item was marked done: all are there now.
  long sum = 0;
  for (int i = 0; i < 100; ++i) {
    const std::optional<int> result = results.get(0ms);
    ASSERT_TRUE(result.has_value()) << "join returned before item " << i << " was finished";
    sum += *result;
  }
  EXPECT_EQ(sum, 2 * 4950);
  for (std::size_t c = 0; c < consumers.size(); ++c) tasks.put(-1);
  tasks.join();
  for (auto& consumer : consumers) {
    consumer.join();
    EXPECT_EQ(consumer.exitcode(), 0);
  }
}

INSTANTIATE_TEST_SUITE_P(StartMethods, JoinableQueueAcross, ::testing::ValuesIn(mpp_test::k_start_methods),
                         mpp_test::start_method_name);

TEST(JoinableQueue, JoinWaitsForEveryItemAndTaskDoneIsCountedExactly) {
  mpp::JoinableQueue<int> tasks;
  EXPECT_TRUE(tasks.join(0s));  // nothing put: done
  tasks.put(1);
  tasks.put(2);
  EXPECT_EQ(tasks.unfinished(), 2U);
  EXPECT_EQ(tasks.get(), 1);
  tasks.task_done();
  EXPECT_FALSE(tasks.join(10ms));  // one left
  std::thread finisher([tasks]() mutable {
    EXPECT_EQ(tasks.get(), 2);
    tasks.task_done();
  });
  tasks.join();
  finisher.join();
  EXPECT_THROW(tasks.task_done(), std::logic_error);
  EXPECT_EQ(tasks.unfinished(), 0U);
}

}  // namespace
