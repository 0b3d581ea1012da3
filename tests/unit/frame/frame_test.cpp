// mpp::Frame, Column and Row (the data structure), array_split, concat, printing and serialisation.
// The parallel algorithms are in frame_parallel_test.cpp, CSV in csv_test.cpp.
#include "mpp/frame.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <iterator>
#include <limits>
#include <numeric>
#include <optional>
#include <ranges>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "mpp/detail/remote/codec.hpp"
#include "mpp/errors.hpp"

namespace {

using I = std::int64_t;
using mpp::Column;
using mpp::ColumnType;
using mpp::Frame;

// The tutorial's 5 x 2 frame.
Frame tutorial_frame() {
  return Frame{{"0", std::vector<I>{8, 5, 3, 4, 7}}, {"1", std::vector<I>{5, 3, 4, 4, 9}}};
}

Frame numbered(std::size_t rows) {
  std::vector<I> a(rows);
  std::vector<double> b(rows);
  std::vector<std::string> c(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    a[i] = static_cast<I>(i);
    b[i] = static_cast<double>(i) / 4;
    c[i] = "s" + std::to_string(i);
  }
  return Frame{{"a", std::move(a)}, {"b", std::move(b)}, {"c", std::move(c)}};
}

// -- Column ---------------------------------------------------------------------------------------

TEST(Column, HoldsValuesOfEachType) {
  const Column ints("i", std::vector<I>{1, -2, 3});
  const Column doubles("d", std::vector<double>{0.5, 1.5});
  const Column strings("s", std::vector<std::string>{"x", "", "héllo"});
  EXPECT_EQ(ints.name(), "i");
  EXPECT_EQ(ints.type(), ColumnType::int64);
  EXPECT_EQ(doubles.type(), ColumnType::float64);
  EXPECT_EQ(strings.type(), ColumnType::string);
  EXPECT_EQ(ints.size(), 3U);
  EXPECT_TRUE(ints.holds<I>());
  EXPECT_FALSE(ints.holds<double>());
  EXPECT_EQ(std::vector<I>(ints.values<I>().begin(), ints.values<I>().end()), (std::vector<I>{1, -2, 3}));
  EXPECT_EQ(doubles.get<double>(1), 1.5);
  EXPECT_EQ(strings.get<std::string>(2), "héllo");
  EXPECT_EQ(strings.get<std::string_view>(0), "x");
  EXPECT_EQ(ints.null_count(), 0U);
  EXPECT_STREQ(mpp::to_string(ColumnType::float64), "float64");
}

TEST(Column, DefaultIsAnEmptyInt64Column) {
  const Column column;
  EXPECT_TRUE(column.empty());
  EXPECT_EQ(column.type(), ColumnType::int64);
  EXPECT_EQ(column.name(), "");
}

TEST(Column, GetConvertsInt64ToDoubleOnly) {
  const Column ints("i", std::vector<I>{7});
  EXPECT_EQ(ints.get<double>(0), 7.0);
  const Column doubles("d", std::vector<double>{7.5});
  EXPECT_THROW((void)doubles.get<I>(0), std::invalid_argument);
  EXPECT_THROW((void)doubles.get<std::string>(0), std::invalid_argument);
  const Column strings("s", std::vector<std::string>{"7"});
  EXPECT_THROW((void)strings.get<double>(0), std::invalid_argument);
  EXPECT_THROW((void)strings.values<double>(), std::invalid_argument);
  try {
    (void)strings.get<I>(0);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()),
              "mpp::Column::get: column 's' holds string values, which do not give a std::int64_t");
  }
}

TEST(Column, PositionsPastTheEndThrow) {
  const Column column("i", std::vector<I>{1, 2});
  EXPECT_THROW((void)column.get<I>(2), std::out_of_range);
  EXPECT_THROW((void)column.get_optional<I>(2), std::out_of_range);
  EXPECT_THROW((void)column.is_null(2), std::out_of_range);
}

TEST(Column, NullsFromFlags) {
  const Column column("d", std::vector<double>{1, 2, 3}, {false, true, false});
  EXPECT_EQ(column.null_count(), 1U);
  EXPECT_TRUE(column.is_null(1));
  EXPECT_FALSE(column.is_null(0));
  EXPECT_TRUE(std::isnan(column.values<double>()[1]));  // the placeholder, not the 2 given
  EXPECT_EQ(column.get_optional<double>(1), std::nullopt);
  EXPECT_EQ(column.get_optional<double>(2), 3.0);
  try {
    (void)column.get<double>(1);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("value 1 of column 'd' is null"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Column("x", std::vector<I>{1, 2}, {true}), std::invalid_argument);
}

TEST(Column, NullsFromOptionals) {
  const Column ints("i", std::vector<std::optional<I>>{1, std::nullopt, 3});
  const Column strings("s", std::vector<std::optional<std::string>>{std::nullopt, "", "x"});
  EXPECT_EQ(ints.type(), ColumnType::int64);
  EXPECT_TRUE(ints.is_null(1));
  EXPECT_EQ(ints.values<I>()[1], 0);
  EXPECT_TRUE(strings.is_null(0));
  EXPECT_FALSE(strings.is_null(1));  // an empty string is a value
  EXPECT_EQ(strings.get<std::string>(1), "");
  EXPECT_EQ(ints, Column("i", std::vector<I>{1, 99, 3}, {false, true, false}));
}

TEST(Column, SliceSharesStorage) {
  const Column column("i", std::vector<I>{0, 1, 2, 3, 4, 5}, {false, false, true, false, false, false});
  const Column part = column.slice(2, 5);
  EXPECT_EQ(part.size(), 3U);
  EXPECT_EQ(part.values<I>().data(), column.values<I>().data() + 2);
  EXPECT_TRUE(part.is_null(0));
  EXPECT_EQ(part.get<I>(2), 4);
  EXPECT_EQ(part.null_count(), 1U);
  EXPECT_EQ(part.slice(1, 1).size(), 0U);
  EXPECT_THROW((void)column.slice(2, 7), std::out_of_range);
  EXPECT_THROW((void)column.slice(4, 3), std::out_of_range);
}

TEST(Column, EqualityComparesNameTypeNullsAndValues) {
  const Column a("a", std::vector<I>{1, 2});
  EXPECT_EQ(a, Column("a", std::vector<I>{1, 2}));
  EXPECT_NE(a, Column("b", std::vector<I>{1, 2}));
  EXPECT_NE(a, Column("a", std::vector<double>{1, 2}));
  EXPECT_NE(a, Column("a", std::vector<I>{1, 3}));
  EXPECT_NE(a, Column("a", std::vector<I>{1, 2, 3}));
  EXPECT_NE(a, Column("a", std::vector<I>{1, 2}, {false, true}));
  // A slice equals a column of the same values, wherever its storage is.
  EXPECT_EQ(Column("a", std::vector<I>{0, 1, 2, 9}).slice(1, 3), a);
}

TEST(Column, DoublesCompareByBitsWithNaNEqualToNaN) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(Column("d", std::vector<double>{nan}), Column("d", std::vector<double>{-nan}));
  EXPECT_NE(Column("d", std::vector<double>{0.0}), Column("d", std::vector<double>{-0.0}));
}

// -- Frame and Row --------------------------------------------------------------------------------

TEST(Frame, BuiltFromColumns) {
  const Frame frame = numbered(4);
  EXPECT_EQ(frame.num_rows(), 4U);
  EXPECT_EQ(frame.num_columns(), 3U);
  EXPECT_EQ(frame.shape(), (std::pair<std::size_t, std::size_t>{4, 3}));
  EXPECT_EQ(frame.column_names(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(frame.find_column("b"), 1U);
  EXPECT_EQ(frame.find_column("z"), std::nullopt);
  EXPECT_EQ(frame.column("c").get<std::string>(3), "s3");
  EXPECT_EQ(frame.column(1).type(), ColumnType::float64);
  EXPECT_THROW((void)frame.column(3), std::out_of_range);
  EXPECT_THROW((void)frame.column("z"), std::out_of_range);
  EXPECT_EQ(frame.index_start(), 0U);
}

TEST(Frame, DefaultIsEmpty) {
  const Frame frame;
  EXPECT_TRUE(frame.empty());
  EXPECT_EQ(frame.shape(), (std::pair<std::size_t, std::size_t>{0, 0}));
  EXPECT_EQ(frame, Frame(std::vector<Column>{}));
}

TEST(Frame, UnequalLengthsThrow) {
  try {
    const Frame frame{{"a", std::vector<I>{1, 2}}, {"b", std::vector<I>{1}}};
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()),
              "mpp::Frame: column 'b' has 1 values but column 'a' has 2: every column must have as many");
  }
}

TEST(Frame, DuplicateNamesThrow) {
  try {
    const Frame frame{{"a", std::vector<I>{1}}, {"b", std::vector<I>{1}}, {"a", std::vector<double>{1}}};
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), "mpp::Frame: two columns are named 'a'");
  }
}

TEST(Row, GivesIndexAndTypedValuesByPositionAndName) {
  const Frame frame = numbered(5);
  const mpp::Row row = frame.row(3);
  EXPECT_EQ(row.index(), 3U);
  EXPECT_EQ(row.position(), 3U);
  EXPECT_EQ(row.size(), 3U);
  EXPECT_EQ(&row.frame(), &frame);
  EXPECT_EQ(row.get<I>(0), 3);
  EXPECT_EQ(row.get<double>("a"), 3.0);
  EXPECT_EQ(row.get<double>(1), 0.75);
  EXPECT_EQ(row.get<std::string_view>("c"), "s3");
  EXPECT_EQ(row.get_optional<std::string>(2), "s3");
  EXPECT_FALSE(row.is_null("b"));
  EXPECT_THROW((void)row.get<I>(3), std::out_of_range);
  EXPECT_THROW((void)row.get<I>("z"), std::out_of_range);
  EXPECT_THROW((void)row.get<I>("c"), std::invalid_argument);
  EXPECT_THROW((void)frame.row(5), std::out_of_range);
}

TEST(Row, NullValues) {
  const Frame frame{{"a", std::vector<std::optional<I>>{std::nullopt, 2}}};
  EXPECT_TRUE(frame.row(0).is_null(0));
  EXPECT_TRUE(frame.row(0).is_null("a"));
  EXPECT_EQ(frame.row(0).get_optional<I>("a"), std::nullopt);
  EXPECT_EQ(frame.row(1).get_optional<I>(0), 2);
  EXPECT_THROW((void)frame.row(0).get<I>(0), std::invalid_argument);
}

// Generic code, where the member form would need `.template`: the free form, unqualified (found by
// argument-dependent lookup) and qualified.
template <class ColumnLike>
double sum_of(const ColumnLike& column) {
  double sum = 0;
  for (std::size_t i = 0; i < column.size(); ++i) sum += get<double>(column, i);
  return sum;
}
template <class RowLike>
std::string describe(const RowLike& row) {
  return std::to_string(mpp::get<I>(row, 0)) + ":" + mpp::get<std::string>(row, "c") + ":" +
         (get_optional<double>(row, "b") ? "b" : "-") +
         (mpp::get_optional<I>(row, std::size_t{0}) ? "a" : "-");
}

TEST(Row, FreeGetNeedsNoTemplateKeywordInGenericCode) {
  const Frame frame = numbered(4);
  EXPECT_EQ(sum_of(frame.column("a")), 6.0);
  EXPECT_EQ(sum_of(frame.column("b")), 1.5);
  EXPECT_EQ(describe(frame.row(2)), "2:s2:ba");
  const Frame with_null{{"a", std::vector<std::optional<I>>{std::nullopt}}};
  EXPECT_EQ(mpp::get_optional<I>(with_null.column(0), 0), std::nullopt);
  EXPECT_EQ(mpp::get_optional<double>(with_null.row(0), "a"), std::nullopt);
  // The members' errors, named as theirs.
  EXPECT_THROW((void)mpp::get<I>(with_null.column(0), 0), std::invalid_argument);
  EXPECT_THROW((void)mpp::get<I>(with_null.column(0), 1), std::out_of_range);
  EXPECT_THROW((void)mpp::get<I>(with_null.row(0), "z"), std::out_of_range);
  EXPECT_THROW((void)mpp::get<std::string>(frame.row(0), 0), std::invalid_argument);
}

TEST(Frame, RowsAreARandomAccessViewInOrder) {
  const Frame frame = numbered(100);
  auto rows = frame.rows();
  static_assert(std::ranges::random_access_range<decltype(rows)>);
  static_assert(std::ranges::sized_range<decltype(rows)>);
  static_assert(std::ranges::view<decltype(rows)>);
  EXPECT_EQ(rows.size(), 100U);
  EXPECT_EQ(rows.end() - rows.begin(), 100);
  EXPECT_EQ((*(rows.end() - 1)).index(), 99U);
  EXPECT_EQ((rows.begin() + 7)[3].index(), 10U);
  EXPECT_LT(rows.begin(), rows.end());
  auto last = rows.end();
  EXPECT_EQ((*--last).index(), 99U);
  std::size_t expected = 0;
  for (const mpp::Row row : rows) EXPECT_EQ(row.get<I>("a"), static_cast<I>(expected++));
  EXPECT_EQ(expected, 100U);
  EXPECT_EQ(rows[42].index(), 42U);
}

TEST(Frame, SliceSharesStorageAndKeepsIndex) {
  const Frame frame = numbered(10);
  const Frame part = frame.slice(4, 7);
  EXPECT_EQ(part.shape(), (std::pair<std::size_t, std::size_t>{3, 3}));
  EXPECT_EQ(part.index_start(), 4U);
  EXPECT_EQ(part.row(0).index(), 4U);
  EXPECT_EQ(part.row(0).position(), 0U);
  EXPECT_EQ(part.row(2).get<I>("a"), 6);
  EXPECT_EQ(part.column("b").values<double>().data(), frame.column("b").values<double>().data() + 4);
  const Frame inner = part.slice(1, 3);
  EXPECT_EQ(inner.index_start(), 5U);
  EXPECT_EQ(inner.row(0).get<std::string>("c"), "s5");
  EXPECT_THROW((void)frame.slice(3, 11), std::out_of_range);
  EXPECT_THROW((void)frame.slice(5, 4), std::out_of_range);
  EXPECT_EQ(frame.head(3), frame.slice(0, 3));
  EXPECT_EQ(frame.head(50), frame);
}

TEST(Frame, EqualityComparesColumnsNotIndex) {
  const Frame frame = numbered(6);
  EXPECT_EQ(frame.slice(2, 4), numbered(6).slice(2, 4));
  EXPECT_NE(frame.slice(0, 2), frame.slice(2, 4));
  EXPECT_NE(frame, numbered(5));
  // Same values at different index labels are equal: the index is not part of equality.
  const Frame zeros{{"a", std::vector<I>{0, 0, 0}}};
  EXPECT_EQ(zeros.slice(0, 1), zeros.slice(2, 3));
  EXPECT_NE(tutorial_frame(),
            Frame({{"0", std::vector<I>{8, 5, 3, 4, 7}}, {"2", std::vector<I>{5, 3, 4, 4, 9}}}));
}

TEST(Frame, PrintsAsPandasDoes) {
  EXPECT_EQ(mpp::to_string(tutorial_frame()),
            "   0  1\n"
            "0  8  5\n"
            "1  5  3\n"
            "2  3  4\n"
            "3  4  4\n"
            "4  7  9\n"
            "[5 rows x 2 columns]\n");
  const Frame mixed{{"x", std::vector<std::optional<double>>{1.0, std::nullopt}},
                    {"s", std::vector<std::optional<std::string>>{std::nullopt, "ab"}}};
  EXPECT_EQ(mpp::to_string(mixed.slice(0, 2)),
            "     x     s\n"
            "0  1.0  <NA>\n"
            "1  NaN    ab\n"
            "[2 rows x 2 columns]\n");
  EXPECT_EQ(mpp::to_string(numbered(100).slice(0, 100), 4),
            "     a      b    c\n"
            "0    0    0.0   s0\n"
            "1    1   0.25   s1\n"
            "...\n"
            "98  98   24.5  s98\n"
            "99  99  24.75  s99\n"
            "[100 rows x 3 columns]\n");
}

// -- array_split ----------------------------------------------------------------------------------

TEST(ArraySplit, SizesDifferByAtMostOneLikeNumpy) {
  for (std::size_t rows : {0U, 1U, 5U, 7U, 500U, 501U}) {
    const Frame frame = numbered(rows);
    for (std::size_t sections : {1U, 2U, 3U, 4U, 7U, 16U}) {
      const std::vector<Frame> parts = mpp::array_split(frame, sections);
      ASSERT_EQ(parts.size(), sections);
      std::size_t begin = 0;
      for (std::size_t k = 0; k < sections; ++k) {
        // np.array_split: the first rows % sections parts have one row more.
        const std::size_t expected = rows / sections + (k < rows % sections ? 1 : 0);
        EXPECT_EQ(parts[k].num_rows(), expected) << rows << " rows, " << sections << " sections, part " << k;
        EXPECT_EQ(parts[k].index_start(), begin);
        EXPECT_EQ(parts[k].num_columns(), 3U);
        begin += expected;
      }
      EXPECT_EQ(begin, rows);
    }
  }
}

TEST(ArraySplit, PartsAreViews) {
  const Frame frame = numbered(10);
  const std::vector<Frame> parts = mpp::array_split(frame, 3);
  EXPECT_EQ(parts[1].column("a").values<I>().data(), frame.column("a").values<I>().data() + 4);
}

TEST(ArraySplit, ZeroSectionsThrow) {
  EXPECT_THROW((void)mpp::array_split(numbered(3), 0), std::invalid_argument);
  std::vector<int> v{1, 2};
  EXPECT_THROW((void)mpp::array_split(v, 0), std::invalid_argument);
}

TEST(ArraySplit, AnyRandomAccessRange) {
  std::vector<int> v(10);
  std::iota(v.begin(), v.end(), 0);
  const auto parts = mpp::array_split(v, 3);
  ASSERT_EQ(parts.size(), 3U);
  EXPECT_EQ(std::vector<int>(parts[0].begin(), parts[0].end()), (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(std::vector<int>(parts[1].begin(), parts[1].end()), (std::vector<int>{4, 5, 6}));
  EXPECT_EQ(std::vector<int>(parts[2].begin(), parts[2].end()), (std::vector<int>{7, 8, 9}));
  EXPECT_EQ(&*parts[1].begin(), v.data() + 4);  // a view, not a copy
  std::deque<std::string> d{"a", "b", "c"};
  const auto five = mpp::array_split(d, 5);
  ASSERT_EQ(five.size(), 5U);
  EXPECT_EQ(five[0].size(), 1U);
  EXPECT_EQ(five[3].size(), 0U);
  const std::array<double, 4> a{1, 2, 3, 4};
  EXPECT_EQ(mpp::array_split(a, 2)[1].front(), 3.0);
  const auto iota = mpp::array_split(std::views::iota(0, 7), 2);
  EXPECT_EQ(iota[1].front(), 4);
}

// -- concat ---------------------------------------------------------------------------------------

TEST(Concat, StacksTheSplitPartsBack) {
  const Frame frame = numbered(101);
  for (std::size_t sections : {1U, 2U, 5U, 200U}) {
    EXPECT_EQ(mpp::concat(mpp::array_split(frame, sections)), frame) << sections;
  }
}

TEST(Concat, OfConsecutiveSlicesIsAViewElseACopy) {
  const Frame frame = numbered(10);
  const std::vector<Frame> parts = mpp::array_split(frame, 3);
  const Frame whole = mpp::concat(parts);
  EXPECT_EQ(whole.column("a").values<I>().data(), frame.column("a").values<I>().data());
  // Out of order: copied, in the order given.
  const Frame swapped = mpp::concat({parts[1], parts[0]});
  EXPECT_NE(swapped.column("a").values<I>().data(), frame.column("a").values<I>().data());
  EXPECT_EQ(swapped.column("a").get<I>(0), 4);
  EXPECT_EQ(swapped.column("c").get<std::string>(3), "s0");
  EXPECT_EQ(swapped.index_start(), 4U);
  // Separate frames: copied.
  const Frame twice = mpp::concat({frame, frame});
  EXPECT_EQ(twice.num_rows(), 20U);
  EXPECT_EQ(twice.slice(10, 20), frame);
}

TEST(Concat, KeepsNulls) {
  const Frame a{{"x", std::vector<std::optional<double>>{1.0, std::nullopt}}};
  const Frame b{{"x", std::vector<double>{3.0}}};
  const Frame both = mpp::concat({a, b, a});
  EXPECT_EQ(both,
            Frame({{"x", std::vector<std::optional<double>>{1.0, std::nullopt, 3.0, 1.0, std::nullopt}}}));
  EXPECT_EQ(mpp::concat({b, b}).column(0).null_count(), 0U);
}

TEST(Concat, MismatchedColumnsThrow) {
  const Frame a{{"x", std::vector<I>{1}}, {"y", std::vector<I>{1}}};
  EXPECT_THROW((void)mpp::concat({a, Frame{{"x", std::vector<I>{1}}}}), std::invalid_argument);
  EXPECT_THROW((void)mpp::concat({a, Frame{{"x", std::vector<I>{1}}, {"z", std::vector<I>{1}}}}),
               std::invalid_argument);
  try {
    (void)mpp::concat({a, Frame{{"x", std::vector<I>{1}}, {"y", std::vector<double>{1}}}});
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()),
              "mpp::concat: frame 1 has columns [x: int64, y: float64] but frame 0 has [x: int64, y: int64]");
  }
}

TEST(Concat, NoFramesGiveAnEmptyFrame) {
  EXPECT_EQ(mpp::concat(std::vector<Frame>{}), Frame());
  EXPECT_EQ(mpp::concat({Frame(), Frame()}), Frame());
}

// -- serialisation ----------------------------------------------------------------------------------

TEST(FrameCodec, SliceRoundTripsWithItsIndexAndOnlyItsRows) {
  const Frame frame{{"i", std::vector<std::optional<I>>{1, std::nullopt, 3, 4, 5, 6}},
                    {"d", std::vector<double>{0.5, -0.0, std::numeric_limits<double>::infinity(), 4, 5, 6}},
                    {"s", std::vector<std::string>{"a", "b,\"c\"", "", "line\nbreak", "é", "z"}}};
  static_assert(mpp::detail::Codable<Frame>);
  static_assert(mpp::detail::Codable<Column>);
  const Frame part = frame.slice(1, 4);
  mpp::detail::ByteBuffer whole_bytes;
  mpp::detail::encode(whole_bytes, frame);
  mpp::detail::ByteBuffer bytes;
  mpp::detail::encode(bytes, part);
  EXPECT_LT(bytes.size(), whole_bytes.size());
  const Frame back = mpp::detail::decode_all<Frame>(bytes);
  EXPECT_EQ(back, part);
  EXPECT_EQ(back.index_start(), 1U);
  EXPECT_TRUE(back.column("i").is_null(0));
  EXPECT_EQ(mpp::detail::decode_all<Frame>(whole_bytes), frame);
  EXPECT_EQ(mpp::detail::decode_all<Frame>([] {
              mpp::detail::ByteBuffer b;
              mpp::detail::encode(b, Frame());
              return b;
            }()),
            Frame());
}

TEST(FrameCodec, CorruptInputIsASerializationError) {
  const Frame frame = numbered(20);
  mpp::detail::ByteBuffer bytes;
  mpp::detail::encode(bytes, frame);
  // Every truncation fails cleanly.
  for (std::size_t size = 0; size < bytes.size(); size += 7) {
    EXPECT_THROW((void)mpp::detail::decode_all<Frame>(std::span(bytes).first(size)), mpp::SerializationError)
        << size;
  }
  // The first column's type tag, after the index (8), the rows (8), the column count (8), the
  // name's length (8) and the name "a" (1): 7 is no type.
  mpp::detail::ByteBuffer bad = bytes;
  bad[33] = std::byte{7};
  EXPECT_THROW((void)mpp::detail::decode_all<Frame>(bad), mpp::SerializationError);
  // The row count disagreeing with the columns.
  bad = bytes;
  bad[8] = std::byte{21};
  EXPECT_THROW((void)mpp::detail::decode_all<Frame>(bad), mpp::SerializationError);
}

}  // namespace
