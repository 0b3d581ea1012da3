// map_rows, map_columns and pool.map over array_split's partitions, on every pool type (typed tests over
// mpp::Pool and mpp::ProcessPool): the same calls, the same results.
#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "mpp/errors.hpp"
#include "mpp/frame.hpp"
#include "mpp_test/pools.hpp"

namespace {

using I = std::int64_t;
using mpp::Frame;

Frame tutorial_frame() {
  return Frame{{"0", std::vector<I>{8, 5, 3, 4, 7}}, {"1", std::vector<I>{5, 3, 4, 4, 9}}};
}

Frame numbered(std::size_t rows) {
  std::vector<I> a(rows);
  std::vector<std::optional<double>> b(rows);
  std::vector<std::string> c(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    a[i] = static_cast<I>(i);
    if (i % 3 != 0) b[i] = static_cast<double>(i) / 2;
    c[i] = "r" + std::to_string(i);
  }
  return Frame{{"a", std::move(a)}, {"b", std::move(b)}, {"c", std::move(c)}};
}

double round2(double x) { return std::round(x * 100) / 100; }

// The tutorial's hypotenuse: round(row[1]**2 + row[2]**2, 2)**0.5, the caller rounding to 2 places.
double hypotenuse(const mpp::Row& row) {
  const double a = row.get<double>(0);
  const double b = row.get<double>(1);
  return round2(std::sqrt(a * a + b * b));
}

I sum_of_squares(const mpp::Column& column) {
  I sum = 0;
  for (const I v : column.values<I>()) sum += v * v;
  return sum;
}

// Everything a row gives, as one string: its index and its values by position and by name.
std::string describe(const mpp::Row& row) {
  const std::optional<double> b = row.get_optional<double>("b");
  return std::to_string(row.index()) + ":" + std::to_string(row.get<I>(0)) + ":" +
         (b ? std::to_string(*b) : std::string("null")) + ":" + row.get<std::string>("c");
}

std::vector<std::string> described(const Frame& frame) {
  std::vector<std::string> out;
  for (const mpp::Row row : frame.rows()) out.push_back(describe(row));
  return out;
}

template <class P>
class FrameParallel : public ::testing::Test {};
TYPED_TEST_SUITE(FrameParallel, mpp_test::PoolTypes, mpp_test::PoolTypeNames);

bool odd_a_with_b(const mpp::Row& row) { return row.get<I>("a") % 2 == 1 && !row.is_null("b"); }

TYPED_TEST(FrameParallel, FilterRowsKeepsTheRowsThePredicateAccepts) {
  TypeParam pool(3);
  const Frame frame = numbered(1000);
  const Frame kept = mpp::filter_rows(pool, frame, &odd_a_with_b, 7);
  std::vector<I> expected;
  for (I i = 0; i < 1000; ++i) {
    if (i % 2 == 1 && i % 3 != 0) expected.push_back(i);
  }
  ASSERT_EQ(kept.num_rows(), expected.size());
  EXPECT_EQ(kept.column("a"), mpp::Column("a", expected));
  EXPECT_EQ(kept.column("c").get<std::string>(0), "r1");
  EXPECT_EQ(kept.index_start(), 0U);
  EXPECT_TRUE(mpp::filter_rows(pool, frame.slice(0, 0), &odd_a_with_b).empty());
}

double half_of_a(const mpp::Row& row) { return static_cast<double>(row.get<I>("a")) / 2; }

TYPED_TEST(FrameParallel, AComputedColumnFromMapRows) {
  TypeParam pool(2);
  const Frame frame = numbered(500);
  const Frame with = frame.with_column(mpp::Column("half", mpp::map_rows(pool, frame, &half_of_a)));
  ASSERT_EQ(with.column_names(), (std::vector<std::string>{"a", "b", "c", "half"}));
  for (std::size_t i = 0; i < 500; ++i)
    EXPECT_EQ(with.column("half").get<double>(i), static_cast<double>(i) / 2);
}

TYPED_TEST(FrameParallel, MapRowsGivesTheTutorialsHypotenuses) {
  TypeParam pool(4);
  EXPECT_EQ(mpp::map_rows(pool, tutorial_frame(), &hypotenuse, 10),
            (std::vector<double>{9.43, 5.83, 5.0, 5.66, 11.4}));
}

TYPED_TEST(FrameParallel, MapRowsKeepsRowOrderForEveryChunksize) {
  TypeParam pool(3);
  const Frame frame = numbered(2000);
  const std::vector<std::string> expected = described(frame);
  for (std::size_t chunksize : {0U, 1U, 7U, 1000U, 1999U, 2000U, 5000U}) {
    EXPECT_EQ(mpp::map_rows(pool, frame, &describe, chunksize), expected) << "chunksize " << chunksize;
  }
}

TYPED_TEST(FrameParallel, MapRowsOnEveryWorkerCount) {
  const Frame frame = numbered(777);
  const std::vector<std::string> expected = described(frame);
  for (std::size_t workers : mpp_test::k_worker_counts) {
    TypeParam pool(workers);
    EXPECT_EQ(mpp::map_rows(pool, frame, [](const mpp::Row& row) { return describe(row); }), expected)
        << workers << " workers";
  }
}

TYPED_TEST(FrameParallel, MapRowsOfASliceGivesItsRowsAndTheirIndex) {
  TypeParam pool(2);
  const Frame frame = numbered(100);
  const Frame part = frame.slice(40, 60);
  const std::vector<std::string> rows = mpp::map_rows(pool, part, &describe);
  ASSERT_EQ(rows.size(), 20U);
  EXPECT_EQ(rows.front(), describe(frame.row(40)));
  EXPECT_EQ(rows.back(), describe(frame.row(59)));
  EXPECT_EQ(mpp::map_rows(pool, part, [](const mpp::Row& row) { return row.index(); }).front(), 40U);
}

TYPED_TEST(FrameParallel, MapRowsOfAnEmptyFrameIsEmpty) {
  TypeParam pool(2);
  EXPECT_TRUE(mpp::map_rows(pool, numbered(0), &describe).empty());
  EXPECT_TRUE(mpp::map_rows(pool, Frame(), &describe).empty());
}

TYPED_TEST(FrameParallel, MapRowsOfAVoidFunction) {
  TypeParam pool(2);
  static_assert(std::is_void_v<decltype(mpp::map_rows(pool, numbered(1), [](const mpp::Row&) {}))>);
  mpp::map_rows(pool, numbered(50), [](const mpp::Row& row) {
    if (row.get<I>(0) >= 50) throw std::logic_error("a row that is not there");
  });
  SUCCEED();
}

TYPED_TEST(FrameParallel, MapRowsRethrowsARowsException) {
  TypeParam pool(2);
  const auto failing = [](const mpp::Row& row) {
    if (row.index() == 1234) throw std::runtime_error("row 1234");
    return row.index();
  };
  try {
    (void)mpp::map_rows(pool, numbered(3000), failing);
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "row 1234");
  }
  // A type error inside the row function reaches the caller too.
  EXPECT_THROW((void)mpp::map_rows(pool, numbered(10), [](const mpp::Row& row) { return row.get<I>("c"); }),
               std::invalid_argument);
}

TYPED_TEST(FrameParallel, MapRowsAfterCloseThrows) {
  TypeParam pool(2);
  pool.close();
  EXPECT_THROW((void)mpp::map_rows(pool, numbered(10), &describe), mpp::PoolNotRunning);
  EXPECT_THROW((void)mpp::map_columns(pool, numbered(10), [](const mpp::Column& c) { return c.size(); }),
               mpp::PoolNotRunning);
  pool.join();
}

TYPED_TEST(FrameParallel, MapColumnsGivesTheTutorialsSumsOfSquares) {
  TypeParam pool(2);
  EXPECT_EQ(mpp::map_columns(pool, tutorial_frame(), &sum_of_squares), (std::vector<I>{163, 147}));
}

TYPED_TEST(FrameParallel, MapColumnsSeesNameTypeNullsAndOnlyTheSlicesValues) {
  TypeParam pool(3);
  const Frame frame = numbered(30).slice(10, 16);
  const auto summary = [](const mpp::Column& column) {
    std::string out = column.name() + ":" + mpp::to_string(column.type()) + ":" +
                      std::to_string(column.size()) + ":" + std::to_string(column.null_count());
    if (column.holds<std::string>()) out += ":" + column.get<std::string>(0);
    return out;
  };
  EXPECT_EQ(mpp::map_columns(pool, frame, summary),
            (std::vector<std::string>{"a:int64:6:0", "b:float64:6:2", "c:string:6:0:r10"}));
}

TYPED_TEST(FrameParallel, PoolMapRunsAWholeFrameFunctionOnEachPartition) {
  TypeParam pool(2);
  const Frame frame = numbered(500);
  const std::vector<Frame> parts = mpp::array_split(frame, 3);
  const auto shapes = pool.map([](const Frame& part) { return part.shape(); }, parts);
  EXPECT_EQ(shapes, (std::vector<std::pair<std::size_t, std::size_t>>{{167, 3}, {167, 3}, {166, 3}}));
  // Partitions go out and come back whole, index included; stacked, they are the frame again.
  const std::vector<Frame> back = pool.map([](const Frame& part) { return part; }, parts);
  ASSERT_EQ(back.size(), 3U);
  EXPECT_EQ(back[1].index_start(), 167U);
  EXPECT_EQ(mpp::concat(back), frame);
  // A whole-frame function that builds a new frame.
  const auto doubled = pool.map(
      [](const Frame& part) {
        std::vector<I> twice;
        for (const I v : part.column("a").values<I>()) twice.push_back(2 * v);
        return Frame{{"twice", std::move(twice)}};
      },
      parts);
  const Frame stacked = mpp::concat(doubled);
  EXPECT_EQ(stacked.column(0).get<I>(499), 998);
}

// From inside a task of the same pool (threads: the task shares the pool; it runs other tasks
// while it waits, so it does not deadlock).
TEST(FrameParallelPool, MapRowsFromInsideATask) {
  mpp::Pool pool(2);
  const Frame frame = numbered(300);
  const auto inner = pool.apply([&] { return mpp::map_rows(pool, frame, &describe); });
  EXPECT_EQ(inner, described(frame));
}

// Threads take any callable, a capturing lambda included.
TEST(FrameParallelPool, MapRowsTakesACapturingLambda) {
  mpp::Pool pool(2);
  const std::string suffix = "!";
  const auto out = mpp::map_rows(
      pool, numbered(3), [&suffix](const mpp::Row& row) { return row.get<std::string>("c") + suffix; });
  EXPECT_EQ(out, (std::vector<std::string>{"r0!", "r1!", "r2!"}));
}

}  // namespace

namespace {

// What frame a row function sees its row in: how many rows it has, and where the row sits in it.
std::pair<std::size_t, std::size_t> rows_seen(const mpp::Row& row) {
  return {row.frame().num_rows(), row.index() - row.position()};
}

// Threads read the caller's frame itself: every row is a view of it, nothing is copied.
TEST(FrameParallelPool, MapRowsReadsTheCallersFrameInPlace) {
  mpp::Pool pool(2);
  const Frame frame = numbered(1000);
  const auto same =
      mpp::map_rows(pool, frame, [&frame](const mpp::Row& row) { return &row.frame() == &frame; });
  EXPECT_EQ(same, std::vector<bool>(1000, true));
}

// A worker process gets whole partitions, never single rows: each row arrives inside its partition
// of `chunksize` rows (0: about four partitions per worker), which keeps the rows' index.
TEST(FrameParallelProcessPool, MapRowsSendsWholePartitions) {
  mpp::ProcessPool pool(2);
  const Frame frame = numbered(1000);
  const auto seen = mpp::map_rows(pool, frame, &rows_seen, 100);
  ASSERT_EQ(seen.size(), 1000U);
  for (std::size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i], (std::pair<std::size_t, std::size_t>{100, i / 100 * 100})) << "row " << i;
  }
  const auto automatic = mpp::map_rows(pool, frame, &rows_seen);
  for (std::size_t i = 0; i < automatic.size(); ++i) {
    EXPECT_EQ(automatic[i].first, 125U) << "row " << i;  // 1000 rows in 4 × 2 partitions
  }
}

}  // namespace
