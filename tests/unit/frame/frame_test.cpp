// mpp::Frame, Column and Row (the data structure), array_split, concat, printing and serialisation.
// The parallel algorithms are in frame_parallel_test.cpp, CSV in csv_test.cpp.
#include "mpp/frame.hpp"

#include <gtest/gtest.h>

#include <algorithm>
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
#include <sstream>
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

std::ptrdiff_t lines(const std::string& text) { return std::count(text.begin(), text.end(), '\n'); }

TEST(Frame, PrintsAsPandasDoes) {
  // Every expected string is pandas 1.5's repr(df) of the same frame (print(df) without its
  // newline), with pandas' own types where mpp's nulls need them (Int64, string).
  EXPECT_EQ(mpp::to_string(tutorial_frame()),
            "   0  1\n"
            "0  8  5\n"
            "1  5  3\n"
            "2  3  4\n"
            "3  4  4\n"
            "4  7  9\n");
  const Frame mixed{{"x", std::vector<std::optional<double>>{1.0, std::nullopt}},
                    {"s", std::vector<std::optional<std::string>>{std::nullopt, "ab"}}};
  EXPECT_EQ(mpp::to_string(mixed),
            "     x     s\n"
            "0  1.0  <NA>\n"
            "1  NaN    ab\n");
  std::ostringstream out;
  out << mixed;
  EXPECT_EQ(out.str(), mpp::to_string(mixed));
}

TEST(Frame, PrintsANameWiderThanItsValuesAsPandasDoes) {
  // pandas puts a space before the name of a number or bool column, where its values' signs go, so
  // two spaces separate it from the column before (pandas 1.5's repr of the same frames).
  const Frame frame{{"k", std::vector<std::string>{"a", "b"}},
                    {"size", std::vector<I>{2, 1}},
                    {"count", std::vector<double>{1.5, 2.0}},
                    {"flag", std::vector<bool>{true, false}},
                    {"longname", std::vector<std::string>{"x", "y"}}};
  EXPECT_EQ(mpp::to_string(frame),
            "   k  size  count   flag longname\n"
            "0  a     2    1.5   True        x\n"
            "1  b     1    2.0  False        y\n");
  const Frame nulls{{"t", std::vector<mpp::Timestamp>{mpp::Timestamp::parse("2024-01-01"),
                                                      mpp::Timestamp::parse("2024-01-02")}},
                    {"nulls", std::vector<std::optional<I>>{2, std::nullopt}},
                    {"bools", std::vector<std::optional<bool>>{true, std::nullopt}},
                    {"negative", std::vector<I>{-1, -2}}};
  EXPECT_EQ(mpp::to_string(nulls),
            "           t  nulls  bools  negative\n"
            "0 2024-01-01      2   True        -1\n"
            "1 2024-01-02   <NA>   <NA>        -2\n");
}

TEST(Frame, PrintsLongStringsCutAsPandasDoes) {
  // pandas' display.max_colwidth (50): print(df) cuts a longer value (its leading space counted) to
  // 47 characters and "..."; df.to_string() does not. pandas 1.5's output of the same frames.
  std::vector<std::string> values{std::string(49, 'x'), std::string(50, 'y'), std::string(51, 'z'), "", "ab"};
  for (int i = 0; i < 60; ++i) values[3] += "\xC3\xA9";
  const Frame frame{{"s", values}};
  EXPECT_EQ(mpp::to_string(frame),
            "                                                   s\n"
            "0  xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"
            "1  yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy...\n"
            "2  zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz...\n"
            "3  "
            "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
            "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
            "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
            "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9...\n"
            "4                                                 ab\n");
  EXPECT_EQ(
      mpp::to_string(frame, 60),
      "                                                              s\n"
      "0             xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"
      "1            yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\n"
      "2           zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\n"
      "3  "
      "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3"
      "\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
      "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3"
      "\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
      "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\n"
      "4                                                            ab\n");
  EXPECT_EQ(mpp::to_string(frame, mpp::PrintOptions{.max_colwidth = 0}), mpp::to_string(frame, 60));
  std::string lines;
  for (int i = 0; i < 30; ++i) lines += "a\nb";
  EXPECT_EQ(mpp::to_string(Frame{{"s", std::vector<std::string>{lines}}}),
            "                                                   s\n"
            "0  a\\nba\\nba\\nba\\nba\\nba\\nba\\nba\\nba\\nba\\nba\\nba\\...\n");
  EXPECT_EQ(mpp::to_string(
                Frame{{"s", std::vector<std::string>{"abcdefghijkl", "abc"}}, {"n", std::vector<I>{1, 2}}},
                mpp::PrintOptions{.max_colwidth = 10}),
            "           s  n\n"
            "0  abcdef...  1\n"
            "1        abc  2\n");
  for (const std::size_t bad : {std::size_t{1}, std::size_t{2}, std::size_t{3}}) {
    EXPECT_THROW((void)mpp::to_string(frame, mpp::PrintOptions{.max_colwidth = bad}), std::invalid_argument);
  }
}

TEST(Frame, PrintsACutFrameAsPandasDoes) {
  // pandas' display.max_rows (60) and min_rows (10): the first and last five rows, a row of dots,
  // and the shape.
  EXPECT_EQ(mpp::to_string(numbered(100)),
            "     a      b    c\n"
            "0    0   0.00   s0\n"
            "1    1   0.25   s1\n"
            "2    2   0.50   s2\n"
            "3    3   0.75   s3\n"
            "4    4   1.00   s4\n"
            "..  ..    ...  ...\n"
            "95  95  23.75  s95\n"
            "96  96  24.00  s96\n"
            "97  97  24.25  s97\n"
            "98  98  24.50  s98\n"
            "99  99  24.75  s99\n"
            "\n"
            "[100 rows x 3 columns]\n");
  // df.to_string(max_rows=4): the float column formatted over the rows shown only.
  EXPECT_EQ(mpp::to_string(numbered(100), 4),
            "     a      b    c\n"
            "0    0   0.00   s0\n"
            "1    1   0.25   s1\n"
            "..  ..    ...  ...\n"
            "98  98  24.50  s98\n"
            "99  99  24.75  s99\n"
            "\n"
            "[100 rows x 3 columns]\n");
  // An odd max_rows shows max_rows / 2 of each end; a slice keeps its index labels.
  const Frame seven{{"a", std::vector<I>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}}};
  EXPECT_EQ(mpp::to_string(seven.slice(10, 17), 5),
            "     a\n"
            "10  10\n"
            "11  11\n"
            "..  ..\n"
            "15  15\n"
            "16  16\n"
            "\n"
            "[7 rows x 1 columns]\n");
  // A cut frame's row of dots is at least two wide: an index of one-digit labels, or a column one
  // character wide, widens to it as in pandas (it threw std::length_error: the padding underflowed).
  using OS = std::optional<std::string>;
  const Frame narrow{{"a", std::vector<I>{0, 1, 2, 3, 4, 5, 6, 7, 8}},
                     {"s", std::vector<OS>{"a", "b", "c", "d", "e", "f", "g", "h", "i"}},
                     {"", std::vector<OS>{"a", "b", "c", "d", "e", "f", "g", "h", "i"}}};
  EXPECT_EQ(mpp::to_string(narrow, 4),
            "    a  s   \n"
            "0   0  a  a\n"
            "1   1  b  b\n"
            ".. .. .. ..\n"
            "7   7  h  h\n"
            "8   8  i  i\n"
            "\n"
            "[9 rows x 3 columns]\n");
  // Where min_rows / 2 is 0, pandas shows the first max_rows rows and no last ones.
  const Frame nine = narrow.select({"a"});
  EXPECT_EQ(mpp::to_string(nine, mpp::PrintOptions{.max_rows = 1, .min_rows = 1}),
            "    a\n0   0\n.. ..\n\n[9 rows x 1 columns]\n");
  EXPECT_EQ(mpp::to_string(nine, mpp::PrintOptions{.max_rows = 4, .min_rows = 1}),
            "    a\n0   0\n1   1\n2   2\n3   3\n.. ..\n\n[9 rows x 1 columns]\n");
  EXPECT_EQ(mpp::to_string(nine, mpp::PrintOptions{.max_rows = 3, .min_rows = 3}),
            "    a\n0   0\n.. ..\n8   8\n\n[9 rows x 1 columns]\n");
  // 60 rows print whole; 61 are cut (pandas' max_rows is the most printed whole).
  EXPECT_EQ(lines(mpp::to_string(numbered(60))), 61);
  EXPECT_EQ(mpp::to_string(numbered(61)), mpp::to_string(numbered(61), mpp::PrintOptions{.max_rows = 60}));
  EXPECT_EQ(lines(mpp::to_string(numbered(61))), 14);
  // max_rows 0: no limit; min_rows 0: max_rows.
  EXPECT_EQ(lines(mpp::to_string(numbered(100), mpp::PrintOptions{.max_rows = 0})), 101);
  EXPECT_EQ(mpp::to_string(numbered(100), mpp::PrintOptions{.max_rows = 4, .min_rows = 0}),
            mpp::to_string(numbered(100), 4));
}

TEST(Frame, PrintsFloatsAsPandasDoes) {
  // Six decimals, then the trailing zeros every value shares trimmed; a computed NaN prints as a
  // null does.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const Frame fixed{{"f", std::vector<double>{42.994199134199164, -1.0, 3.25}},
                    {"g", std::vector<double>{0.5, -0.25, 1e6}},
                    {"h", std::vector<std::optional<double>>{0.1 + 0.2, std::nullopt, -0.0}}};
  EXPECT_EQ(mpp::to_string(fixed),
            "           f           g    h\n"
            "0  42.994199        0.50  0.3\n"
            "1  -1.000000       -0.25  NaN\n"
            "2   3.250000  1000000.00 -0.0\n");
  EXPECT_EQ(mpp::to_string(Frame{{"h", std::vector<double>{0.1 + 0.2, nan, -0.0}}}),
            mpp::to_string(Frame{fixed.column("h")}));
  // Scientific when a value would show as 0, or when a value above 10^6 makes the column wide.
  const Frame scientific{{"small", std::vector<std::optional<double>>{1e-7, 0.0, std::nullopt}},
                         {"large", std::vector<double>{123456789.123456, 1.5, 2.0}},
                         {"inf", std::vector<double>{inf, -inf, 1.5}}};
  EXPECT_EQ(mpp::to_string(scientific),
            "          small         large  inf\n"
            "0  1.000000e-07  1.234568e+08  inf\n"
            "1  0.000000e+00  1.500000e+00 -inf\n"
            "2           NaN  2.000000e+00  1.5\n");
  EXPECT_EQ(mpp::to_string(Frame{{"wide", std::vector<double>{1234567.891, 1.5, 1e20}}}),
            "           wide\n"
            "0  1.234568e+06\n"
            "1  1.500000e+00\n"
            "2  1.000000e+20\n");
  EXPECT_EQ(mpp::to_string(Frame{{"wide", std::vector<double>{1234567.891, 1.5}}}),
            "          wide\n"
            "0  1234567.891\n"
            "1        1.500\n");
  EXPECT_EQ(mpp::to_string(Frame{{"n", std::vector<double>{nan, nan}}}),
            "    n\n"
            "0 NaN\n"
            "1 NaN\n");
}

TEST(Frame, PrintsWithTheGivenPrecision) {
  const Frame frame{{"f", std::vector<double>{42.994199134199164, 1.0}},
                    {"g", std::vector<double>{42.994199134199164, 0.001}}};
  EXPECT_EQ(mpp::to_string(Frame{frame.column("f")}, mpp::PrintOptions{.precision = 10}),
            "               f\n"
            "0  42.9941991342\n"
            "1   1.0000000000\n");
  EXPECT_EQ(mpp::to_string(frame, mpp::PrintOptions{.precision = 2}),
            "       f         g\n"
            "0  42.99  4.30e+01\n"
            "1   1.00  1.00e-03\n");
  // No decimals: rounded half to even, as Python's format.
  EXPECT_EQ(mpp::to_string(Frame{{"f", std::vector<double>{2.5, 3.5}}}, mpp::PrintOptions{.precision = 0}),
            "   f\n"
            "0  2\n"
            "1  4\n");
  EXPECT_NO_THROW((void)mpp::to_string(frame, mpp::PrintOptions{.precision = 50}));
  EXPECT_THROW((void)mpp::to_string(frame, mpp::PrintOptions{.precision = -1}), std::invalid_argument);
  EXPECT_THROW((void)mpp::to_string(frame, mpp::PrintOptions{.precision = 51}), std::invalid_argument);
}

TEST(Frame, PrintsNullsIntegersAndStringsAsPandasNullableTypes) {
  // pandas' Int64 and string types: <NA>, and a space before every value of a column with a null.
  const Frame frame{{"i", std::vector<std::optional<I>>{1, std::nullopt, -3}},
                    {"j", std::vector<I>{1, -20, 3}},
                    {"s", std::vector<std::optional<std::string>>{"x", "na\xC3\xAFve", std::nullopt}}};
  EXPECT_EQ(mpp::to_string(frame),
            "      i   j      s\n"
            "0     1   1      x\n"
            "1  <NA> -20  na\xC3\xAFve\n"
            "2    -3   3   <NA>\n");
  // A tab, CR or LF prints as its escape, in names and values.
  EXPECT_EQ(mpp::to_string(Frame{{"a\tb", std::vector<std::string>{"x\ny", "p"}}}),
            "   a\\tb\n"
            "0  x\\ny\n"
            "1     p\n");
  // No rows: pandas' empty DataFrame.
  EXPECT_EQ(mpp::to_string(numbered(3).slice(3, 3)), "Empty DataFrame\nColumns: [a, b, c]\nIndex: []\n");
  EXPECT_EQ(mpp::to_string(Frame{}), "Empty DataFrame\nColumns: []\nIndex: []\n");
  std::ostringstream column;
  column << numbered(100).column("a");
  EXPECT_EQ(lines(column.str()), 101);  // every row
}

TEST(Frame, DtypesListsColumnTypesAsPandasDoes) {
  const Frame frame{{"name", std::vector<I>{1}},
                    {"price", std::vector<double>{1.5}},
                    {"ccccccc", std::vector<std::string>{"x"}}};
  const mpp::ColumnTypes types = mpp::dtypes(frame);
  EXPECT_EQ(
      types.columns,
      (std::vector<std::pair<std::string, ColumnType>>{
          {"name", ColumnType::int64}, {"price", ColumnType::float64}, {"ccccccc", ColumnType::string}}));
  // pandas' print(df.dtypes), with pandas' string type for the string column.
  EXPECT_EQ(mpp::to_string(types),
            "name         int64\n"
            "price      float64\n"
            "ccccccc     string\n"
            "dtype: object\n");
  std::ostringstream out;
  out << types << ColumnType::float64 << ' ' << frame.column(0).type();
  EXPECT_EQ(out.str(), mpp::to_string(types) + "float64 int64");
  EXPECT_EQ(mpp::to_string(mpp::dtypes(Frame{})), "Series([], dtype: object)\n");
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
