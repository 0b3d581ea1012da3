// Frame::groupby, mpp::groupby, Frame::describe and mpp::describe (frame_groupby.hpp): results
// written out as pandas 1.5.3 gives them, serially, over several partitions and on every pool type.
#include "mpp/frame_groupby.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "mpp/frame.hpp"
#include "mpp_test/messages.hpp"
#include "mpp_test/pools.hpp"

namespace {

using I = std::int64_t;
using mpp::Agg;
using mpp::Column;
using mpp::Frame;
using OI = std::optional<I>;
using OD = std::optional<double>;
using OS = std::optional<std::string>;
constexpr double k_nan = std::numeric_limits<double>::quiet_NaN();

// pandas: k Int64 [2, 1, <NA>, 2, 1, 2], x Int64 [10, <NA>, 5, -3, 4, 7], y [1.5, 2, NaN, NaN, -1, 4],
// s string ["b", "a", "z", <NA>, "c", "a"].
Frame sample() {
  return Frame{Column("k", std::vector<OI>{2, 1, std::nullopt, 2, 1, 2}),
               Column("x", std::vector<OI>{10, std::nullopt, 5, -3, 4, 7}),
               Column("y", std::vector<double>{1.5, 2.0, k_nan, k_nan, -1.0, 4.0}),
               Column("s", std::vector<OS>{"b", "a", "z", std::nullopt, "c", "a"})};
}

Column keys12() { return Column("k", std::vector<I>{1, 2}); }

// Equal frames, but for float64 values that may differ in their last bits (sums in another order).
void expect_close(const Frame& got, const Frame& want) {
  ASSERT_EQ(got.column_names(), want.column_names());
  ASSERT_EQ(got.num_rows(), want.num_rows());
  for (std::size_t c = 0; c < got.num_columns(); ++c) {
    const Column& a = got.column(c);
    const Column& b = want.column(c);
    if (a.type() != mpp::ColumnType::float64 || b.type() != mpp::ColumnType::float64) {
      EXPECT_EQ(a, b);
      continue;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a.is_null(i), b.is_null(i)) << a.name() << " " << i;
      if (a.is_null(i) || b.is_null(i)) continue;
      if (std::isnan(a.get<double>(i)) && std::isnan(b.get<double>(i))) continue;
      EXPECT_NEAR(a.get<double>(i), b.get<double>(i), 1e-12 * (1 + std::abs(b.get<double>(i))))
          << a.name() << i;
    }
  }
}

// Every partition count gives the same frame; returns it.
Frame agg_everywhere(const Frame& frame, const std::vector<std::string>& keys,
                     const std::vector<std::pair<std::string, Agg>>& aggs, mpp::GroupByOptions options = {}) {
  options.partitions = 1;
  const Frame one = frame.groupby(keys, options).agg(aggs);
  for (const std::size_t parts : {2, 3, 7}) {
    options.partitions = parts;
    SCOPED_TRACE(std::to_string(parts) + " partitions");
    expect_close(frame.groupby(keys, options).agg(aggs), one);
  }
  return one;
}

TEST(FrameGroupBy, SumAndMeanAsPandas) {
  EXPECT_EQ(
      agg_everywhere(sample(), {"k"}, {{"x", Agg::sum}, {"y", Agg::sum}}),
      (Frame{keys12(), Column("x", std::vector<I>{4, 14}), Column("y", std::vector<double>{1.0, 5.5})}));
  const Frame mean = agg_everywhere(sample(), {"k"}, {{"x", Agg::mean}, {"y", Agg::mean}});
  EXPECT_EQ(mean.column("y"), Column("y", std::vector<double>{0.5, 2.75}));
  EXPECT_DOUBLE_EQ(mean.column("x").get<double>(1), 14.0 / 3);
  EXPECT_EQ(mean.column("x").type(), mpp::ColumnType::float64);
  // The shortcuts take every non-key numeric column (s is dropped, as pandas 1.5's numeric_only).
  EXPECT_EQ(sample().groupby({"k"}).sum(),
            agg_everywhere(sample(), {"k"}, {{"x", Agg::sum}, {"y", Agg::sum}}));
  EXPECT_EQ(sample().groupby({"k"}).mean(), mean);
}

TEST(FrameGroupBy, EveryAggregationAsPandas) {
  const Frame f = sample();
  EXPECT_EQ(agg_everywhere(f, {"k"}, {{"x", Agg::min}, {"y", Agg::min}, {"s", Agg::min}}),
            (Frame{keys12(), Column("x", std::vector<I>{4, -3}), Column("y", std::vector<double>{-1.0, 1.5}),
                   Column("s", std::vector<std::string>{"a", "a"})}));
  EXPECT_EQ(agg_everywhere(f, {"k"}, {{"x", Agg::max}, {"y", Agg::max}, {"s", Agg::max}}),
            (Frame{keys12(), Column("x", std::vector<I>{4, 10}), Column("y", std::vector<double>{2.0, 4.0}),
                   Column("s", std::vector<std::string>{"c", "b"})}));
  EXPECT_EQ(agg_everywhere(f, {"k"}, {{"x", Agg::count}, {"y", Agg::count}, {"s", Agg::count}}),
            (Frame{keys12(), Column("x", std::vector<I>{1, 3}), Column("y", std::vector<I>{2, 2}),
                   Column("s", std::vector<I>{2, 2})}));
  EXPECT_EQ(agg_everywhere(f, {"k"}, {{"x", Agg::first}, {"y", Agg::first}, {"s", Agg::first}}),
            (Frame{keys12(), Column("x", std::vector<I>{4, 10}), Column("y", std::vector<double>{2.0, 1.5}),
                   Column("s", std::vector<std::string>{"a", "b"})}));
  EXPECT_EQ(agg_everywhere(f, {"k"}, {{"x", Agg::last}, {"y", Agg::last}, {"s", Agg::last}}),
            (Frame{keys12(), Column("x", std::vector<I>{4, 7}), Column("y", std::vector<double>{-1.0, 4.0}),
                   Column("s", std::vector<std::string>{"c", "a"})}));
  EXPECT_EQ(agg_everywhere(f, {"k"}, {{"x", Agg::nunique}, {"y", Agg::nunique}, {"s", Agg::nunique}}),
            (Frame{keys12(), Column("x", std::vector<I>{1, 3}), Column("y", std::vector<I>{2, 2}),
                   Column("s", std::vector<I>{2, 2})}));
  EXPECT_EQ(f.groupby({"k"}).size(), (Frame{keys12(), Column("size", std::vector<I>{2, 3})}));
  EXPECT_EQ(agg_everywhere(f, {"k"}, {{"s", Agg::size}}),
            (Frame{keys12(), Column("s", std::vector<I>{2, 3})}));

  const Frame var = agg_everywhere(f, {"k"}, {{"x", Agg::var}, {"y", Agg::var}});
  EXPECT_TRUE(var.column("x").is_null(0));  // one value: pandas' NaN
  EXPECT_NEAR(var.column("x").get<double>(1), 46.333333333333336, 1e-12);
  EXPECT_DOUBLE_EQ(var.column("y").get<double>(0), 4.5);
  EXPECT_DOUBLE_EQ(var.column("y").get<double>(1), 3.125);
  const Frame sd = agg_everywhere(f, {"k"}, {{"x", Agg::std}, {"y", Agg::std}});
  EXPECT_NEAR(sd.column("x").get<double>(1), 6.806859285554, 1e-9);
  EXPECT_NEAR(sd.column("y").get<double>(0), 2.121320343559, 1e-9);
}

TEST(FrameGroupBy, NullKeysAreDroppedOrKeptLast) {
  EXPECT_EQ(sample().groupby({"k"}).size().num_rows(), 2U);
  const Frame kept = agg_everywhere(sample(), {"k"}, {{"x", Agg::sum}, {"y", Agg::count}}, {.dropna = false});
  EXPECT_EQ(kept, (Frame{Column("k", std::vector<OI>{1, 2, std::nullopt}),
                         Column("x", std::vector<I>{4, 14, 5}), Column("y", std::vector<I>{2, 2, 0})}));
}

TEST(FrameGroupBy, FloatKeysGroupMinusZeroWithZeroAndNaNAsMissing) {
  // pandas: -0.0 and 0.0 are one group, shown as the first row's key; NaN keys are missing.
  const Frame f{Column("k", std::vector<double>{-0.0, 0.0, k_nan, 1.0, k_nan}),
                Column("x", std::vector<I>{1, 2, 3, 4, 5})};
  const Frame dropped = agg_everywhere(f, {"k"}, {{"x", Agg::sum}});
  EXPECT_EQ(dropped, (Frame{Column("k", std::vector<double>{-0.0, 1.0}), Column("x", std::vector<I>{3, 4})}));
  EXPECT_TRUE(std::signbit(dropped.column("k").get<double>(0)));
  const Frame kept = agg_everywhere(f, {"k"}, {{"x", Agg::sum}}, {.dropna = false});
  EXPECT_EQ(kept.column("x"), Column("x", std::vector<I>{3, 4, 8}));
  EXPECT_TRUE(std::isnan(kept.column("k").get<double>(2)));
  // nunique counts -0.0 as 0.0, and skips NaN.
  const Frame g{Column("k", std::vector<I>{1, 1, 2}), Column("f", std::vector<double>{0.0, -0.0, k_nan})};
  EXPECT_EQ(agg_everywhere(g, {"k"}, {{"f", Agg::nunique}, {"f", Agg::sum}, {"f", Agg::mean}}),
            (Frame{keys12(), Column("f_nunique", std::vector<I>{1, 0}),
                   Column("f_sum", std::vector<double>{0.0, 0.0}),
                   Column("f_mean", std::vector<OD>{0.0, std::nullopt})}));
}

TEST(FrameGroupBy, StringKeysWithAnyBytesSortByteByByte) {
  const std::string nul("a\0b", 3);
  const Frame f{Column("k", std::vector<std::string>{"b", nul, "a\nb", "", nul, "\xff", "a"}),
                Column("x", std::vector<I>{1, 2, 3, 4, 5, 6, 7})};
  EXPECT_EQ(agg_everywhere(f, {"k"}, {{"x", Agg::sum}}),
            (Frame{Column("k", std::vector<std::string>{"", "a", nul, "a\nb", "b", "\xff"}),
                   Column("x", std::vector<I>{4, 7, 7, 3, 1, 6})}));
}

TEST(FrameGroupBy, SeveralKeysAndUnsortedGroups) {
  const Frame f{Column("a", std::vector<std::string>{"y", "x", "y", "x", "y"}),
                Column("b", std::vector<OI>{2, 1, 2, std::nullopt, 1}),
                Column("v", std::vector<double>{1, 2, 3, 4, 5})};
  EXPECT_EQ(agg_everywhere(f, {"a", "b"}, {{"v", Agg::sum}}),
            (Frame{Column("a", std::vector<std::string>{"x", "y", "y"}), Column("b", std::vector<I>{1, 1, 2}),
                   Column("v", std::vector<double>{2, 5, 4})}));
  EXPECT_EQ(agg_everywhere(f, {"a", "b"}, {{"v", Agg::sum}}, {.dropna = false, .sort = false}),
            (Frame{Column("a", std::vector<std::string>{"y", "x", "x", "y"}),
                   Column("b", std::vector<OI>{2, 1, std::nullopt, 1}),
                   Column("v", std::vector<double>{4, 2, 4, 5})}));
}

TEST(FrameGroupBy, EmptyOneRowAndAllNull) {
  const Frame empty{Column("k", std::vector<I>{}), Column("x", std::vector<double>{})};
  EXPECT_EQ(empty.groupby({"k"}).sum(),
            (Frame{Column("k", std::vector<I>{}), Column("x", std::vector<double>{})}));
  EXPECT_EQ(empty.groupby({"k"}).count(),
            (Frame{Column("k", std::vector<I>{}), Column("x", std::vector<I>{})}));
  const Frame one{Column("k", std::vector<std::string>{"z"}), Column("x", std::vector<I>{7})};
  EXPECT_EQ(agg_everywhere(one, {"k"}, {{"x", Agg::sum}, {"x", Agg::std}, {"x", Agg::first}}),
            (Frame{Column("k", std::vector<std::string>{"z"}), Column("x_sum", std::vector<I>{7}),
                   Column("x_std", std::vector<OD>{std::nullopt}), Column("x_first", std::vector<I>{7})}));
  const Frame nulls{Column("k", std::vector<I>{1, 1}),
                    Column("x", std::vector<OI>{std::nullopt, std::nullopt})};
  EXPECT_EQ(
      agg_everywhere(
          nulls, {"k"},
          {{"x", Agg::sum}, {"x", Agg::mean}, {"x", Agg::min}, {"x", Agg::count}, {"x", Agg::size}}),
      (Frame{Column("k", std::vector<I>{1}), Column("x_sum", std::vector<I>{0}),
             Column("x_mean", std::vector<OD>{std::nullopt}), Column("x_min", std::vector<OI>{std::nullopt}),
             Column("x_count", std::vector<I>{0}), Column("x_size", std::vector<I>{2})}));
  // Every key missing: no groups.
  const Frame no_keys{Column("k", std::vector<OI>{std::nullopt}), Column("x", std::vector<I>{1})};
  EXPECT_EQ(no_keys.groupby({"k"}).sum().num_rows(), 0U);
}

TEST(FrameGroupBy, Int64Extremes) {
  constexpr I lo = std::numeric_limits<I>::min();
  constexpr I hi = std::numeric_limits<I>::max();
  const Frame f{Column("k", std::vector<I>{hi, lo, hi, 0}), Column("x", std::vector<I>{hi, lo, 1, -1})};
  // The sum wraps as numpy's int64 does: hi + 1 is lo.
  EXPECT_EQ(agg_everywhere(f, {"k"}, {{"x", Agg::sum}}),
            (Frame{Column("k", std::vector<I>{lo, 0, hi}), Column("x", std::vector<I>{lo, -1, lo})}));
  EXPECT_EQ(agg_everywhere(f, {"k"}, {{"x", Agg::max}}).column("x"), Column("x", std::vector<I>{lo, -1, hi}));
}

TEST(FrameGroupBy, VarianceMergesExactlyAcrossPartitions) {
  // A large offset: naive sums of squares (about 1e21, whose doubles are 2^17 apart) lose every
  // digit here; Welford and Chan keep all but the last few of a double's.
  std::vector<I> k(1000, 0);
  std::vector<double> x(1000);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = 1e9 + static_cast<double>(i % 4);  // 0,1,2,3 repeated
  const Frame f{Column("k", std::move(k)), Column("x", std::move(x))};
  // Population of 1000 values, 250 of each of 0..3: mean 1.5, M2 = 1250, var = 1250 / 999.
  for (const std::size_t parts : {1, 2, 7, 64}) {
    const Frame var = f.groupby({"k"}, {.partitions = parts}).var();
    EXPECT_NEAR(var.column("x").get<double>(0), 1250.0 / 999, 1e-6) << parts;
  }
}

TEST(FrameGroupBy, BadCallsAreClearErrors) {
  const Frame f = sample();
  EXPECT_THROW((void)f.groupby({}), std::invalid_argument);
  EXPECT_THROW((void)f.groupby({"nope"}), std::out_of_range);
  EXPECT_THROW((void)f.groupby({"k", "k"}), std::invalid_argument);
  EXPECT_THROW((void)f.groupby({"k"}).agg({{"nope", Agg::sum}}), std::out_of_range);
  EXPECT_THROW((void)f.groupby({"k"}).agg({{"k", Agg::sum}}), std::invalid_argument);
  for (const Agg agg : {Agg::sum, Agg::mean, Agg::std, Agg::var}) {
    EXPECT_THROW((void)f.groupby({"k"}).agg({{"s", agg}}), std::invalid_argument) << mpp::to_string(agg);
  }
  // The messages name the call that was made, and what is wrong with it.
  const auto message = [](auto call) { return mpp_test::message_of(call); };
  EXPECT_EQ(message([&] {
              return f.groupby({"k", "nope"});
            }),
            "mpp::Frame::groupby: no column is named 'nope'");
  EXPECT_EQ(message([&] {
              return f.groupby({"k"}).agg({{"x", Agg::sum}, {"nope", Agg::sum}});
            }),
            "mpp::GroupBy::agg: no column is named 'nope'");
  EXPECT_EQ(message([&] {
              return f.groupby({"k"}).agg({{"x", Agg::sum}, {"y", Agg::max}, {"x", Agg::sum}});
            }),
            "mpp::GroupBy::agg: column 'x' is aggregated by sum twice");
  mpp::Pool pool(2);
  EXPECT_EQ(message([&] {
              return mpp::groupby(pool, f, {"k"}).agg({{"nope", Agg::max}});
            }),
            "mpp::GroupBy::agg: no column is named 'nope'");
}

// docs/frame.md promises linear time in the number of columns whatever is asked. groupby looked
// each aggregated column up by a scan of the frame's names (and deduplicated the columns sent to
// the workers pairwise): sum() over 100 000 columns took minutes (4 000 columns 0.9 s, 16 times
// 1 000 columns' 0.11 s, unoptimised).
TEST(FrameGroupBy, ManyColumnsCostLinearTime) {
  constexpr int k_columns = 100'000;
  std::vector<Column> columns;
  std::vector<std::string> keys;
  for (int i = 0; i < k_columns; ++i) {
    columns.emplace_back("c" + std::to_string(i), std::vector<I>{i % 2, i, i});
    if (i < 1'000) keys.push_back("c" + std::to_string(i));
  }
  const Frame wide(std::move(columns));
  const Frame sums = wide.groupby({"c0"}).sum();
  ASSERT_EQ(sums.shape(), (std::pair<std::size_t, std::size_t>{1, k_columns}));
  EXPECT_EQ(sums.column("c99999").get<I>(0), 1 + 2 * 99'999);  // 99999 % 2, 99999, 99999
  std::vector<std::pair<std::string, Agg>> aggs;
  for (int i = k_columns - 1; i > 0; --i) aggs.emplace_back("c" + std::to_string(i), Agg::max);
  const Frame maxima = wide.groupby({"c0"}).agg(aggs);
  EXPECT_EQ(maxima.column(1).name(), "c99999");
  mpp::Pool pool(2);
  EXPECT_EQ(mpp::groupby(pool, wide, {"c0"}).sum(), sums);
  // Many keys, too: a thousand of them, each looked up once.
  EXPECT_EQ(wide.groupby(keys).size().num_columns(), keys.size() + 1);
}

TEST(FrameDescribe, AsPandas) {
  const Frame f{Column("a", std::vector<I>{1, 2, 3, 4}), Column("b", std::vector<double>{1.5, k_nan, 2, 10}),
                Column("s", std::vector<std::string>{"x", "y", "z", "w"})};
  const Frame d = f.describe();
  EXPECT_EQ(d.column("statistic"), Column("statistic", std::vector<std::string>{"count", "mean", "std", "min",
                                                                                "25%", "50%", "75%", "max"}));
  EXPECT_EQ(d.column_names(), (std::vector<std::string>{"statistic", "a", "b"}));
  const std::vector<double> a{4, 2.5, 1.2909944487358056, 1, 1.75, 2.5, 3.25, 4};
  const std::vector<double> b{3, 4.5, 4.769696007084728, 1.5, 1.75, 2, 6, 10};
  for (std::size_t i = 0; i < 8; ++i) {
    EXPECT_NEAR(d.column("a").get<double>(i), a[i], 1e-12) << i;
    EXPECT_NEAR(d.column("b").get<double>(i), b[i], 1e-12) << i;
  }
}

TEST(FrameDescribe, EmptyOneRowAndAllNull) {
  const Frame f{Column("n", std::vector<OI>{std::nullopt, std::nullopt}),
                Column("f", std::vector<double>{k_nan, 5})};
  const Frame d = f.describe();
  EXPECT_EQ(d.column("n"),
            Column("n", std::vector<OD>{0, std::nullopt, std::nullopt, std::nullopt, std::nullopt,
                                        std::nullopt, std::nullopt, std::nullopt}));
  EXPECT_EQ(d.column("f"), Column("f", std::vector<OD>{1, 5, std::nullopt, 5, 5, 5, 5, 5}));
  const Frame empty{Column("x", std::vector<double>{})};
  EXPECT_EQ(empty.describe().column("x").get<double>(0), 0);
  EXPECT_THROW((void)Frame{Column("s", std::vector<std::string>{"a"})}.describe(), std::invalid_argument);
  EXPECT_THROW((void)Frame{}.describe(), std::invalid_argument);
}

// A percentile that falls on one value is that value, even beside an infinity: pandas 1.5.3 gives
// NaN for this 50% (numpy's lerp multiplies inf by 0); its 25% (-inf) and 75% (NaN: inf - inf)
// agree with mpp's (docs/frame.md, describe).
TEST(FrameDescribe, APercentileOnOneValueBesideAnInfinityIsThatValue) {
  const double inf = std::numeric_limits<double>::infinity();
  const Frame d = Frame{Column("c", std::vector<double>{inf, -inf, 1})}.describe();
  EXPECT_EQ(d.column("c").get<double>(4), -inf);
  EXPECT_EQ(d.column("c").get<double>(5), 1);
  EXPECT_TRUE(std::isnan(d.column("c").get<double>(6)));
  EXPECT_EQ(d.column("c").get<double>(7), inf);
}

// Mean and std of 2 000 000 values as accurate as pandas' (numpy sums pairwise): a plain running
// sum drifted by about 1e-12 of the result (std of 0..1 999 999: 577350.41352781688, pandas
// 577350.41352717497, which is the exact value rounded).
// mean and std are pandas' bits: numpy's sums (blocks of 8 192, each pairwise), missing values as
// 0 in their places. The expected values are pandas 1.5.3's describe() of the same columns.
TEST(FrameDescribe, MeanAndStdAreThoseOfPandas) {
  constexpr std::size_t n = 2'000'000;
  std::vector<I> ints(n);
  for (std::size_t i = 0; i < n; ++i) ints[i] = static_cast<I>(i);
  const Frame d = Frame{Column("i", ints), Column("f", std::vector<double>(n, 0.1))}.describe();
  EXPECT_EQ(d.column("i").get<double>(2), 577350.41352717497);  // a running sum: 577350.41352781688
  EXPECT_EQ(d.column("f").get<double>(1), 0.10000000000000034);
  // With missing values, and an int64 column: x_i = (7919 i mod 10007) / 7 + i 1e-9, missing when
  // i mod 13 is 5; k_i = (104729 i mod 1000003) - 500000.
  constexpr std::size_t m = 123'457;
  std::vector<std::optional<double>> x(m);
  std::vector<I> k(m);
  for (std::size_t i = 0; i < m; ++i) {
    if (i % 13 != 5) x[i] = static_cast<double>((i * 7919) % 10007) / 7.0 + static_cast<double>(i) * 1e-9;
    k[i] = static_cast<I>((i * 104729) % 1000003) - 500000;
  }
  const Frame e = Frame{Column("x", x), Column("k", k)}.describe();
  EXPECT_EQ(e.column("x").get<double>(1), 714.73426796569424);
  EXPECT_EQ(e.column("x").get<double>(2), 412.67947185267678);
  EXPECT_EQ(e.column("k").get<double>(1), -6.6500238949593786);
  EXPECT_EQ(e.column("k").get<double>(2), 288678.95360299532);
  // An infinity stays one (pandas: mean inf, std NaN).
  const double inf = std::numeric_limits<double>::infinity();
  const Frame big = Frame{Column("x", std::vector<double>{inf, 1, 2})}.describe();
  EXPECT_EQ(big.column("x").get<double>(1), inf);
  EXPECT_TRUE(std::isnan(big.column("x").get<double>(2)));
  EXPECT_EQ(Frame{Column("x", std::vector<double>{1e308, 1e308})}.describe().column("x").get<double>(1), inf);
}

TEST(FrameDescribe, QuartilesOfEverySmallLength) {
  // Against a full sort and numpy's linear interpolation, written out for n = 1..9 of 10 - i.
  for (std::size_t n = 1; n < 10; ++n) {
    std::vector<double> v;
    for (std::size_t i = 0; i < n; ++i) v.push_back(static_cast<double>((i * 7) % n));  // a permutation
    const Frame d = Frame{Column("v", v)}.describe();
    for (const auto& [row, q] : {std::pair{4, 0.25}, {5, 0.5}, {6, 0.75}}) {
      // Sorted, the values are 0..n-1: the q-quantile is q (n - 1) when 7 and n are coprime.
      if (n % 7 == 0) continue;
      EXPECT_DOUBLE_EQ(d.column("v").get<double>(static_cast<std::size_t>(row)),
                       q * static_cast<double>(n - 1))
          << n << " " << q;
    }
  }
}

template <class P>
class FrameGroupByParallel : public ::testing::Test {};
TYPED_TEST_SUITE(FrameGroupByParallel, mpp_test::PoolTypes, mpp_test::PoolTypeNames);

Frame many_rows(std::size_t rows) {
  std::vector<I> k(rows);
  std::vector<std::optional<double>> x(rows);
  std::vector<std::string> s(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    k[i] = static_cast<I>((i * 37) % 101);
    if (i % 5 != 0) x[i] = static_cast<double>(i % 13) - 6.5;
    s[i] = "s" + std::to_string(i % 17);
  }
  return Frame{Column("k", std::move(k)), Column("x", x), Column("s", std::move(s))};
}

TYPED_TEST(FrameGroupByParallel, SameAsSerialOnEveryPool) {
  const Frame f = many_rows(5000);
  const std::vector<std::pair<std::string, Agg>> aggs{
      {"x", Agg::sum},     {"x", Agg::min}, {"x", Agg::count}, {"x", Agg::first}, {"x", Agg::last},
      {"s", Agg::nunique}, {"s", Agg::max}, {"x", Agg::size},  {"x", Agg::var}};
  const Frame serial = f.groupby({"k"}).agg(aggs);
  const std::vector<std::pair<std::string, Agg>> by_two{{"x", Agg::nunique}, {"x", Agg::max}};
  const Frame serial_two = f.groupby({"k", "s"}).agg(by_two);
  EXPECT_EQ(serial_two.num_rows(), 101U * 17);
  TypeParam pool(2);
  for (const Frame& input : {f, f.share()}) {
    expect_close(mpp::groupby(pool, input, {"k"}).agg(aggs), serial);
    expect_close(mpp::groupby(pool, input, {"k"}, {.partitions = 5}).agg(aggs), serial);
    EXPECT_EQ(mpp::groupby(pool, input, {"k", "s"}).agg(by_two), serial_two);
    // Floating-point sums may differ in their last bits by the order of addition.
    const Frame mean = mpp::groupby(pool, input, {"k"}).mean();
    const Frame serial_mean = f.groupby({"k"}).mean();
    for (std::size_t g = 0; g < 101; ++g) {
      EXPECT_NEAR(mean.column("x").get<double>(g), serial_mean.column("x").get<double>(g), 1e-12);
    }
  }
  EXPECT_EQ(mpp::groupby(pool, Frame{Column("k", std::vector<I>{})}, {"k"}).size(),
            (Frame{Column("k", std::vector<I>{}), Column("size", std::vector<I>{})}));
}

TYPED_TEST(FrameGroupByParallel, DescribeSameAsSerial) {
  const Frame f = many_rows(3001);
  TypeParam pool(2);
  EXPECT_EQ(mpp::describe(pool, f), f.describe());
  EXPECT_EQ(mpp::describe(pool, f.share()), f.describe());
}

}  // namespace
