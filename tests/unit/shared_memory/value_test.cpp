// mpp::Value and mpp::Array across processes: children of every start method and pool workers see
// and change the same objects; counting under get_lock() loses nothing; without a lock there is
// none to get; the bounds of an Array are checked by get and set.
#include <gtest/gtest.h>

#include <cstdint>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "mpp/detail/remote/codec.hpp"
#include "mpp/process.hpp"
#include "mpp/process_pool.hpp"
#include "mpp/shared_memory.hpp"
#include "mpp/start_method.hpp"
#include "mpp/synchronize.hpp"
#include "mpp_test/start_methods.hpp"
#include "mpp_test/sync.hpp"

namespace {

constexpr int k_rounds = 2000;

void count_under_the_lock(mpp::Value<std::uint64_t> counter) {
  for (int i = 0; i < k_rounds; ++i) {
    const std::lock_guard guard(counter.get_lock());
    const std::uint64_t seen = counter.value();  // a read and a write apart: a race would lose counts
    std::this_thread::yield();
    counter.value() = seen + 1;
  }
}

// Each child writes its own part: no lock needed.
void fill_part(mpp::Array<double> squares, std::size_t part, std::size_t parts) {
  for (std::size_t i = part; i < squares.size(); i += parts) squares[i] = static_cast<double>(i * i);
}

struct Point {
  int x;
  int y;
};

class ValueAcross : public ::testing::TestWithParam<mpp::StartMethod> {
 protected:
  mpp::ProcessOptions options() const { return mpp::ProcessOptions{.start_method = GetParam()}; }
};

TEST_P(ValueAcross, ChildrenCountingUnderItsLockLoseNoCount) {
  mpp::Value<std::uint64_t> counter(0);
  std::vector<mpp::Process> children;
  for (int i = 0; i < 3; ++i) children.emplace_back(options(), &count_under_the_lock, counter);
  for (auto& child : children) child.start();
  count_under_the_lock(counter);
  for (auto& child : children) {
    child.join();
    EXPECT_EQ(child.exitcode(), 0);
  }
  EXPECT_EQ(counter.get(), 4U * k_rounds);
}

TEST_P(ValueAcross, ChildrenWriteTheirPartsOfAnArrayWithoutALock) {
  mpp::Array<double> squares(1000, false);
  std::vector<mpp::Process> children;
  for (std::size_t part = 0; part < 3; ++part)
    children.emplace_back(options(), &fill_part, squares, part, 3U);
  for (auto& child : children) child.start();
  for (auto& child : children) {
    child.join();
    EXPECT_EQ(child.exitcode(), 0);
  }
  for (std::size_t i = 0; i < squares.size(); ++i) ASSERT_EQ(squares[i], static_cast<double>(i * i)) << i;
}

INSTANTIATE_TEST_SUITE_P(StartMethods, ValueAcross, ::testing::ValuesIn(mpp_test::k_start_methods),
                         mpp_test::start_method_name);

Point move_point(mpp::Value<Point> point, mpp::Array<int> log) {
  Point p = point.get();
  p.x += 10;
  point.set(p);
  log.set(0, log.get(0) + 1);
  return point.get();
}

TEST(Value, ReachesPoolWorkersAsTheSameObject) {
  for (const mpp::StartMethod method : mpp_test::k_start_methods) {
    mpp::ProcessPool pool(mpp::ProcessPoolOptions{.processes = 2, .start_method = method});
    mpp::Value<Point> point(Point{1, 2});
    mpp::Array<int> log{0};
    for (int i = 0; i < 4; ++i) (void)pool.apply(&move_point, point, log);
    EXPECT_EQ(point.get().x, 41);
    EXPECT_EQ(point.get().y, 2);
    EXPECT_EQ(log.to_vector(), std::vector<int>{4});
  }
}

TEST(Value, WithoutALockThereIsNoneToGet) {
  mpp::Value<int> raw(7, false);
  EXPECT_FALSE(raw.has_lock());
  EXPECT_EQ(raw.get(), 7);
  raw.set(8);
  EXPECT_EQ(raw.value(), 8);
  EXPECT_THROW((void)raw.get_lock(), std::logic_error);
  mpp::Value<int> locked;
  EXPECT_TRUE(locked.has_lock());
  EXPECT_EQ(locked.get(), 0);  // value-initialised
}

TEST(Value, CopiesShareTheObjectAndItsLock) {
  mpp::Value<int> value(1);
  mpp::Value<int> copy = value;
  copy.set(5);
  EXPECT_EQ(value.get(), 5);
  EXPECT_EQ(copy.name(), value.name());
  value.get_lock().acquire();
  std::thread other([copy]() mutable { EXPECT_FALSE(copy.get_lock().try_lock()); });
  other.join();
  value.get_lock().release();
}

TEST(Array, IsMadeBySizeOrFromValuesAndChecksItsBounds) {
  mpp::Array<int> zeros(3);
  EXPECT_EQ(zeros.to_vector(), (std::vector<int>{0, 0, 0}));
  mpp::Array<int> values{4, 5, 6};
  EXPECT_EQ(values.size(), 3U);
  EXPECT_EQ(values.get(2), 6);
  values.set(1, 50);
  EXPECT_EQ(values[1], 50);
  int sum = 0;
  for (int v : values) sum += v;
  EXPECT_EQ(sum, 60);
  EXPECT_THROW((void)values.get(3), std::out_of_range);
  EXPECT_THROW(values.set(3, 1), std::out_of_range);
  const std::vector<int> source{7, 8};
  mpp::Array<int> copied(std::span<const int>(source), false);
  EXPECT_EQ(copied.to_vector(), source);
  mpp::Array<int> empty(0);
  EXPECT_EQ(empty.size(), 0U);
  EXPECT_TRUE(empty.to_vector().empty());
  EXPECT_THROW(mpp::Array<std::uint64_t>(SIZE_MAX / 4), std::length_error);
}

TEST(Array, AHandleClaimingMoreThanItsSegmentHoldsIsRefused) {
  mpp::Array<int> small(2);
  mpp::detail::ByteBuffer bytes;
  mpp::detail::encode(bytes, small);
  mpp::detail::ByteReader reader(bytes);
  // Decoded as an Array of larger elements, the count no longer fits the segment.
  EXPECT_THROW((void)mpp::detail::decode<mpp::Array<std::uint64_t>>(reader), mpp::SerializationError);
}

}  // namespace

namespace {

int fill_one(mpp::Array<double> array, int i) {
  array[static_cast<std::size_t>(i)] = i * 1.5;
  return i;
}

// Python's pool.starmap(fill, [(arr, i) for i in range(n)]): handles without a default
// constructor (Array, Barrier) inside tuples, pairs, optionals and vectors cross too.
TEST(Array, CrossesInsideTuplesPairsOptionalsAndVectors) {
  mpp::ProcessPool pool(mpp::ProcessPoolOptions{.processes = 2, .start_method = mpp::StartMethod::spawn});
  mpp::Array<double> array(4, false);
  std::vector<std::tuple<mpp::Array<double>, int>> items;
  for (int i = 0; i < 4; ++i) items.emplace_back(array, i);
  EXPECT_EQ(pool.starmap(&fill_one, items), (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(array.to_vector(), (std::vector<double>{0, 1.5, 3, 4.5}));

  mpp::Barrier barrier(1);
  const auto pair = std::make_pair(barrier, 3);
  const std::optional<mpp::Array<double>> maybe = array;
  const std::vector<mpp::Barrier> barriers{barrier, barrier};
  mpp::detail::ByteBuffer bytes;
  mpp::detail::encode(bytes, pair);
  mpp::detail::encode(bytes, maybe);
  mpp::detail::encode(bytes, barriers);
  mpp::detail::ByteReader reader(bytes);
  const auto pair_back = mpp::detail::decode<std::pair<mpp::Barrier, int>>(reader);
  EXPECT_EQ(pair_back.first.name(), barrier.name());
  EXPECT_EQ(pair_back.second, 3);
  const auto maybe_back = mpp::detail::decode<std::optional<mpp::Array<double>>>(reader);
  ASSERT_TRUE(maybe_back.has_value());
  EXPECT_EQ(maybe_back->name(), array.name());
  const auto barriers_back = mpp::detail::decode<std::vector<mpp::Barrier>>(reader);
  ASSERT_EQ(barriers_back.size(), 2U);
  EXPECT_EQ(barriers_back[1].name(), barrier.name());
}

}  // namespace
