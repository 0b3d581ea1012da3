// imap and imap_unordered (mpp::ImapRange): ordering, laziness and bounded read-ahead, next() and
// next(timeout), failures at their position, early destruction.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <iterator>
#include <list>
#include <memory>
#include <optional>
#include <ranges>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <variant>
#include <vector>

#include "mpp/errors.hpp"
#include "mpp/imap_range.hpp"
#include "mpp/pool.hpp"
#include "mpp_test/pools.hpp"
#include "mpp_test/probe.hpp"
#include "mpp_test/ranges.hpp"

namespace {

using namespace std::chrono_literals;
using mpp_test::CountingRange;
using mpp_test::InputError;
using mpp_test::PullLog;

int square(int x) { return x * x; }

std::vector<int> iota_vector(int n) {
  std::vector<int> out;
  for (int i = 0; i < n; ++i) out.push_back(i);
  return out;
}

std::vector<int> squares_of(int n) {
  std::vector<int> out;
  for (int i = 0; i < n; ++i) out.push_back(i * i);
  return out;
}

template <class Range>
std::vector<int> collect(Range&& results) {
  std::vector<int> out;
  for (int r : results) out.push_back(r);
  return out;
}

template <class Range>
std::multiset<int> collect_multiset(Range&& results) {
  std::multiset<int> out;
  for (int r : results) out.insert(r);
  return out;
}

std::multiset<int> multiset_of(const std::vector<int>& v) { return {v.begin(), v.end()}; }

/// Fails at item 5.
int fail_at_5(int i) {
  if (i == 5) throw std::out_of_range("item 5");
  return i;
}

static_assert(std::ranges::input_range<mpp::ImapRange<int>>);
static_assert(std::is_same_v<std::ranges::range_value_t<mpp::ImapRange<int>>, int>);
static_assert(std::is_same_v<mpp::ImapRange<void>::value_type, std::monostate>);
static_assert(std::is_move_constructible_v<mpp::ImapRange<int>>);
static_assert(!std::is_copy_constructible_v<mpp::ImapRange<int>>);

template <class P>
class PoolImap : public mpp_test::ProbeTest {};
TYPED_TEST_SUITE(PoolImap, mpp_test::PoolTypes, mpp_test::PoolTypeNames);

TYPED_TEST(PoolImap, YieldsResultsInInputOrder) {
  TypeParam pool(4);
  const auto input = iota_vector(1000);
  const auto expected = squares_of(1000);
  auto results = pool.imap(&square, input);
  static_assert(std::is_same_v<decltype(results), mpp::ImapRange<int>>);
  EXPECT_EQ(collect(results), expected);
  for (std::size_t chunksize : {0U, 1U, 3U, 64U, 999U, 1000U, 5000U}) {
    SCOPED_TRACE("chunksize = " + std::to_string(chunksize));
    EXPECT_EQ(collect(pool.imap(&square, input, chunksize)), expected);
  }
}

TYPED_TEST(PoolImap, UnorderedYieldsEveryResultExactlyOnce) {
  TypeParam pool(4);
  // Duplicates in the input: a multiset also catches a result delivered twice for one lost.
  std::vector<int> input;
  for (int i = 0; i < 1000; ++i) input.push_back(i % 250);
  std::vector<int> expected;
  for (int i : input) expected.push_back(i * i);
  for (std::size_t chunksize : {0U, 1U, 3U, 64U, 2000U}) {
    SCOPED_TRACE("chunksize = " + std::to_string(chunksize));
    EXPECT_EQ(collect_multiset(pool.imap_unordered(&square, input, chunksize)), multiset_of(expected));
  }
}

TYPED_TEST(PoolImap, EmptyInputYieldsNothing) {
  TypeParam pool(2);
  auto ordered = pool.imap(&square, std::vector<int>{});
  EXPECT_TRUE(ordered.begin() == ordered.end());
  EXPECT_EQ(ordered.next(), std::nullopt);
  auto unordered = pool.imap_unordered(&square, std::views::iota(0, 0));
  EXPECT_EQ(unordered.next(), std::nullopt);
  EXPECT_EQ(unordered.next(1s), std::nullopt);  // the end is not a timeout
  PullLog log;
  EXPECT_TRUE(collect(pool.imap(&square, CountingRange(&log, 0))).empty());
  EXPECT_EQ(this->probe().calls.value(), 0);
}

TYPED_TEST(PoolImap, NextReturnsEachResultThenEmptyForever) {
  TypeParam pool(3);
  for (bool ordered : {true, false}) {
    auto results =
        ordered ? pool.imap(&square, iota_vector(10)) : pool.imap_unordered(&square, iota_vector(10));
    std::vector<int> got;
    for (int k = 0; k < 10; ++k) {
      const std::optional<int> r = results.next();
      ASSERT_TRUE(r.has_value()) << "result " << k;
      got.push_back(*r);
    }
    if (!ordered) std::sort(got.begin(), got.end());
    EXPECT_EQ(got, squares_of(10));
    EXPECT_EQ(results.next(), std::nullopt);
    EXPECT_EQ(results.next(), std::nullopt);
    EXPECT_EQ(results.next(10ms), std::nullopt);
  }
  // After a range-for loop, too.
  auto results = pool.imap(&square, iota_vector(5));
  EXPECT_EQ(collect(results), squares_of(5));
  EXPECT_EQ(results.next(), std::nullopt);
  EXPECT_TRUE(results.begin() == results.end());
}

TYPED_TEST(PoolImap, NextWithTimeoutThrowsTimeoutErrorThenContinues) {
  TypeParam pool(2);
  auto results = pool.imap(
      [](int i) {
        if (i == 0) return mpp_test::gated_identity(i);
        return i;
      },
      iota_vector(6));
  ASSERT_TRUE(this->probe().started.wait_at_least(1));
  EXPECT_THROW((void)results.next(10ms), mpp::TimeoutError);
  EXPECT_THROW((void)results.next(0ms), mpp::TimeoutError);
  this->probe().release.open();
  EXPECT_EQ(results.next(20s), 0);  // picks up where the timed-out calls left off
  std::vector<int> rest;
  while (auto r = results.next(20s)) rest.push_back(*r);
  EXPECT_EQ(rest, (std::vector<int>{1, 2, 3, 4, 5}));
}

TYPED_TEST(PoolImap, UnorderedNextWithTimeoutThrowsTimeoutErrorThenContinues) {
  TypeParam pool(2);
  auto results = pool.imap_unordered(&mpp_test::gated_identity, iota_vector(3));
  ASSERT_TRUE(this->probe().started.wait_at_least(2));  // both workers hold an item; none is done
  EXPECT_THROW((void)results.next(10ms), mpp::TimeoutError);
  this->probe().release.open();
  std::multiset<int> got;
  while (auto r = results.next(20s)) got.insert(*r);
  EXPECT_EQ(got, (std::multiset<int>{0, 1, 2}));
}

TYPED_TEST(PoolImap, TaskExceptionArrivesAtItsPositionAndIterationContinues) {
  TypeParam pool(3);
  for (std::size_t chunksize : {1U, 3U, 100U}) {
    SCOPED_TRACE("chunksize = " + std::to_string(chunksize));
    auto results = pool.imap(&fail_at_5, iota_vector(10), chunksize);
    for (int k = 0; k < 5; ++k) EXPECT_EQ(results.next(), k);
    try {
      (void)results.next();
      FAIL() << "the failed item did not rethrow";
    } catch (const std::out_of_range& e) {
      EXPECT_STREQ(e.what(), "item 5");
    }
    for (int k = 6; k < 10; ++k) EXPECT_EQ(results.next(), k);
    EXPECT_EQ(results.next(), std::nullopt);
  }
}

TYPED_TEST(PoolImap, RangeForStopsAtTheFailedItemAfterTheEarlierResults) {
  TypeParam pool(2);
  std::vector<int> before;
  auto results = pool.imap(&fail_at_5, iota_vector(10));
  EXPECT_THROW(
      {
        for (int r : results) before.push_back(r);
      },
      std::out_of_range);
  EXPECT_EQ(before, (std::vector<int>{0, 1, 2, 3, 4}));
  // Iteration goes on after the failed item.
  std::vector<int> after;
  for (int r : results) after.push_back(r);
  EXPECT_EQ(after, (std::vector<int>{6, 7, 8, 9}));
}

TYPED_TEST(PoolImap, UnorderedDeliversTheExceptionOnceAndEveryOtherResult) {
  TypeParam pool(3);
  for (std::size_t chunksize : {1U, 4U}) {
    auto results = pool.imap_unordered(&fail_at_5, iota_vector(10), chunksize);
    std::multiset<int> got;
    int failures = 0;
    for (int k = 0; k < 20; ++k) {
      try {
        const auto r = results.next();
        if (!r) break;
        got.insert(*r);
      } catch (const std::out_of_range&) {
        ++failures;
      }
    }
    EXPECT_EQ(failures, 1);
    EXPECT_EQ(got, (std::multiset<int>{0, 1, 2, 3, 4, 6, 7, 8, 9}));
  }
}

TYPED_TEST(PoolImap, InputExceptionArrivesAfterTheEarlierResults) {
  TypeParam pool(2);
  for (std::size_t chunksize : {1U, 3U, 50U}) {
    SCOPED_TRACE("chunksize = " + std::to_string(chunksize));
    PullLog log;
    auto results = pool.imap(&square, CountingRange(&log, 100, 7), chunksize);
    for (int k = 0; k < 7; ++k) ASSERT_EQ(results.next(), k * k) << "result " << k;
    try {
      (void)results.next();
      FAIL() << "the input's exception did not arrive";
    } catch (const InputError& e) {
      EXPECT_EQ(e.position(), 7U);
    }
    EXPECT_EQ(results.next(), std::nullopt);
    EXPECT_EQ(log.foreign_pulls, 0U);
  }
  // At position 0, and for imap_unordered.
  PullLog log;
  auto first = pool.imap(&square, CountingRange(&log, 10, 0));
  EXPECT_THROW((void)first.next(), InputError);
  auto unordered = pool.imap_unordered(&square, CountingRange(&log, 10, 4));
  std::multiset<int> got;
  EXPECT_THROW(
      {
        for (int r : unordered) got.insert(r);
      },
      InputError);
  EXPECT_EQ(got, (std::multiset<int>{0, 1, 4, 9}));
}

TYPED_TEST(PoolImap, ReadsAheadOnlyABoundedAmountOfAnUnboundedInput) {
  for (std::size_t workers : {1U, 2U, 4U}) {
    for (std::size_t chunksize : {1U, 3U}) {
      for (bool ordered : {true, false}) {
        SCOPED_TRACE("workers = " + std::to_string(workers) + ", chunksize = " + std::to_string(chunksize) +
                     (ordered ? ", imap" : ", imap_unordered"));
        TypeParam pool(workers);
        PullLog log;  // plain counters: every pull must happen on this thread
        {
          auto results = ordered ? pool.imap(&square, CountingRange(&log), chunksize)
                                 : pool.imap_unordered(&square, CountingRange(&log), chunksize);
          const std::size_t after_start = log.pulls;
          EXPECT_LE(after_start, 4 * workers * chunksize);
          constexpr std::size_t k_consumed = 100;
          std::vector<int> got;
          for (std::size_t k = 0; k < k_consumed; ++k) {
            const auto r = results.next();
            ASSERT_TRUE(r.has_value());
            got.push_back(*r);
          }
          if (ordered) {
            EXPECT_EQ(got, squares_of(static_cast<int>(k_consumed)));
          }
          EXPECT_GE(log.pulls, k_consumed);
          EXPECT_LE(log.pulls, k_consumed + 4 * workers * chunksize);
          EXPECT_EQ(log.foreign_pulls, 0U);
        }  // destroyed before the pool: its join() would otherwise read the endless input
      }
    }
  }
}

TYPED_TEST(PoolImap, UnboundedIota) {
  TypeParam pool(3);
  auto results = pool.imap(&square, std::views::iota(0), 2);
  for (int k = 0; k < 100; ++k) ASSERT_EQ(results.next(), k * k);
  auto unordered = pool.imap_unordered(&square, std::views::iota(0));
  std::set<int> got;
  for (int k = 0; k < 100; ++k) got.insert(*unordered.next());
  EXPECT_EQ(got.size(), 100U);
}

TYPED_TEST(PoolImap, AcceptsEveryKindOfInputRange) {
  TypeParam pool(3);
  const auto expected = squares_of(30);
  std::vector<int> vec = iota_vector(30);
  std::list<int> list(vec.begin(), vec.end());
  EXPECT_EQ(collect(pool.imap(&square, vec)), expected);
  EXPECT_EQ(collect(pool.imap(&square, std::views::iota(0, 30), 4)), expected);
  EXPECT_EQ(collect(pool.imap(&square, list, 2)), expected);
  EXPECT_EQ(collect(pool.imap(&square, std::list<int>(list))), expected);
  EXPECT_EQ(collect(pool.imap(&square, vec | std::views::filter([](int) { return true; }))), expected);
  std::istringstream numbers("0 1 2 3 4 5");
  EXPECT_EQ(collect(pool.imap(&square, std::ranges::istream_view<int>(numbers))), squares_of(6));
  std::istringstream more("0 1 2 3 4 5");
  auto stream = std::ranges::istream_view<int>(more);
  EXPECT_EQ(collect_multiset(pool.imap_unordered(&square, stream, 2)), multiset_of(squares_of(6)));
  PullLog log;
  CountingRange counting(&log, 30);
  EXPECT_EQ(collect(pool.imap(&square, counting, 4)), expected);
  EXPECT_EQ(log.pulls, 30U);
}

TYPED_TEST(PoolImap, KeepsATemporaryRangeAlive) {
  TypeParam pool(2);
  auto make_input = [] {
    std::vector<std::string> v;
    for (int i = 0; i < 40; ++i)
      v.push_back("a string long enough to live on the heap #" + std::to_string(i));
    return v;
  };
  auto results = pool.imap([](const std::string& s) { return static_cast<int>(s.size()); }, make_input(), 3);
  std::vector<int> expected;
  for (const auto& s : make_input()) expected.push_back(static_cast<int>(s.size()));
  EXPECT_EQ(collect(results), expected);
}

TYPED_TEST(PoolImap, VoidFunctionYieldsMonostate) {
  TypeParam pool(3);
  auto mark = [](int i) { mpp_test::probe().slot[static_cast<std::size_t>(i)].fetch_add(1); };
  auto results = pool.imap(mark, iota_vector(100), 3);
  static_assert(std::is_same_v<decltype(results), mpp::ImapRange<void>>);
  int count = 0;
  for (std::monostate m : results) {
    (void)m;
    ++count;
  }
  EXPECT_EQ(count, 100);
  int unordered_count = 0;
  for ([[maybe_unused]] auto m : pool.imap_unordered(mark, iota_vector(100))) ++unordered_count;
  EXPECT_EQ(unordered_count, 100);
  for (std::size_t i = 0; i < 100; ++i) EXPECT_EQ(this->probe().slot[i].load(), 2) << "item " << i;
}

TYPED_TEST(PoolImap, MovedRangeKeepsItsPosition) {
  TypeParam pool(2);
  auto results = pool.imap(&square, iota_vector(10));
  EXPECT_EQ(results.next(), 0);
  mpp::ImapRange<int> moved = std::move(results);
  EXPECT_EQ(moved.next(), 1);
  mpp::ImapRange<int> assigned = pool.imap(&square, iota_vector(3));
  assigned = std::move(moved);
  EXPECT_EQ(collect(assigned), (std::vector<int>{4, 9, 16, 25, 36, 49, 64, 81}));
}

// Event slots of the probe used below.
constexpr std::size_t k_finished_at = 0;
constexpr std::size_t k_destroyed_at = 1;

// Every item blocks on the gate: `workers` items run, the rest of the window waits in the queue.
// Destroying the range then must wait for the running items and cancel the queued ones.
template <class P>
void check_early_destruction(mpp_test::Probe& p, std::size_t workers) {
  {
    P pool(workers);
    std::optional<mpp::ImapRange<int>> results;
    results.emplace(pool.imap(
        [](int i) {
          mpp_test::Probe& q = mpp_test::probe();
          q.slot[static_cast<std::size_t>(i)].fetch_add(1);
          const int r = mpp_test::gated_identity(i);
          q.event[k_finished_at].store(q.stamp());
          return r;
        },
        std::views::iota(0, 1000)));
    ASSERT_TRUE(p.started.wait_at_least(static_cast<long>(workers)));

    std::thread destroyer([&] {
      results.reset();
      p.event[k_destroyed_at].store(p.stamp());
    });
    // Not for correctness: gives the destroyer time to be inside the destructor before the gate opens.
    std::this_thread::sleep_for(20ms);
    EXPECT_EQ(p.event[k_destroyed_at].load(), 0) << "the destructor did not wait for the running items";
    p.release.open();
    destroyer.join();
    EXPECT_GT(p.event[k_destroyed_at].load(), p.event[k_finished_at].load());
    pool.close();
    pool.join();
  }
  long ran = 0;
  for (const auto& s : p.slot) {
    EXPECT_LE(s.load(), 1);
    ran += s.load();
  }
  EXPECT_EQ(ran, static_cast<long>(workers)) << "items that had not started ran after the destruction";
}

TYPED_TEST(PoolImap, DestroyingItEarlyWaitsForTheRunningItemAndCancelsTheQueuedOnes) {
  check_early_destruction<TypeParam>(this->probe(), 1);
}

TYPED_TEST(PoolImap, DestroyingItEarlyWithTwoWorkers) {
  check_early_destruction<TypeParam>(this->probe(), 2);
}

TYPED_TEST(PoolImap, DestroyingItUnreadStopsReadingInput) {
  TypeParam pool(2);
  PullLog log;
  {
    auto results = pool.imap(&square, CountingRange(&log), 2);
    EXPECT_EQ(results.next(), 0);
  }
  const std::size_t pulled = log.pulls;
  EXPECT_LE(pulled, 1 + 4 * 2 * 2U);
  pool.close();
  pool.join();  // nothing left to drain: the abandoned imap reads no more
  EXPECT_EQ(log.pulls, pulled);
}

int square_slowly(int x) {
  std::this_thread::sleep_for(20ms);
  return x * x;
}

TYPED_TEST(PoolImap, ARangeOutlivesItsTerminatedPool) {
  // terminate() leaves the submitted items without outcomes; the range, destroyed after the pool
  // (on the heap here, so that AddressSanitizer sees any use of it), must not touch it.
  std::optional<mpp::ImapRange<int>> results;
  auto pool = std::make_unique<TypeParam>(2);
  results.emplace(pool->imap_unordered(&square_slowly, iota_vector(50), 1));
  pool->terminate();
  pool->join();
  pool.reset();
  results.reset();
  SUCCEED();
}

TYPED_TEST(PoolImap, ResultsOutliveThePool) {
  // The pool's join() reads the rest of the input and runs it, so the results stay available.
  PullLog log;
  auto results = [&log] {
    TypeParam pool(2);
    return pool.imap(&square, CountingRange(&log, 200), 3);
  }();
  EXPECT_EQ(log.pulls, 200U);
  EXPECT_EQ(collect(results), squares_of(200));
}

}  // namespace
