// Frame::share(): a frame whose int64 and float64 columns live in shared memory. It equals the
// frame it was made from; crossing to another process on this machine sends the ranges of its
// rows (checked on the encoded bytes), to an MPI rank or into a program's own cereal archive its
// values; map_rows, map_columns and maps over its partitions on ProcessPool give what they give on
// the frame itself, under every start method; its segment goes with its last column.
#include <gtest/gtest.h>

#include <cereal/archives/binary.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "mpp/detail/remote/codec.hpp"
#include "mpp/errors.hpp"
#include "mpp/frame.hpp"
#include "mpp/pool.hpp"
#include "mpp/process_pool.hpp"
#include "mpp/shared_memory.hpp"
#include "mpp/start_method.hpp"
#include "mpp_test/start_methods.hpp"

namespace {

using I = std::int64_t;
using mpp::Frame;

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

std::string segment_of(const mpp::Column& column) {
  const auto& shared = mpp::detail::FrameAccess::data(column).shared;
  return shared ? shared->values_range.name : std::string();
}

double a_plus_b(const mpp::Row& row) {
  const std::optional<double> b = row.get_optional<double>("b");
  return static_cast<double>(row.get<I>("a")) + (b ? *b : -1.0);
}

std::string describe(const mpp::Row& row) {
  return std::to_string(row.index()) + ":" + std::to_string(row.get<I>(0)) + ":" + row.get<std::string>("c");
}

double column_sum(const mpp::Column& column) {
  double sum = 0;
  for (std::size_t i = 0; i < column.size(); ++i) {
    if (!column.is_null(i) && column.type() != mpp::ColumnType::string) sum += column.get<double>(i);
  }
  return sum;
}

std::size_t rows_of(const Frame& part) { return part.num_rows(); }

double b_of(const mpp::Row& row) { return row.get<double>("b"); }

// What map_rows(pool, frame, b_of) throws: the message of the first null's std::invalid_argument.
template <class PoolType>
std::string null_message(PoolType& pool, const Frame& frame) {
  try {
    (void)mpp::map_rows(pool, frame, b_of, 1000);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no exception";
}

TEST(FrameShare, EqualsTheFrameItWasMadeFrom) {
  const Frame frame = numbered(1000).slice(10, 1000);
  const Frame shared = frame.share();
  EXPECT_EQ(shared, frame);
  EXPECT_EQ(shared.index_start(), 10U);
  EXPECT_EQ(shared.column("b").null_count(), frame.column("b").null_count());
  EXPECT_FALSE(segment_of(shared.column("a")).empty());
  EXPECT_EQ(segment_of(shared.column("a")), segment_of(shared.column("b")));  // one segment
  EXPECT_TRUE(segment_of(shared.column("c")).empty());                        // strings stay
  EXPECT_EQ(mpp::to_string(shared), mpp::to_string(frame));
  EXPECT_EQ(shared.slice(5, 9), frame.slice(5, 9));
  EXPECT_EQ(mpp::concat(mpp::array_split(shared, 3)), frame);

  const Frame empty = numbered(0).share();
  EXPECT_EQ(empty, numbered(0));
  const Frame strings = Frame{{"s", std::vector<std::string>{"x"}}}.share();  // nothing to place
  EXPECT_TRUE(segment_of(strings.column("s")).empty());
}

TEST(FrameShare, ItsSegmentGoesWithItsLastColumn) {
  std::string name;
  std::optional<mpp::Column> kept;
  {
    const Frame shared = numbered(100).share();
    name = segment_of(shared.column("a"));
    kept = shared.column("b").slice(1, 3);
  }
  EXPECT_NO_THROW((void)mpp::SharedMemory::attach(name));  // a view of it lives
  kept.reset();
  EXPECT_THROW((void)mpp::SharedMemory::attach(name), std::system_error);
}

TEST(FrameShare, CrossesToThisMachineAsRangesAndElsewhereAsValues) {
  const Frame frame = numbered(100'000);
  const Frame shared = frame.share();
  const Frame part = shared.slice(50'000, 60'000);

  mpp::detail::ByteBuffer local;
  mpp::detail::encode(local, part.column("a"));
  EXPECT_LT(local.size(), 300U);
  const auto a = mpp::detail::decode_all<mpp::Column>(local);
  EXPECT_EQ(a, frame.column("a").slice(50'000, 60'000));
  EXPECT_NE(a.values<I>().data(), part.column("a").values<I>().data());  // mapped again, not the same view
  const auto whole = mpp::detail::decode_all<Frame>([&] {
    mpp::detail::ByteBuffer bytes;
    mpp::detail::encode(bytes, part);
    return bytes;
  }());
  EXPECT_EQ(whole, frame.slice(50'000, 60'000));
  EXPECT_EQ(whole.column("b").null_count(), frame.slice(50'000, 60'000).column("b").null_count());

  mpp::detail::ByteBuffer remote;
  {
    const mpp::detail::EncodingScope for_an_mpi_rank(false);
    mpp::detail::encode(remote, part.column("a"));
  }
  EXPECT_GT(remote.size(), 10'000 * sizeof(I));
  EXPECT_EQ(mpp::detail::decode_all<mpp::Column>(remote), frame.column("a").slice(50'000, 60'000));

  std::stringstream file;  // a program's own cereal archive gets the values, never a name
  {
    cereal::BinaryOutputArchive archive(file);
    archive(part);
  }
  EXPECT_GT(file.str().size(), 10'000 * (sizeof(I) + sizeof(double)));
  Frame back;
  {
    cereal::BinaryInputArchive archive(file);
    archive(back);
  }
  EXPECT_EQ(back, frame.slice(50'000, 60'000));
}

TEST(FrameShare, AColumnWhoseSegmentIsGoneIsRefusedOnArrival) {
  mpp::detail::ByteBuffer bytes;
  {
    const Frame shared = numbered(10).share();
    mpp::detail::encode(bytes, shared.column("a"));
  }
  try {
    (void)mpp::detail::decode_all<mpp::Column>(bytes);
    FAIL() << "decoded a column whose segment is gone";
  } catch (const mpp::SerializationError& e) {
    EXPECT_NE(std::string(e.what()).find("no longer exists"), std::string::npos) << e.what();
  }
}

class FrameShareAcross : public ::testing::TestWithParam<mpp::StartMethod> {};

TEST_P(FrameShareAcross, MapRowsMapColumnsAndPartitionsGiveWhatTheFrameGives) {
  mpp::ProcessPool pool(mpp::ProcessPoolOptions{.processes = 2, .start_method = GetParam()});
  const Frame frame = numbered(30'000);
  const Frame shared = frame.share();
  std::vector<double> sums;
  std::vector<std::string> described;
  for (std::size_t i = 0; i < frame.num_rows(); ++i) {
    sums.push_back(a_plus_b(frame.row(i)));
    described.push_back(describe(frame.row(i)));
  }
  EXPECT_EQ(mpp::map_rows(pool, shared, a_plus_b), sums);
  EXPECT_EQ(mpp::map_rows(pool, shared, a_plus_b, 1000), sums);
  EXPECT_EQ(mpp::map_rows(pool, shared.slice(7, 30'000), describe),
            std::vector<std::string>(described.begin() + 7, described.end()));
  EXPECT_EQ(mpp::map_columns(pool, shared, column_sum), mpp::map_columns(pool, frame, column_sum));
  EXPECT_EQ(pool.map(rows_of, mpp::array_split(shared, 7)), pool.map(rows_of, mpp::array_split(frame, 7)));
  const Frame back = pool.apply([](Frame part) { return part; }, shared.slice(100, 200));  // and back
  EXPECT_EQ(back, frame.slice(100, 200));
}

// A worker sees its chunk's slice: a null is reported by the row's index label, the same on every
// pool (not by its position in the slice).
TEST_P(FrameShareAcross, ANullIsReportedByItsRowsIndexLabelOnEveryPool) {
  mpp::ProcessPool pool(mpp::ProcessPoolOptions{.processes = 2, .start_method = GetParam()});
  mpp::Pool threads(2);
  std::vector<std::optional<double>> b(10'000, 1.0);
  b[7003] = std::nullopt;  // the one null: in the fifth chunk of 1000 rows of the slice below
  const Frame frame = Frame{{"b", b}}.slice(3000, 10'000);
  const std::string expected =
      "mpp::Row::get: the value of column 'b' in row 7003 (its index label) is null (use get_optional() or "
      "is_null())";
  EXPECT_EQ(null_message(threads, frame), expected);
  EXPECT_EQ(null_message(pool, frame), expected);
  EXPECT_EQ(null_message(pool, frame.share()), expected);
}

INSTANTIATE_TEST_SUITE_P(StartMethods, FrameShareAcross, ::testing::ValuesIn(mpp_test::k_start_methods),
                         mpp_test::start_method_name);

}  // namespace
