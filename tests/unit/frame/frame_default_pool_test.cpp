// Frame members without a pool (docs/frame.md, "Threads without a pool"): large frames run on mpp's
// frame pool, with the results of the serial or pool form, and the ranges of a pass never wait on
// a queue their caller belongs to.
#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "frame/frame_pool.hpp"
#include "frame/frame_ranges.hpp"
#include "mpp/frame.hpp"
#include "mpp/pool.hpp"

namespace {

using I = std::int64_t;
using mpp::Column;
using mpp::Frame;

constexpr std::size_t k_large = mpp::detail::k_pool_rows;
static_assert(mpp::detail::k_frame_parallel_rows < k_large);

// k_large rows: a key of 1 000 groups, a value, a float.
Frame large_frame() {
  std::vector<I> key(k_large);
  std::vector<I> value(k_large);
  std::vector<double> x(k_large);
  for (std::size_t i = 0; i < k_large; ++i) {
    key[i] = static_cast<I>((i * 7919) % 1000);
    value[i] = static_cast<I>(i % 97) - 48;
    x[i] = static_cast<double>(i % 13) * 0.25;
  }
  return Frame({Column("key", std::move(key)), Column("value", std::move(value)), Column("x", std::move(x))});
}

TEST(FrameDefaultPool, RangesCoverEveryRowOnceAndRethrow) {
  const std::size_t n = mpp::detail::k_frame_parallel_rows * 3 + 5;
  std::vector<std::uint8_t> seen(n, 0);
  std::atomic<std::size_t> calls{0};
  mpp::detail::for_ranges(n, [&](std::size_t part, std::size_t begin, std::size_t end) {
    EXPECT_EQ(begin, mpp::detail::range_begin(n, mpp::detail::range_count(n), part));
    for (std::size_t i = begin; i < end; ++i) ++seen[i];
    ++calls;
  });
  EXPECT_EQ(calls.load(), mpp::detail::range_count(n));
  EXPECT_EQ(std::count(seen.begin(), seen.end(), std::uint8_t{1}), static_cast<std::ptrdiff_t>(n));
  EXPECT_THROW(mpp::detail::for_ranges(n,
                                       [&](std::size_t part, std::size_t, std::size_t) {
                                         if (part + 1 == mpp::detail::range_count(n))
                                           throw std::range_error("last");
                                       }),
               std::range_error);
}

// Every thread of the frame pool runs a pass that wants the frame pool's threads: each caller takes
// the ranges nobody took, so none waits for a task queued behind its own.
TEST(FrameDefaultPool, PassesInsideFramePoolTasksFinish) {
  mpp::Pool& pool = mpp::detail::frame_pool();
  const std::size_t n = mpp::detail::k_frame_parallel_rows * 2;
  std::vector<std::size_t> tasks(pool.size() * 3);
  std::iota(tasks.begin(), tasks.end(), std::size_t{0});
  const std::vector<std::size_t> sums = pool.map(
      [n](std::size_t task) {
        std::vector<std::size_t> per_part(mpp::detail::range_count(n), 0);
        mpp::detail::for_ranges(n, [&](std::size_t part, std::size_t begin, std::size_t end) {
          per_part[part] = end - begin + task;
        });
        return std::accumulate(per_part.begin(), per_part.end(), std::size_t{0});
      },
      tasks, 1);
  for (std::size_t task : tasks) EXPECT_EQ(sums[task], n + task * mpp::detail::range_count(n));
}

TEST(FrameDefaultPool, LargeMembersGiveTheSerialResults) {
  const Frame df = large_frame();
  // partitions = 1 keeps the member on the caller's thread: the serial result.
  const Frame serial =
      df.groupby({"key"}, {.partitions = 1}).agg({{"value", mpp::Agg::sum}, {"x", mpp::Agg::max}});
  const Frame pooled = df.groupby({"key"}).agg({{"value", mpp::Agg::sum}, {"x", mpp::Agg::max}});
  EXPECT_EQ(pooled.num_rows(), 1000U);
  EXPECT_EQ(pooled, serial);

  std::vector<I> keys(1000);
  std::iota(keys.begin(), keys.end(), I{0});
  std::vector<I> doubled(1000);
  for (std::size_t i = 0; i < keys.size(); ++i) doubled[i] = keys[i] * 2;
  const Frame right({Column("key", keys), Column("twice", doubled)});
  mpp::Pool one(1);
  mpp::MergeOptions on_key;
  on_key.on = {"key"};
  const Frame merged = mpp::merge(df, right, on_key);
  EXPECT_EQ(merged, mpp::merge(one, df, right, on_key));
  ASSERT_EQ(merged.num_rows(), k_large);
  EXPECT_EQ(merged.column("twice").values<I>()[12345], merged.column("key").values<I>()[12345] * 2);

  EXPECT_EQ(df.describe(), mpp::describe(one, df));
  // A filter large enough for several ranges keeps what a serial loop keeps, in order.
  const Frame kept = df.filter(df.column("value") > I{40});
  std::vector<I> expected;
  for (I v : df.column("value").values<I>()) {
    if (v > 40) expected.push_back(v);
  }
  EXPECT_EQ(std::vector<I>(kept.column("value").values<I>().begin(), kept.column("value").values<I>().end()),
            expected);
}

}  // namespace
