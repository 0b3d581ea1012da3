// pandas' everyday operations on mpp::Frame and mpp::Column (frame_columns.cpp, frame_rows.cpp):
// columns selected, dropped, renamed, added, converted; rows compared, filtered, tailed; missing
// values found, filled and dropped. Expected results are written out; each edge case (an empty
// frame, all-null columns, one row, strings of any bytes) has its test. filter_rows and computed
// columns on every pool type are in frame_parallel_test.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "mpp/frame.hpp"
#include "mpp_test/messages.hpp"

namespace {

using I = std::int64_t;
using mpp::Column;
using mpp::ColumnType;
using mpp::Frame;
using mpp::Mask;
using O = std::optional<double>;
using OI = std::optional<I>;
using OS = std::optional<std::string>;

constexpr double k_nan = std::numeric_limits<double>::quiet_NaN();

Frame people() {
  return Frame{{"name", std::vector<OS>{"ann", "bob", std::nullopt, "dee"}},
               {"age", std::vector<OI>{31, std::nullopt, 25, 47}},
               {"score", std::vector<O>{1.5, 2.5, std::nullopt, k_nan}}};
}

// -- columns ------------------------------------------------------------------------------------

TEST(FrameColumns, SelectTakesTheNamedColumnsInTheirNewOrder) {
  const Frame f = people().select({"score", "name"});
  EXPECT_EQ(f.column_names(), (std::vector<std::string>{"score", "name"}));
  EXPECT_EQ(f.column("name"), people().column("name"));
  EXPECT_EQ(f.num_rows(), 4U);
  EXPECT_EQ(people().select_at({2, 0}), f);
}

TEST(FrameColumns, SelectRefusesAMissingNameAndATwiceGivenOne) {
  try {
    (void)people().select({"name", "agee"});
    FAIL() << "no exception";
  } catch (const std::out_of_range& e) {
    EXPECT_NE(std::string(e.what()).find("agee"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("mpp::Frame::select"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)people().select({"age", "age"}), std::invalid_argument);
  EXPECT_THROW((void)people().select_at({3}), std::out_of_range);
  EXPECT_EQ(people().select({}).num_columns(), 0U);
}

TEST(FrameColumns, ARepeatedNameIsReportedByTheCallThatMadeIt) {
  // pandas allows two columns of one name; an mpp frame cannot hold them, and says which call
  // made them.
  const auto message = [](auto call) { return mpp_test::message_of(call); };
  EXPECT_EQ(message([] {
              return people().select({"age", "name", "age"});
            }),
            "mpp::Frame::select: two columns would be named 'age'");
  EXPECT_EQ(message([] {
              return people().select_at({0, 0});
            }),
            "mpp::Frame::select_at: two columns would be named 'name'");
  EXPECT_EQ(message([] {
              return people().rename({{"age", "name"}});
            }),
            "mpp::Frame::rename: two columns would be named 'name'");
  EXPECT_EQ(message([] {
              return people().insert(0, Column("age", std::vector<I>{0, 0, 0, 0}));
            }),
            "mpp::Frame::insert: two columns would be named 'age'");
  EXPECT_EQ(message([] { return people().select_at({9}); }),
            "mpp::Frame::select_at: position 9 is out of range (size 3)");
  // Swapping two names is no repeat.
  EXPECT_EQ(people().rename({{"age", "name"}, {"name", "age"}}).column_names(),
            (std::vector<std::string>{"age", "name", "score"}));
}

TEST(FrameColumns, DropLeavesTheOthersInOrder) {
  EXPECT_EQ(people().drop({"age"}).column_names(), (std::vector<std::string>{"name", "score"}));
  EXPECT_EQ(people().drop({}).column_names(), people().column_names());
  EXPECT_THROW((void)people().drop({"nope"}), std::out_of_range);
  EXPECT_EQ(people().drop({"name", "age", "score"}).num_columns(), 0U);
}

TEST(FrameColumns, RenameKeepsValuesAndPlaces) {
  const Frame f = people().rename({{"age", "years"}, {"name", "who"}});
  EXPECT_EQ(f.column_names(), (std::vector<std::string>{"who", "years", "score"}));
  EXPECT_EQ(f.column("years").get_optional<I>(1), std::nullopt);
  EXPECT_EQ(f.column("years").get<I>(3), 47);
  EXPECT_THROW((void)people().rename({{"nope", "x"}}), std::out_of_range);
  EXPECT_THROW((void)people().rename({{"age", "name"}}), std::invalid_argument);  // two "name"
  EXPECT_EQ(people().rename({{"age", "age"}}), people());
}

TEST(FrameColumns, RenameOfASliceKeepsTheSlicesValues) {
  const Column c = Column("a", std::vector<I>{1, 2, 3, 4}).slice(1, 3);
  EXPECT_EQ(c.rename("b"), Column("b", std::vector<I>{2, 3}));
}

TEST(FrameColumns, WithColumnReplacesInPlaceOrAddsLast) {
  const Frame replaced = people().with_column(Column("age", std::vector<I>{1, 2, 3, 4}));
  EXPECT_EQ(replaced.column_names(), people().column_names());
  EXPECT_EQ(replaced.column("age").get<I>(1), 2);
  const Frame added = people().with_column(Column("flag", std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_EQ(added.column_names(), (std::vector<std::string>{"name", "age", "score", "flag"}));
  EXPECT_THROW((void)people().with_column(Column("x", std::vector<I>{1})), std::invalid_argument);
  EXPECT_EQ(Frame().with_column(Column("x", std::vector<I>{1, 2})).num_rows(), 2U);
}

TEST(FrameColumns, InsertPutsTheColumnAtItsPosition) {
  const Frame f = people().insert(1, Column("id", std::vector<I>{7, 8, 9, 10}));
  EXPECT_EQ(f.column_names(), (std::vector<std::string>{"name", "id", "age", "score"}));
  EXPECT_EQ(people().insert(3, Column("z", std::vector<I>{0, 0, 0, 0})).column_names().back(), "z");
  EXPECT_THROW((void)people().insert(4, Column("z", std::vector<I>{0, 0, 0, 0})), std::out_of_range);
  EXPECT_THROW((void)people().insert(0, Column("age", std::vector<I>{0, 0, 0, 0})), std::invalid_argument);
}

// pandas' s.astype(str) and df.to_csv() write a float64 as Python's str() does: its shortest
// round-trip digits, in positional notation from 1e-4 up to below 1e16 and in exponent notation
// outside (1e+16, 1e-05, two exponent digits at least). std::to_chars picks whichever is shorter
// (1e+05, 1e-04, 3e+06), which pandas never writes. Expected texts are Python 3.11's str().
TEST(FrameColumns, AstypeToStringWritesDoublesAsPythonsStr) {
  const std::vector<double> values{100000.0,
                                   0.0001,
                                   1e-05,
                                   0.00012345,
                                   1e15,
                                   1e16,
                                   123456789012345678.0,
                                   3e6,
                                   1e22,
                                   5e-324,
                                   1.5e-7,
                                   -0.0,
                                   0.5,
                                   1e100,
                                   1.7976931348623157e308,
                                   12345678.9,
                                   -2.5e-5,
                                   9999999999999998.0,
                                   0.1,
                                   1.0 / 3,
                                   -1234.5};
  const std::vector<std::string> texts{"100000.0",
                                       "0.0001",
                                       "1e-05",
                                       "0.00012345",
                                       "1000000000000000.0",
                                       "1e+16",
                                       "1.2345678901234568e+17",
                                       "3000000.0",
                                       "1e+22",
                                       "5e-324",
                                       "1.5e-07",
                                       "-0.0",
                                       "0.5",
                                       "1e+100",
                                       "1.7976931348623157e+308",
                                       "12345678.9",
                                       "-2.5e-05",
                                       "9999999999999998.0",
                                       "0.1",
                                       "0.3333333333333333",
                                       "-1234.5"};
  const Column column("d", values);
  const Column as_text = column.astype(ColumnType::string);
  for (std::size_t i = 0; i < values.size(); ++i)
    EXPECT_EQ(as_text.get<std::string>(i), texts[i]) << values[i];
  EXPECT_EQ(as_text.astype(ColumnType::float64), column);
  const Column specials("d", std::vector<double>{std::numeric_limits<double>::infinity(),
                                                 -std::numeric_limits<double>::infinity(), k_nan});
  EXPECT_EQ(specials.astype(ColumnType::string), Column("d", std::vector<std::string>{"inf", "-inf", "nan"}));
}

TEST(FrameColumns, AstypeBetweenEveryPairOfTypes) {
  const Column ints("i", std::vector<OI>{-3, std::nullopt, 9007199254740993});
  EXPECT_EQ(ints.astype(ColumnType::float64),
            Column("i", std::vector<O>{-3.0, std::nullopt, 9007199254740992.0}));
  EXPECT_EQ(ints.astype(ColumnType::string),
            Column("i", std::vector<OS>{"-3", std::nullopt, "9007199254740993"}));
  const Column doubles("d", std::vector<O>{2.9, -2.9, std::nullopt, 1.0, 0.1, 1e20});
  EXPECT_EQ(doubles.astype(ColumnType::string),
            Column("d", std::vector<OS>{"2.9", "-2.9", std::nullopt, "1.0", "0.1", "1e+20"}));
  EXPECT_EQ(doubles.slice(0, 5).astype(ColumnType::int64),
            Column("d", std::vector<OI>{2, -2, std::nullopt, 1, 0}));
  EXPECT_THROW((void)doubles.astype(ColumnType::int64), std::invalid_argument);  // 1e20 is past int64
  EXPECT_THROW((void)Column("d", std::vector<double>{k_nan}).astype(ColumnType::int64),
               std::invalid_argument);
  EXPECT_THROW((void)Column("d", std::vector<double>{9223372036854775808.0}).astype(ColumnType::int64),
               std::invalid_argument);
  EXPECT_EQ(Column("d", std::vector<double>{-9223372036854775808.0}).astype(ColumnType::int64).get<I>(0),
            std::numeric_limits<I>::min());
  EXPECT_EQ(Column("d", std::vector<double>{k_nan}).astype(ColumnType::string).get<std::string>(0), "nan");
  const Column texts("s", std::vector<OS>{" 12 ", "+7", std::nullopt, "-0"});
  EXPECT_EQ(texts.astype(ColumnType::int64), Column("s", std::vector<OI>{12, 7, std::nullopt, 0}));
  EXPECT_EQ(Column("s", std::vector<std::string>{"1.5", "inf", "1e3"}).astype(ColumnType::float64),
            Column("s", std::vector<double>{1.5, std::numeric_limits<double>::infinity(), 1000.0}));
  try {
    (void)Column("s", std::vector<std::string>{"1", "x1"}).astype(ColumnType::int64);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("value 1 ('x1') cannot be int64"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)Column("s", std::vector<std::string>{"1.5"}).astype(ColumnType::int64),
               std::invalid_argument);
  EXPECT_THROW((void)Column("s", std::vector<std::string>{""}).astype(ColumnType::float64),
               std::invalid_argument);
  EXPECT_THROW((void)Column("s", std::vector<std::string>{"99999999999999999999"}).astype(ColumnType::int64),
               std::invalid_argument);
  EXPECT_EQ(ints.astype(ColumnType::int64), ints);
}

TEST(FrameColumns, FrameAstypeConvertsTheNamedColumns) {
  const Frame f = people().astype({{"age", ColumnType::float64}, {"name", ColumnType::string}});
  EXPECT_EQ(f.column("age").type(), ColumnType::float64);
  EXPECT_EQ(f.column("age").get_optional<double>(1), std::nullopt);
  EXPECT_THROW((void)people().astype({{"nope", ColumnType::int64}}), std::out_of_range);
}

TEST(FrameColumns, ManyColumnsCostLinearTime) {
  std::vector<Column> columns;
  std::vector<std::string> names;
  for (int i = 0; i < 100'000; ++i) {
    names.push_back("c" + std::to_string(i));
    columns.emplace_back(names.back(), std::vector<I>{i});
  }
  const Frame wide(std::move(columns));
  std::vector<std::string> reversed(names.rbegin(), names.rend());
  const Frame f = wide.select(reversed);  // quadratic lookups would take minutes
  EXPECT_EQ(f.column(0).name(), "c99999");
  EXPECT_EQ(wide.drop(names).num_columns(), 0U);
}

// -- rows ---------------------------------------------------------------------------------------

TEST(FrameRows, ComparisonsGiveAMaskWithNullsFalseExceptForNotEqual) {
  const Frame f = people();
  EXPECT_EQ(f.column("age") > 30, (Mask{true, false, false, true}));
  EXPECT_EQ(f.column("age") >= 31.0, (Mask{true, false, false, true}));
  EXPECT_EQ(f.column("age") == 25, (Mask{false, false, true, false}));
  EXPECT_EQ(f.column("age") != 25, (Mask{true, true, false, true}));
  EXPECT_EQ(f.column("score") < 2, (Mask{true, false, false, false}));  // a NaN compares false
  EXPECT_EQ(f.column("score") != 2.5, (Mask{true, false, true, true}));
  EXPECT_EQ(f.column("score") <= k_nan, (Mask{false, false, false, false}));
  EXPECT_EQ(f.column("name") == "bob", (Mask{false, true, false, false}));
  EXPECT_EQ(f.column("name") < "b", (Mask{true, false, false, false}));
  EXPECT_THROW((void)(f.column("name") == 1), std::invalid_argument);
  EXPECT_THROW((void)(f.column("age") == "1"), std::invalid_argument);
  // An int64 against a double, exactly: 2^53 + 1 is not 2^53 as a double.
  const Column big("b", std::vector<I>{9007199254740993});
  EXPECT_EQ(big > 9007199254740992.0, (Mask{true}));
}

TEST(FrameRows, IntegersAndDoublesCompareExactlyAtTheEdges) {
  constexpr I k_max = std::numeric_limits<I>::max();
  constexpr I k_min = std::numeric_limits<I>::min();
  const Column ints("i", std::vector<I>{k_min, -3, 0, 3, 9007199254740993, k_max});
  // 2^63 as a double is above every int64; -2^63 equals the smallest.
  EXPECT_EQ(ints < 9223372036854775808.0, Mask(6, true));
  EXPECT_EQ(ints == -9223372036854775808.0, (Mask{true, false, false, false, false, false}));
  EXPECT_EQ(ints > -2.5, (Mask{false, false, true, true, true, true}));
  EXPECT_EQ(ints <= 2.999, (Mask{true, true, true, false, false, false}));
  EXPECT_EQ(ints == -0.0, (Mask{false, false, true, false, false, false}));
  EXPECT_EQ(ints != k_nan, Mask(6, true));
  EXPECT_EQ(ints >= k_nan, Mask(6, false));
  EXPECT_EQ(ints == std::numeric_limits<double>::infinity(), Mask(6, false));
  EXPECT_EQ(ints > -std::numeric_limits<double>::infinity(), Mask(6, true));
  // A double column against an int64 beyond 2^53: not rounded to the nearest double.
  const Column doubles("d", std::vector<double>{9007199254740992.0, 9007199254740994.0, k_nan, -0.0});
  EXPECT_EQ(doubles < I{9007199254740993}, (Mask{true, false, false, true}));
  EXPECT_EQ(doubles != I{9007199254740993}, (Mask{true, true, true, true}));
  EXPECT_EQ(doubles == I{0}, (Mask{false, false, false, true}));
}

TEST(FrameRows, LargeFramesCompareAndFilterAsSmallOnes) {
  // Above the size where comparisons and filter use several threads; a slice starts mid-column.
  const std::size_t n = 700'001;
  std::vector<OI> a(n);
  std::vector<OS> s(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (i % 7 != 3) a[i] = static_cast<I>(i % 1000);
    s[i] = i % 11 == 5 ? OS() : OS(std::to_string(i));
  }
  const Frame f{{"a", a}, {"s", s}};
  const Frame part = f.slice(1, n);
  const Mask m = (part.column("a") >= 500) | (part.column("s") == "77");
  std::size_t expected = 0;
  for (std::size_t i = 1; i < n; ++i) {
    const bool keep = (a[i] && *a[i] >= 500) || (s[i] && *s[i] == "77");
    ASSERT_EQ(m[i - 1], keep) << i;
    expected += keep ? 1 : 0;
  }
  const Frame kept = part.filter(m);
  ASSERT_EQ(kept.num_rows(), expected);
  std::size_t at = 0;
  for (std::size_t i = 1; i < n; ++i) {
    if (!m[i - 1]) continue;
    ASSERT_EQ(kept.column("a").get_optional<I>(at), a[i]) << i;
    ASSERT_EQ(kept.column("s").get_optional<std::string>(at), s[i]) << i;
    ++at;
  }
  // No null kept: the result has no null flags to carry.
  EXPECT_EQ(part.filter(part.column("a").notna()).column("a").null_count(), 0U);
}

TEST(FrameRows, LargeFiltersKeepExactlyTheMaskedRowsWhateverTheirDensity) {
  // Several threads' ranges: ones that keep nothing, ones whose last rows are left out, every
  // row kept, one row kept, rows at random; the values and the nulls of each kept row, in order.
  const std::size_t n = 600'001;
  std::vector<OI> a(n);
  std::vector<double> d(n);
  std::vector<OS> s(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (i % 5 != 2) a[i] = static_cast<I>(i) * 3;
    d[i] = static_cast<double>(i) / 4;
    s[i] = i % 9 == 4 ? OS() : OS(std::to_string(i) + "x");
  }
  const Frame f{{"a", a}, {"d", d}, {"s", s}};
  std::uint64_t state = 12345;
  const auto random_quarter = [&](std::size_t) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % 4 == 0;
  };
  const std::vector<std::function<bool(std::size_t)>> masks = {
      [](std::size_t) { return false; },
      [](std::size_t) { return true; },
      [](std::size_t i) { return i == 0; },
      [n](std::size_t i) { return i == n - 1; },
      [n](std::size_t i) { return i < n / 3; },
      [n](std::size_t i) { return i > n / 2 && i % 2 == 1; },
      random_quarter,
  };
  for (std::size_t k = 0; k < masks.size(); ++k) {
    std::vector<bool> flags(n);
    for (std::size_t i = 0; i < n; ++i) flags[i] = masks[k](i);
    const Frame kept = f.filter(Mask(flags));
    std::size_t at = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (!flags[i]) continue;
      ASSERT_EQ(kept.column("a").get_optional<I>(at), a[i]) << k << " " << i;
      ASSERT_EQ(kept.column("d").get<double>(at), d[i]) << k << " " << i;
      ASSERT_EQ(kept.column("s").get_optional<std::string>(at), s[i]) << k << " " << i;
      ++at;
    }
    ASSERT_EQ(kept.num_rows(), at) << k;
  }
}

TEST(FrameRows, MaskFromBytesReadsAnyNonZeroAsTrue) {
  EXPECT_EQ(Mask(std::vector<std::uint8_t>{0, 2, 255, 1}), (Mask{false, true, true, true}));
  EXPECT_EQ(Mask(std::vector<std::uint8_t>{0, 2, 255, 1}).count(), 3U);
}

TEST(FrameRows, MasksCombineAsInPandas) {
  const Frame f = people();
  const Mask m = (f.column("age") > 20) & ~(f.column("name") == "dee");
  EXPECT_EQ(m, (Mask{true, false, true, false}));
  EXPECT_EQ((Mask{true, false} | Mask{false, false}), (Mask{true, false}));
  EXPECT_EQ((Mask{true, false} ^ Mask{true, true}), (Mask{false, true}));
  EXPECT_EQ(m.count(), 2U);
  EXPECT_TRUE(m.any());
  EXPECT_FALSE(m.all());
  EXPECT_THROW((void)(Mask{true} & Mask{true, false}), std::invalid_argument);
}

TEST(FrameRows, LargeMasksCombineFlagByFlag) {
  // Above the size where masks combine on several threads.
  const std::size_t n = 600'001;
  std::vector<bool> x(n);
  std::vector<bool> y(n);
  for (std::size_t i = 0; i < n; ++i) {
    x[i] = i % 3 == 0;
    y[i] = i % 5 < 2;
  }
  const Mask a(x);
  const Mask b(y);
  const Mask both = a & b;
  const Mask either = a | b;
  const Mask one = a ^ b;
  const Mask not_a = ~a;
  for (std::size_t i = 0; i < n; ++i) {
    ASSERT_EQ(both[i], x[i] && y[i]) << i;
    ASSERT_EQ(either[i], x[i] || y[i]) << i;
    ASSERT_EQ(one[i], x[i] != y[i]) << i;
    ASSERT_EQ(not_a[i], !x[i]) << i;
  }
  EXPECT_EQ(not_a.count(), n - a.count());
  try {
    (void)(Mask{true} | Mask(n));
    FAIL() << "masks of different sizes combined";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("operator| of masks of 1 and 600001 rows"), std::string::npos)
        << e.what();
  }
}

TEST(FrameRows, FilterKeepsTheMaskedRowsInOrderWithNulls) {
  const Frame kept = people().filter(people().column("age").notna());
  EXPECT_EQ(kept, (Frame{{"name", std::vector<OS>{"ann", std::nullopt, "dee"}},
                         {"age", std::vector<OI>{31, 25, 47}},
                         {"score", std::vector<O>{1.5, std::nullopt, k_nan}}}));
  EXPECT_EQ(kept.index_start(), 0U);
  EXPECT_EQ(people().filter(Mask(4, false)).num_rows(), 0U);
  EXPECT_EQ(people().filter(Mask(4, false)).column_names(), people().column_names());
  EXPECT_EQ(people().filter(Mask(4, true)), people());
  EXPECT_THROW((void)people().filter(Mask(3, true)), std::invalid_argument);
  EXPECT_EQ(Frame().filter(Mask()), Frame());
}

TEST(FrameRows, FilterKeepsStringsOfAnyBytes) {
  const std::string odd("a\0b\n\"\xff", 6);
  const Frame f{{"s", std::vector<std::string>{odd, "x", ""}}};
  EXPECT_EQ(f.filter(Mask{true, false, true}).column("s"), Column("s", std::vector<std::string>{odd, ""}));
}

TEST(FrameRows, TailTakesTheLastRowsWithTheirLabels) {
  const Frame t = people().tail(2);
  EXPECT_EQ(t.num_rows(), 2U);
  EXPECT_EQ(t.index_start(), 2U);
  EXPECT_EQ(t.column("name").get<std::string>(1), "dee");
  EXPECT_EQ(people().tail(10), people());
  EXPECT_EQ(people().tail(0).num_rows(), 0U);
  EXPECT_EQ(Frame().tail(), Frame());
}

// pandas' head(-n) is every row but the last n, tail(-n) every row but the first n. A size_t
// parameter turned -1 into a huge count and silently gave every row.
TEST(FrameRows, NegativeHeadAndTailLeaveRowsOutAsPandas) {
  const Frame f = people();  // 4 rows
  EXPECT_EQ(f.head(-1), f.slice(0, 3));
  EXPECT_EQ(f.tail(-1), f.slice(1, 4));
  EXPECT_EQ(f.tail(-1).index_start(), 1U);
  EXPECT_EQ(f.head(-10).num_rows(), 0U);
  EXPECT_EQ(f.tail(-10).num_rows(), 0U);
  EXPECT_EQ(f.head(std::numeric_limits<std::int64_t>::min()).num_rows(), 0U);
  EXPECT_EQ(f.head(std::size_t{2}), f.slice(0, 2));
  EXPECT_EQ(f.head(), f);
}

// -- missing values -----------------------------------------------------------------------------

TEST(FrameMissing, IsnaAndNotna) {
  EXPECT_EQ(people().column("age").isna(), (Mask{false, true, false, false}));
  // A NaN in a float64 column is missing too, as in pandas, though it is not a null.
  EXPECT_EQ(people().column("score").isna(), (Mask{false, false, true, true}));
  EXPECT_FALSE(people().column("score").is_null(3));
  EXPECT_EQ(people().column("score").notna(), (Mask{true, true, false, false}));
  EXPECT_EQ(Column("e", std::vector<I>{}).isna(), Mask());
}

TEST(FrameMissing, FillnaFillsEachNamedColumnWithAValueOfItsType) {
  const Frame f = people().fillna({{"age", 0}, {"name", "?"}, {"score", 0}});
  EXPECT_EQ(f, (Frame{{"name", std::vector<std::string>{"ann", "bob", "?", "dee"}},
                      {"age", std::vector<I>{31, 0, 25, 47}},
                      {"score", std::vector<double>{1.5, 2.5, 0.0, 0.0}}}));
  EXPECT_EQ(f.column("age").null_count(), 0U);
  EXPECT_THROW((void)people().fillna({{"age", 0.5}}), std::invalid_argument);
  EXPECT_THROW((void)people().fillna({{"age", "x"}}), std::invalid_argument);
  EXPECT_THROW((void)people().fillna({{"name", 1}}), std::invalid_argument);
  EXPECT_THROW((void)people().fillna({{"nope", 1}}), std::out_of_range);
  const Column all_null("n", std::vector<OI>{std::nullopt, std::nullopt});
  EXPECT_EQ(all_null.fillna(I{4}), Column("n", std::vector<I>{4, 4}));
}

// The value's type is checked whatever the column holds: a column with nothing missing refuses a
// value that does not fit it too, rather than passing the mistake on to the day it has a null.
TEST(FrameMissing, FillnaRefusesAValueOfTheWrongTypeWithNothingMissing) {
  const Column full("n", std::vector<I>{1, 2});
  EXPECT_THROW((void)full.fillna(0.5), std::invalid_argument);
  EXPECT_THROW((void)full.fillna("x"), std::invalid_argument);
  EXPECT_THROW((void)Column("d", std::vector<double>{1.0}).fillna("x"), std::invalid_argument);
  EXPECT_THROW((void)Column("s", std::vector<std::string>{"a"}).fillna(1), std::invalid_argument);
  EXPECT_THROW((void)Frame({{"n", std::vector<I>{1}}}).fillna({{"n", 0.5}}), std::invalid_argument);
  EXPECT_EQ(full.fillna(I{0}), full);
}

TEST(FrameMissing, DropnaAnyAllAndSubset) {
  const Frame f = people();
  EXPECT_EQ(f.dropna().column("name"), Column("name", std::vector<OS>{"ann"}));  // dee's score is NaN
  EXPECT_EQ(f.dropna(Frame::How::any, {"age"}).num_rows(), 3U);
  EXPECT_EQ(f.dropna(Frame::How::all, {"name", "score"}).num_rows(), 3U);
  EXPECT_EQ(f.dropna(Frame::How::all).num_rows(), 4U);
  EXPECT_THROW((void)f.dropna(Frame::How::any, {"nope"}), std::out_of_range);
  const Frame empty_nulls{{"a", std::vector<OI>{std::nullopt}}, {"b", std::vector<O>{std::nullopt}}};
  EXPECT_EQ(empty_nulls.dropna(Frame::How::all).num_rows(), 0U);
  EXPECT_EQ(Frame().dropna(), Frame());
}

}  // namespace
