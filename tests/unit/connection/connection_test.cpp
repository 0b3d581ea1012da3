// mpp::Pipe and mpp::Connection: round trips with children of every start method and with pool
// workers; EOF when the other end is closed, destroyed, or its process killed (never a hang);
// poll and its timeout; one-way pipes; a type asked for that was not sent; a closed connection.
#include "mpp/connection.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "mpp/errors.hpp"
#include "mpp/process.hpp"
#include "mpp/process_pool.hpp"
#include "mpp/queue.hpp"
#include "mpp/start_method.hpp"
#include "mpp_test/sealed_block.hpp"
#include "mpp_test/start_methods.hpp"
#include "mpp_test/sync.hpp"

namespace {

using namespace std::chrono_literals;
using mpp_test::k_deadlock_limit;

// Answers each number with its text until it gets -1.
void echo_as_text(mpp::Connection end) {
  for (;;) {
    const int n = end.recv<int>();
    if (n < 0) return;
    end.send(std::to_string(n));
  }
}

// Sends three values, then ends as `how` says: 0 returns (the handle is destroyed), 1 is killed.
void send_three_then_end(mpp::Connection end, int how) {
  for (int i = 0; i < 3; ++i) end.send(i);
  if (how == 1) ::raise(SIGKILL);
}

void reply_through(mpp::Connection end, int value) { end.send(std::vector<int>(3, value)); }

void wait_for_go(mpp::Connection go) { (void)go.recv<int>(); }

class ConnectionAcross : public ::testing::TestWithParam<mpp::StartMethod> {
 protected:
  mpp::ProcessOptions options() const { return mpp::ProcessOptions{.start_method = GetParam()}; }
};

TEST_P(ConnectionAcross, RoundTripsWithAChild) {
  auto [here, there] = mpp::Pipe();
  mpp::Process child(options(), &echo_as_text, there);
  child.start();
  for (int i = 0; i < 100; ++i) {
    here.send(i);
    ASSERT_EQ(here.recv<std::string>(k_deadlock_limit), std::to_string(i));
  }
  here.send(-1);
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
}

TEST_P(ConnectionAcross, WhatWasSentIsReceivedThenEofWhenTheWriterEndsOrIsKilled) {
  for (const int how : {0, 1}) {
    auto [reader, writer] = mpp::Pipe(false);
    mpp::Process child(options(), &send_three_then_end, writer, how);
    child.start();
    EXPECT_EQ(reader.recv<int>(k_deadlock_limit), 0);
    writer.close();
    for (int i = 1; i < 3; ++i) EXPECT_EQ(reader.recv<int>(k_deadlock_limit), i);
    child.join();
    EXPECT_EQ(child.exitcode(), how == 1 ? -SIGKILL : 0);
    EXPECT_TRUE(reader.poll(k_deadlock_limit));  // EOF: recv would not wait
    EXPECT_THROW((void)reader.recv<int>(), mpp::EOFError) << (how == 1 ? "killed" : "returned");
  }
}

// Python's idiom: the parent closes its copy at once. The child holds the end from start() on,
// under spawn and forkserver too, where it attaches only later.
TEST_P(ConnectionAcross, TheParentMayCloseItsCopyRightAfterStart) {
  auto [reader, writer] = mpp::Pipe(false);
  mpp::Process child(options(), &send_three_then_end, writer, 0);
  child.start();
  writer.close();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(reader.recv<int>(k_deadlock_limit), i);
  child.join();
  EXPECT_THROW((void)reader.recv<int>(), mpp::EOFError);
}

// The end a child holds from start() on is let go when it dies, attached or not: never a hang.
TEST_P(ConnectionAcross, AChildKilledBeforeItCouldAttachIsEof) {
  auto [reader, writer] = mpp::Pipe(false);
  mpp::Process writer_child(options(), &send_three_then_end, writer, 0);
  writer_child.start();
  writer_child.kill();
  writer.close();
  writer_child.join();
  ASSERT_TRUE(reader.poll(k_deadlock_limit)) << "no EOF: the dead child still counts as holding its end";
  try {  // what it sent before it was killed, if anything, then EOF
    for (int i = 0; i < 3; ++i) EXPECT_EQ(reader.recv<int>(), i);
    (void)reader.recv<int>();
    ADD_FAILURE() << "a fourth value";
  } catch (const mpp::EOFError&) {
  }
}

TEST_P(ConnectionAcross, APoolWorkerRepliesThroughAConnectionPassedToItsTask) {
  mpp::ProcessPool pool(mpp::ProcessPoolOptions{.processes = 1, .start_method = GetParam()});
  auto [here, there] = mpp::Pipe();
  pool.apply(&reply_through, there, 7);
  EXPECT_EQ(here.recv<std::vector<int>>(k_deadlock_limit), (std::vector<int>{7, 7, 7}));
}

INSTANTIATE_TEST_SUITE_P(StartMethods, ConnectionAcross, ::testing::ValuesIn(mpp_test::k_start_methods),
                         mpp_test::start_method_name);

// As a descriptor a Python child inherits: the forked child holds the ends it was not passed.
// A trivially copyable struct of 5 MiB without a default constructor (docs/api.md, "Large values
// by value"): received as a local, it was on the stack three times over. Each function here holds
// one.
using mpp_test::is_sealed;
using mpp_test::SealedBlock;
void send_two_sealed(mpp::Connection end) {
  end.send(*std::make_unique<SealedBlock>(1));
  end.send(*std::make_unique<SealedBlock>(2));
}
bool received_sealed(mpp::Connection& end) { return is_sealed(end.recv<SealedBlock>(), 1); }
bool received_sealed_in_time(mpp::Connection& end) {
  const std::optional<SealedBlock> block = end.recv<SealedBlock>(k_deadlock_limit);
  return block.has_value() && is_sealed(*block, 2);
}

TEST(Connection, AStructOfSeveralMiBWithoutADefaultConstructorCrosses) {
  auto [here, there] = mpp::Pipe();
  mpp::Process child(&send_two_sealed, there);
  child.start();
  EXPECT_TRUE(received_sealed(here));
  EXPECT_TRUE(received_sealed_in_time(here));
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
}

TEST(Connection, AForkedChildHoldsEveryEndItsParentHeld) {
  auto [reader, writer] = mpp::Pipe(false);
  auto [go, go_there] = mpp::Pipe();
  mpp::Process child(mpp::ProcessOptions{.start_method = mpp::StartMethod::fork}, &wait_for_go, go_there);
  child.start();
  writer.close();
  go_there.close();
  EXPECT_FALSE(reader.poll(100ms)) << "EOF while the child still holds the writing end";
  go.send(1);
  child.join();
  EXPECT_TRUE(reader.poll(k_deadlock_limit));
  EXPECT_THROW((void)reader.recv<int>(), mpp::EOFError);
}

// A handle put in a Queue counts as its sender's until it is taken out.
TEST(Connection, AnEndInAQueueIsHeldUntilTakenOut) {
  auto [here, there] = mpp::Pipe();
  mpp::Queue<mpp::Connection> queue;
  queue.put(there);
  there.close();
  EXPECT_FALSE(here.poll()) << "EOF while the end was in the queue";
  mpp::Connection taken = queue.get();
  taken.send(5);
  EXPECT_EQ(here.recv<int>(), 5);
  taken.close();
  EXPECT_THROW((void)here.recv<int>(), mpp::EOFError);
}

TEST(Connection, PollWaitsForAMessageWithATimeout) {
  auto [a, b] = mpp::Pipe();
  EXPECT_FALSE(a.poll());
  EXPECT_FALSE(a.poll(10ms));
  EXPECT_FALSE(a.recv<int>(10ms).has_value());
  std::thread sender([b]() mutable { b.send(42); });
  EXPECT_TRUE(a.poll(k_deadlock_limit));
  EXPECT_EQ(a.recv<int>(), 42);
  sender.join();
  // Both ways.
  a.send(std::string("back"));
  EXPECT_EQ(b.recv<std::string>(), "back");
}

TEST(Connection, BytesTypesAndOneWayPipesAreChecked) {
  auto [reader, writer] = mpp::Pipe(false);
  EXPECT_TRUE(reader.readable());
  EXPECT_FALSE(reader.writable());
  EXPECT_THROW(reader.send(1), std::logic_error);
  EXPECT_THROW((void)writer.recv<int>(1ms), std::logic_error);
  const std::vector<std::byte> bytes{std::byte{1}, std::byte{2}, std::byte{3}};
  writer.send_bytes(bytes);
  EXPECT_EQ(reader.recv_bytes(), bytes);
  writer.send(1.5);
  try {
    (void)reader.recv<int>();
    ADD_FAILURE() << "a double was received as an int";
  } catch (const mpp::SerializationError& e) {
    EXPECT_NE(std::string(e.what()).find("asked for int"), std::string::npos) << e.what();
  }
}

TEST(Connection, SendToAClosedEndAndUseAfterCloseAreErrors) {
  auto [a, b] = mpp::Pipe();
  a.send(5);
  b.close();
  EXPECT_TRUE(b.closed());
  EXPECT_THROW(b.send(1), std::logic_error);
  EXPECT_THROW((void)b.recv<int>(), std::logic_error);
  try {
    a.send(6);
    ADD_FAILURE() << "sent to a closed end";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::broken_pipe);
  }
  EXPECT_THROW((void)a.recv<int>(), mpp::EOFError);  // b sent nothing and is closed
}

TEST(Connection, TheLastHandleDestroyedIsAClose) {
  auto [a, b] = mpp::Pipe();
  {
    mpp::Connection copy = b;
    b = mpp::Connection(mpp::detail::DecodeTag{});  // one handle gone: the copy still holds the end
    copy.send(1);
    EXPECT_EQ(a.recv<int>(), 1);
  }
  EXPECT_THROW((void)a.recv<int>(), mpp::EOFError);
}

}  // namespace
