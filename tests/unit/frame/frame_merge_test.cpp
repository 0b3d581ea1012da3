// mpp::merge (frame_merge.hpp): pandas 1.5.3's results for each `how`, written out (the comments give
// the pandas call), key matching across types and for missing keys, hostile keys, errors; and the
// parallel merge on every pool type against the serial one.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <map>
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
using mpp::Column;
using mpp::Frame;
using mpp::MergeHow;
using mpp::MergeOptions;
using OI = std::optional<I>;
using OD = std::optional<double>;
using OS = std::optional<std::string>;

constexpr double k_nan = std::numeric_limits<double>::quiet_NaN();

MergeOptions on(std::vector<std::string> keys, MergeHow how) {
  MergeOptions options;
  options.on = std::move(keys);
  options.how = how;
  return options;
}

// L = pd.DataFrame({"k": [3, 1, 2, 1, 5], "a": [10, 11, 12, 13, 14]})
// R = pd.DataFrame({"k": [1, 3, 1, 4, 3], "b": [20, 21, 22, 23, 24]})
Frame left_frame() {
  return Frame{{"k", std::vector<I>{3, 1, 2, 1, 5}}, {"a", std::vector<I>{10, 11, 12, 13, 14}}};
}
Frame right_frame() {
  return Frame{{"k", std::vector<I>{1, 3, 1, 4, 3}}, {"b", std::vector<I>{20, 21, 22, 23, 24}}};
}

TEST(FrameMerge, InnerGroupsByKeyInTheOrderLeftFirstHasThem) {
  const Frame m = mpp::merge(left_frame(), right_frame(), on({"k"}, MergeHow::inner));
  const Frame expected{{"k", std::vector<I>{3, 3, 1, 1, 1, 1}},
                       {"a", std::vector<I>{10, 10, 11, 11, 13, 13}},
                       {"b", std::vector<I>{21, 24, 20, 22, 20, 22}}};
  EXPECT_EQ(m, expected);
  EXPECT_EQ(m.index_start(), 0U);
}

TEST(FrameMerge, LeftKeepsLeftsOrderWithNullsForNoMatch) {
  const Frame m = mpp::merge(left_frame(), right_frame(), on({"k"}, MergeHow::left));
  const Frame expected{{"k", std::vector<I>{3, 3, 1, 1, 2, 1, 1, 5}},
                       {"a", std::vector<I>{10, 10, 11, 11, 12, 13, 13, 14}},
                       {"b", std::vector<OI>{21, 24, 20, 22, std::nullopt, 20, 22, std::nullopt}}};
  EXPECT_EQ(m, expected);
}

TEST(FrameMerge, RightKeepsRightsOrderAndLeftsColumnsFirst) {
  const Frame m = mpp::merge(left_frame(), right_frame(), on({"k"}, MergeHow::right));
  const Frame expected{{"k", std::vector<I>{1, 1, 3, 1, 1, 4, 3}},
                       {"a", std::vector<OI>{11, 13, 10, 11, 13, std::nullopt, 10}},
                       {"b", std::vector<I>{20, 20, 21, 22, 22, 23, 24}}};
  EXPECT_EQ(m, expected);
}

TEST(FrameMerge, OuterIsInnersOrderThenRightOnlyKeysGrouped) {
  const Frame m = mpp::merge(left_frame(), right_frame(), on({"k"}, MergeHow::outer));
  const Frame expected{{"k", std::vector<I>{3, 3, 1, 1, 1, 1, 2, 5, 4}},
                       {"a", std::vector<OI>{10, 10, 11, 11, 13, 13, 12, 14, std::nullopt}},
                       {"b", std::vector<OI>{21, 24, 20, 22, 20, 22, std::nullopt, std::nullopt, 23}}};
  EXPECT_EQ(m, expected);
  // pd.merge(pd.DataFrame({"k": [1, 2], "a": [1, 2]}), pd.DataFrame({"k": [4, 6, 4, 1], "b": [1, 2, 3, 4]}),
  //          on="k", how="outer"): k 1 2 4 4 6.
  const Frame m2 = mpp::merge(Frame{{"k", std::vector<I>{1, 2}}, {"a", std::vector<I>{1, 2}}},
                              Frame{{"k", std::vector<I>{4, 6, 4, 1}}, {"b", std::vector<I>{1, 2, 3, 4}}},
                              on({"k"}, MergeHow::outer));
  const Frame expected2{{"k", std::vector<I>{1, 2, 4, 4, 6}},
                        {"a", std::vector<OI>{1, 2, std::nullopt, std::nullopt, std::nullopt}},
                        {"b", std::vector<OI>{4, std::nullopt, 1, 3, 2}}};
  EXPECT_EQ(m2, expected2);
}

TEST(FrameMerge, MissingNumberKeysMatchEachOtherNullOrNaN) {
  // L k [1.0, NaN, 2.0], R k [NaN, 1, NaN]: pandas matches NaN with NaN. mpp's null is missing too.
  const Frame left{{"k", std::vector<OD>{1.0, std::nullopt, 2.0}}, {"a", std::vector<I>{1, 2, 3}}};
  const Frame right{{"k", std::vector<double>{k_nan, 1.0, k_nan}}, {"b", std::vector<I>{4, 5, 6}}};
  const Frame m = mpp::merge(left, right, on({"k"}, MergeHow::outer));
  EXPECT_EQ(m.column("k"), Column("k", std::vector<OD>{1.0, std::nullopt, std::nullopt, 2.0}));
  EXPECT_EQ(m.column("a"), Column("a", std::vector<I>{1, 2, 2, 3}));
  EXPECT_EQ(m.column("b"), Column("b", std::vector<OI>{5, 4, 6, std::nullopt}));
}

TEST(FrameMerge, NullStringKeysMatchEachOther) {
  const Frame left{{"k", std::vector<OS>{"b", std::nullopt, "a"}}, {"a", std::vector<I>{1, 2, 3}}};
  const Frame right{{"k", std::vector<OS>{std::nullopt, "b", "c"}}, {"b", std::vector<I>{4, 5, 6}}};
  const Frame outer = mpp::merge(left, right, on({"k"}, MergeHow::outer));
  const Frame expected{{"k", std::vector<OS>{"b", std::nullopt, "a", "c"}},
                       {"a", std::vector<OI>{1, 2, 3, std::nullopt}},
                       {"b", std::vector<OI>{5, 4, std::nullopt, 6}}};
  EXPECT_EQ(outer, expected);
  const Frame inner = mpp::merge(left, right, on({"k"}, MergeHow::inner));
  const Frame expected_inner{
      {"k", std::vector<OS>{"b", std::nullopt}}, {"a", std::vector<I>{1, 2}}, {"b", std::vector<I>{5, 4}}};
  EXPECT_EQ(inner, expected_inner);
}

TEST(FrameMerge, Int64KeysMatchFloat64KeysByValue) {
  const Frame left{{"k", std::vector<I>{1, 2, 3}}, {"v", std::vector<I>{1, 2, 3}}};
  const Frame right{{"k", std::vector<double>{1.0, 2.5, 3.0}}, {"v", std::vector<I>{4, 5, 6}}};
  // inner keeps left's int64 key; the clashing "v" gets the suffixes.
  const Frame inner = mpp::merge(left, right, on({"k"}, MergeHow::inner));
  const Frame expected_inner{
      {"k", std::vector<I>{1, 3}}, {"v_x", std::vector<I>{1, 3}}, {"v_y", std::vector<I>{4, 6}}};
  EXPECT_EQ(inner, expected_inner);
  const Frame outer = mpp::merge(left, right, on({"k"}, MergeHow::outer));
  const Frame expected_outer{{"k", std::vector<double>{1.0, 2.0, 3.0, 2.5}},
                             {"v_x", std::vector<OI>{1, 2, 3, std::nullopt}},
                             {"v_y", std::vector<OI>{4, std::nullopt, 6, 5}}};
  EXPECT_EQ(outer, expected_outer);
  const Frame right_merge = mpp::merge(left, right, on({"k"}, MergeHow::right));
  const Frame expected_right{{"k", std::vector<double>{1.0, 2.5, 3.0}},
                             {"v_x", std::vector<OI>{1, std::nullopt, 3}},
                             {"v_y", std::vector<I>{4, 5, 6}}};
  EXPECT_EQ(right_merge, expected_right);
}

TEST(FrameMerge, ExtremeInt64KeysAndMinusZero) {
  constexpr I k_max = std::numeric_limits<I>::max();
  constexpr I k_min = std::numeric_limits<I>::min();
  constexpr I k_2_53_plus_1 = (I{1} << 53) + 1;
  // 2^63 (the double nearest k_max) is not k_max; 2^53 is not 2^53 + 1; -2^63 is exactly k_min.
  const Frame left{{"k", std::vector<I>{k_max, k_min, k_2_53_plus_1, 0}}, {"a", std::vector<I>{1, 2, 3, 4}}};
  const Frame right{
      {"k", std::vector<double>{9223372036854775808.0, -9223372036854775808.0, 9007199254740992.0, -0.0}},
      {"b", std::vector<I>{5, 6, 7, 8}}};
  const Frame m = mpp::merge(left, right, on({"k"}, MergeHow::inner));
  const Frame expected{
      {"k", std::vector<I>{k_min, 0}}, {"a", std::vector<I>{2, 4}}, {"b", std::vector<I>{6, 8}}};
  EXPECT_EQ(m, expected);
  const Frame ints = mpp::merge(left, Frame{{"k", std::vector<I>{k_min, k_max}}, {"b", std::vector<I>{1, 2}}},
                                on({"k"}, MergeHow::inner));
  EXPECT_EQ(ints.column("a"), Column("a", std::vector<I>{1, 2}));
}

TEST(FrameMerge, SeveralKeys) {
  // pd.merge(L, R, on=["k", "j"]): rows 1 x 8, 2 y 9, 1 y 7.
  const Frame left{{"k", std::vector<I>{1, 2, 1}},
                   {"j", std::vector<std::string>{"x", "y", "y"}},
                   {"a", std::vector<I>{1, 2, 3}}};
  const Frame right{{"k", std::vector<I>{1, 1, 2}},
                    {"j", std::vector<std::string>{"y", "x", "y"}},
                    {"b", std::vector<I>{7, 8, 9}}};
  const Frame m = mpp::merge(left, right, on({"k", "j"}, MergeHow::inner));
  const Frame expected{{"k", std::vector<I>{1, 2, 1}},
                       {"j", std::vector<std::string>{"x", "y", "y"}},
                       {"a", std::vector<I>{1, 2, 3}},
                       {"b", std::vector<I>{8, 9, 7}}};
  EXPECT_EQ(m, expected);
}

TEST(FrameMerge, LeftOnRightOnKeepBothKeyColumns) {
  // pd.merge(L, R, left_on="k", right_on="v", how="outer") with L, R as in Int64KeysMatchFloat64KeysByValue.
  const Frame left{{"k", std::vector<I>{1, 2, 3}}, {"v", std::vector<I>{1, 2, 3}}};
  const Frame right{{"k", std::vector<double>{1.0, 2.5, 3.0}}, {"v", std::vector<I>{4, 5, 6}}};
  MergeOptions options;
  options.left_on = {"k"};
  options.right_on = {"v"};
  options.how = MergeHow::outer;
  const Frame m = mpp::merge(left, right, options);
  const OI n;
  const Frame expected{{"k_x", std::vector<OI>{1, 2, 3, n, n, n}},
                       {"v_x", std::vector<OI>{1, 2, 3, n, n, n}},
                       {"k_y", std::vector<OD>{n, n, n, 1.0, 2.5, 3.0}},
                       {"v_y", std::vector<OI>{n, n, n, 4, 5, 6}}};
  EXPECT_EQ(m, expected);
  options.left_suffix = "_left";
  options.right_suffix = "";
  EXPECT_EQ(mpp::merge(left, right, options).column_names(),
            (std::vector<std::string>{"k_left", "v_left", "k", "v"}));
}

TEST(FrameMerge, EveryRowSharingOneKeyGivesTheProduct) {
  const Frame left{{"k", std::vector<I>(300, 7)}, {"a", std::vector<I>(300, 1)}};
  const Frame right{{"k", std::vector<I>(200, 7)}, {"b", std::vector<I>(200, 2)}};
  for (const MergeHow how : {MergeHow::inner, MergeHow::left, MergeHow::right, MergeHow::outer}) {
    const Frame m = mpp::merge(left, right, on({"k"}, how));
    ASSERT_EQ(m.num_rows(), 60000U);
    EXPECT_EQ(m.column("b").null_count(), 0U);
  }
}

TEST(FrameMerge, StringKeysWithAnyBytes) {
  const std::string nul("a\0b", 3);
  const std::string a_only("a");
  const Frame left{{"k", std::vector<std::string>{nul, "line\nbreak", a_only, ""}},
                   {"a", std::vector<I>{1, 2, 3, 4}}};
  const Frame right{{"k", std::vector<std::string>{"", a_only, nul, "line\r\nbreak"}},
                    {"b", std::vector<I>{5, 6, 7, 8}}};
  const Frame m = mpp::merge(left, right, on({"k"}, MergeHow::left));
  const Frame expected{{"k", std::vector<std::string>{nul, "line\nbreak", a_only, ""}},
                       {"a", std::vector<I>{1, 2, 3, 4}},
                       {"b", std::vector<OI>{7, std::nullopt, 6, 5}}};
  EXPECT_EQ(m, expected);
}

TEST(FrameMerge, EmptyAndOneRowFrames) {
  const Frame one{{"k", std::vector<I>{1}}, {"a", std::vector<double>{0.5}}};
  const Frame none = one.slice(0, 0);
  const Frame right{{"k", std::vector<I>{1, 1}}, {"b", std::vector<std::string>{"x", "y"}}};
  const Frame m = mpp::merge(one, right, on({"k"}, MergeHow::inner));
  const Frame expected{{"k", std::vector<I>{1, 1}},
                       {"a", std::vector<double>{0.5, 0.5}},
                       {"b", std::vector<std::string>{"x", "y"}}};
  EXPECT_EQ(m, expected);
  const Frame empty_inner = mpp::merge(none, right, on({"k"}, MergeHow::inner));
  EXPECT_EQ(empty_inner.num_rows(), 0U);
  EXPECT_EQ(empty_inner.column_names(), (std::vector<std::string>{"k", "a", "b"}));
  const Frame empty_outer = mpp::merge(none, right, on({"k"}, MergeHow::outer));
  const Frame expected_outer{{"k", std::vector<I>{1, 1}},
                             {"a", std::vector<OD>{std::nullopt, std::nullopt}},
                             {"b", std::vector<std::string>{"x", "y"}}};
  EXPECT_EQ(empty_outer, expected_outer);
  EXPECT_EQ(mpp::merge(one, right.slice(0, 0), on({"k"}, MergeHow::left)).column("b"),
            Column("b", std::vector<OS>{std::nullopt}));
}

TEST(FrameMerge, AllNullKeyColumnsMatchAsMissing) {
  const Frame left{{"k", std::vector<OI>{std::nullopt, std::nullopt}}, {"a", std::vector<I>{1, 2}}};
  const Frame right{{"k", std::vector<OD>{std::nullopt}}, {"b", std::vector<I>{3}}};
  const Frame m = mpp::merge(left, right, on({"k"}, MergeHow::inner));
  EXPECT_EQ(m.column("a"), Column("a", std::vector<I>{1, 2}));
  EXPECT_EQ(m.column("b"), Column("b", std::vector<I>{3, 3}));
}

TEST(FrameMerge, BadKeysAreClearErrors) {
  const Frame left = left_frame();
  const Frame strings{{"k", std::vector<std::string>{"1"}}};
  EXPECT_THROW((void)mpp::merge(left, strings, on({"k"}, MergeHow::inner)), std::invalid_argument);
  try {
    (void)mpp::merge(left, strings, on({"k"}, MergeHow::inner));
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(
        std::string(e.what()),
        "mpp::merge: key column 'k' of left is int64 and key column 'k' of right is string: a number key "
        "cannot be merged with a string key");
  }
  EXPECT_THROW((void)mpp::merge(left, right_frame(), on({"nope"}, MergeHow::inner)), std::out_of_range);
  // A key only one side has: the message says which side lacks it (pandas: KeyError).
  const auto missing = [](const Frame& l, const Frame& r, const MergeOptions& options) {
    return mpp_test::message_of<std::out_of_range>([&] { return mpp::merge(l, r, options); });
  };
  EXPECT_EQ(missing(left, right_frame(), on({"a"}, MergeHow::inner)),
            "mpp::merge: the right frame has no column named 'a' (a key in `on`)");
  EXPECT_EQ(missing(left, right_frame(), on({"b"}, MergeHow::left)),
            "mpp::merge: the left frame has no column named 'b' (a key in `on`)");
  MergeOptions sides;
  sides.left_on = {"k"};
  sides.right_on = {"a"};
  EXPECT_EQ(missing(left, right_frame(), sides),
            "mpp::merge: the right frame has no column named 'a' (a key in `right_on`)");
  mpp::Pool pool(2);
  EXPECT_THROW((void)mpp::merge(pool, left, right_frame(), on({"a"}, MergeHow::outer)), std::out_of_range);
  // A key given twice counts once, as pandas' on=["k", "k"]; a column paired with two is refused.
  EXPECT_EQ(mpp::merge(left, right_frame(), on({"k", "k"}, MergeHow::outer)),
            mpp::merge(left, right_frame(), on({"k"}, MergeHow::outer)));
  MergeOptions pairs;
  pairs.left_on = {"k", "a", "k"};
  pairs.right_on = {"k", "b", "k"};
  EXPECT_EQ(mpp::merge(left, right_frame(), pairs).num_rows(), 0U);  // no a equals a b
  pairs.right_on = {"k", "b", "b"};
  const auto invalid = [&](const MergeOptions& options) {
    return mpp_test::message_of<std::invalid_argument>(
        [&] { return mpp::merge(left, right_frame(), options); });
  };
  EXPECT_EQ(invalid(pairs), "mpp::merge: left_on names 'k' twice, paired with different columns");
  pairs.left_on = {"k", "a"};
  pairs.right_on = {"k", "k"};
  EXPECT_EQ(invalid(pairs), "mpp::merge: right_on names 'k' twice, paired with different columns");
  EXPECT_THROW((void)mpp::merge(left, right_frame(), MergeOptions{}), std::invalid_argument);
  MergeOptions both = on({"k"}, MergeHow::inner);
  both.left_on = {"k"};
  both.right_on = {"k"};
  EXPECT_THROW((void)mpp::merge(left, right_frame(), both), std::invalid_argument);
  MergeOptions uneven;
  uneven.left_on = {"k", "a"};
  uneven.right_on = {"k"};
  EXPECT_THROW((void)mpp::merge(left, right_frame(), uneven), std::invalid_argument);
  // Empty suffixes leave two columns named "a".
  MergeOptions no_suffix = on({"k"}, MergeHow::inner);
  no_suffix.left_suffix = "";
  no_suffix.right_suffix = "";
  EXPECT_THROW((void)mpp::merge(left, Frame{{"k", std::vector<I>{1}}, {"a", std::vector<I>{1}}}, no_suffix),
               std::invalid_argument);
}

// A frame of `rows` rows with keys repeating over `keys` values, some null, and a string column.
Frame keyed(std::size_t rows, I keys, I salt) {
  std::vector<OI> k(rows);
  std::vector<I> v(rows);
  std::vector<std::string> s(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    const I x = (static_cast<I>(i) * 7919 + salt) % (keys + 1);
    if (x != keys) k[i] = x;
    v[i] = static_cast<I>(i);
    s[i] = "s" + std::to_string(i);
  }
  return Frame{{"k", std::move(k)}, {"v", std::move(v)}, {"s", std::move(s)}};
}

// A result past 262 144 rows is gathered in ranges on the frame pool: every range's nulls count.
// docs/frame.md promises linear time in the number of columns whatever is asked. merge looked each
// key up by a scan of the frame's names: on 8 000 keys it took 3.5 s, 18 times 2 000 keys' 0.19 s
// (unoptimised), so 100 000 keys would take minutes.
TEST(FrameMerge, ManyKeysCostLinearTime) {
  constexpr int k_columns = 100'000;
  std::vector<Column> columns;
  std::vector<std::string> names;
  for (int i = 0; i < k_columns; ++i) {
    names.push_back("c" + std::to_string(i));
    columns.emplace_back(names.back(), std::vector<I>{i, i + 1});
  }
  const Frame wide(std::move(columns));
  MergeOptions on;
  on.on = names;
  on.how = MergeHow::outer;
  EXPECT_EQ(mpp::merge(wide, wide, on), wide);
  MergeOptions sides;
  sides.left_on = names;
  sides.right_on = names;
  EXPECT_EQ(mpp::merge(wide, wide, sides), wide);
  on.on.emplace_back("nope");
  EXPECT_THROW((void)mpp::merge(wide, wide, on), std::out_of_range);
}

TEST(FrameMerge, ALargeLeftMergeGathersInRangesWithItsNulls) {
  const std::size_t n = 300'000;
  std::vector<OI> k(n);
  std::vector<I> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (i % 997 != 0) k[i] = static_cast<I>(i % 1000);
    v[i] = static_cast<I>(i);
  }
  std::vector<I> rk(800);
  std::vector<double> c(800);
  std::vector<std::string> s(800);
  for (std::size_t j = 0; j < 800; ++j) {
    rk[j] = static_cast<I>(799 - j);
    c[j] = static_cast<double>(799 - j) / 4;
    s[j] = "r" + std::to_string(799 - j);
  }
  const Frame left{{"k", std::move(k)}, {"v", std::move(v)}};
  const Frame right{{"k", std::move(rk)}, {"c", std::move(c)}, {"s", std::move(s)}};
  const Frame merged = mpp::merge(left, right, on({"k"}, MergeHow::left));
  ASSERT_EQ(merged.num_rows(), n);
  std::size_t wrong = 0;
  std::size_t nulls = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const OI key = left.column("k").get_optional<I>(i);
    const bool match = key && *key < 800;
    nulls += match ? 0 : 1;
    if (merged.column("v").get<I>(i) != static_cast<I>(i) || merged.column("c").is_null(i) == match ||
        merged.column("s").is_null(i) == match ||
        (match && (merged.column("c").get<double>(i) != static_cast<double>(*key) / 4 ||
                   merged.column("s").get<std::string>(i) != "r" + std::to_string(*key))))
      ++wrong;
  }
  EXPECT_EQ(wrong, 0U);
  EXPECT_GT(nulls, 60'000U);  // keys 800..999 and the null keys, in every range
}

// The pairs pandas orders by key (inner, outer), written by ranges of the left rows: keys that
// first come in the second range, null keys (which match the right's null key), keys the right
// lacks, and right keys the left lacks (outer), against the order worked out row by row here.
TEST(FrameMerge, ALargeInnerOrOuterMergeOrdersItsPairsByKeyAcrossRanges) {
  const std::size_t n = 300'000;
  std::vector<OI> k(n);
  std::vector<I> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t key = i < n / 2 ? (i * 7) % 1000 : 1000 + (i * 13) % 1200;  // 1000..2199: second half
    if (i % 4999 != 3) k[i] = static_cast<I>(key);
    v[i] = static_cast<I>(i);
  }
  // Right: keys 500..2499 in a scrambled order, every third one twice, and one null key.
  std::vector<OI> rk;
  std::vector<I> w;
  for (std::size_t j = 0; j < 2000; ++j) {
    const auto key = static_cast<I>(500 + (j * 769) % 2000);
    for (int copy = 0; copy < (key % 3 == 0 ? 2 : 1); ++copy) {
      rk.emplace_back(key);
      w.push_back(static_cast<I>(w.size()));
    }
  }
  rk.emplace_back(std::nullopt);
  w.push_back(static_cast<I>(w.size()));
  const Frame left{{"k", k}, {"v", v}};
  const Frame right{{"k", rk}, {"w", w}};

  // The expected pairs (left row, right row; -1: none), keys in the order the left first has them.
  std::vector<OI> key_order;
  std::map<OI, std::vector<I>> left_rows;
  for (std::size_t i = 0; i < n; ++i) {
    auto [at, added] = left_rows.try_emplace(k[i]);
    if (added) key_order.push_back(k[i]);
    at->second.push_back(static_cast<I>(i));
  }
  std::vector<OI> right_order;
  std::map<OI, std::vector<I>> right_rows;
  for (std::size_t j = 0; j < rk.size(); ++j) {
    auto [at, added] = right_rows.try_emplace(rk[j]);
    if (added) right_order.push_back(rk[j]);
    at->second.push_back(static_cast<I>(j));
  }
  for (const MergeHow how : {MergeHow::inner, MergeHow::outer}) {
    std::vector<std::pair<I, I>> expected;
    for (const OI& key : key_order) {
      const auto match = right_rows.find(key);
      for (const I l : left_rows[key]) {
        if (match == right_rows.end()) {
          if (how == MergeHow::outer) expected.emplace_back(l, -1);
          continue;
        }
        for (const I r : match->second) expected.emplace_back(l, r);
      }
    }
    if (how == MergeHow::outer) {
      for (const OI& key : right_order) {
        if (left_rows.count(key) != 0) continue;
        for (const I r : right_rows[key]) expected.emplace_back(-1, r);
      }
    }
    const Frame merged = mpp::merge(left, right, on({"k"}, how));
    ASSERT_EQ(merged.num_rows(), expected.size());
    std::size_t wrong = 0;
    const Column& got_v = merged.column("v");
    const Column& got_w = merged.column("w");
    for (std::size_t row = 0; row < expected.size(); ++row) {
      const auto [l, r] = expected[row];
      const bool v_ok = l < 0 ? got_v.is_null(row)
                              : !got_v.is_null(row) && got_v.get<double>(row) == static_cast<double>(l);
      const bool w_ok = r < 0 ? got_w.is_null(row)
                              : !got_w.is_null(row) && got_w.get<double>(row) == static_cast<double>(r);
      wrong += v_ok && w_ok ? 0 : 1;
    }
    EXPECT_EQ(wrong, 0U) << (how == MergeHow::inner ? "inner" : "outer");
  }
}

template <class P>
class FrameMergeParallel : public ::testing::Test {};
TYPED_TEST_SUITE(FrameMergeParallel, mpp_test::PoolTypes, mpp_test::PoolTypeNames);

TYPED_TEST(FrameMergeParallel, SameResultAsTheSerialMerge) {
  TypeParam pool(3);
  const Frame left = keyed(2000, 300, 1).share();
  const Frame right = keyed(500, 400, 3);
  for (const MergeHow how : {MergeHow::inner, MergeHow::left, MergeHow::right, MergeHow::outer}) {
    const Frame serial = mpp::merge(left, right, on({"k"}, how));
    EXPECT_GT(serial.num_rows(), 0U);
    EXPECT_EQ(mpp::merge(pool, left, right, on({"k"}, how)), serial);
  }
  EXPECT_EQ(mpp::merge(pool, left.slice(0, 0), right, on({"k"}, MergeHow::inner)).num_rows(), 0U);
  EXPECT_THROW(
      (void)mpp::merge(pool, left, Frame{{"k", std::vector<std::string>{"x"}}}, on({"k"}, MergeHow::inner)),
      std::invalid_argument);
}

}  // namespace
