// sort_values, drop_duplicates, unique, nunique and value_counts (frame_sort.cpp, frame_distinct.cpp)
// against pandas 1.5.3's results, written out: the row orders below are the `id` column of what
// pandas gave for the same frame (kind="stable"). sort_values on a pool: typed tests over mpp::Pool
// and mpp::ProcessPool give the member's result on every worker count.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "mpp/frame.hpp"
#include "mpp_test/pools.hpp"

namespace {

using I = std::int64_t;
using mpp::Column;
using mpp::Frame;
using mpp::Keep;
using mpp::NaPosition;
using mpp::SortOptions;
using O = std::optional<double>;
using OI = std::optional<I>;
using OS = std::optional<std::string>;

constexpr double k_nan = std::numeric_limits<double>::quiet_NaN();
constexpr double k_inf = std::numeric_limits<double>::infinity();
constexpr I k_min = std::numeric_limits<I>::min();
constexpr I k_max = std::numeric_limits<I>::max();

// Every kind of key: int64 extremes and nulls; -0.0, infinities, NaN and null; strings with NUL,
// a newline, the empty string and a null. `id` numbers the rows.
Frame keys() {
  using namespace std::string_literals;
  return Frame{{"i", std::vector<OI>{3, std::nullopt, k_min, 3, k_max, -1, std::nullopt, 0}},
               {"f", std::vector<O>{0.5, k_nan, -0.0, std::nullopt, 0.0, -k_inf, 0.5, k_inf}},
               {"s", std::vector<OS>{"b", "", "a\0b"s, "a", std::nullopt, "a\nb", "b", "\x7f"}},
               {"id", std::vector<I>{0, 1, 2, 3, 4, 5, 6, 7}}};
}

std::vector<I> ids(const Frame& frame) {
  const auto v = frame.column("id").values<I>();
  return {v.begin(), v.end()};
}

SortOptions options(std::vector<bool> ascending, NaPosition na = NaPosition::last) {
  return SortOptions{std::move(ascending), na};
}

// -- sort_values --------------------------------------------------------------------------------

TEST(FrameSort, ByInt64AscendingDescendingNullsFirst) {
  EXPECT_EQ(ids(keys().sort_values({"i"})), (std::vector<I>{2, 5, 7, 0, 3, 4, 1, 6}));
  EXPECT_EQ(ids(keys().sort_values({"i"}, options({false}))), (std::vector<I>{4, 0, 3, 7, 5, 2, 1, 6}));
  EXPECT_EQ(ids(keys().sort_values({"i"}, options({}, NaPosition::first))),
            (std::vector<I>{1, 6, 2, 5, 7, 0, 3, 4}));
}

TEST(FrameSort, ByFloat64NegativeZeroEqualsZeroNaNAndNullAreMissing) {
  EXPECT_EQ(ids(keys().sort_values({"f"})), (std::vector<I>{5, 2, 4, 0, 6, 7, 1, 3}));
  EXPECT_EQ(ids(keys().sort_values({"f"}, options({false}, NaPosition::first))),
            (std::vector<I>{1, 3, 7, 0, 6, 2, 4, 5}));
}

TEST(FrameSort, ByStringComparesBytes) {
  EXPECT_EQ(ids(keys().sort_values({"s"})), (std::vector<I>{1, 3, 2, 5, 0, 6, 7, 4}));
  EXPECT_EQ(ids(keys().sort_values({"s"}, options({false}, NaPosition::first))),
            (std::vector<I>{4, 7, 0, 6, 5, 2, 3, 1}));
}

TEST(FrameSort, BySeveralKeysEachInItsDirectionNullsPlacedPerKey) {
  EXPECT_EQ(ids(keys().sort_values({"s", "i"}, options({true, false}))),
            (std::vector<I>{1, 3, 2, 5, 0, 6, 7, 4}));
  EXPECT_EQ(ids(keys().sort_values({"f", "s"}, options({false, true}, NaPosition::first))),
            (std::vector<I>{1, 3, 7, 0, 6, 4, 2, 5}));
  // pandas: a=[2,1,2,None,1,2], c=[1,1,None,1,1,1], by a descending then c.
  const Frame f{{"a", std::vector<OI>{2, 1, 2, std::nullopt, 1, 2}},
                {"c", std::vector<OI>{1, 1, std::nullopt, 1, 1, 1}},
                {"id", std::vector<I>{1, 2, 3, 4, 5, 6}}};
  EXPECT_EQ(ids(f.sort_values({"a", "c"}, options({false, true}))), (std::vector<I>{1, 6, 3, 2, 5, 4}));
  EXPECT_EQ(ids(f.sort_values({"a", "c"}, options({false, true}, NaPosition::first))),
            (std::vector<I>{4, 3, 1, 6, 2, 5}));
  // One flag applies to every key; a repeated key changes nothing.
  EXPECT_EQ(f.sort_values({"a", "c"}, options({false})), f.sort_values({"a", "c"}, options({false, false})));
  EXPECT_EQ(f.sort_values({"a", "a", "c"}, options({false, true, false})),
            f.sort_values({"a", "c"}, options({false, false})));
}

TEST(FrameSort, EveryColumnTravelsWithItsRowAndTheIndexRestarts) {
  const Frame sorted = keys().slice(2, 8).sort_values({"i"});
  EXPECT_EQ(sorted.index_start(), 0U);
  const Frame expected{{"i", std::vector<OI>{k_min, -1, 0, 3, k_max, std::nullopt}},
                       {"f", std::vector<O>{-0.0, -k_inf, k_inf, std::nullopt, 0.0, 0.5}},
                       {"s", std::vector<OS>{std::string("a\0b", 3), "a\nb", "\x7f", "a", std::nullopt, "b"}},
                       {"id", std::vector<I>{2, 5, 7, 3, 4, 6}}};
  EXPECT_EQ(sorted, expected);
}

TEST(FrameSort, EmptyOneRowAllNullAndNoKeys) {
  const Frame empty = keys().head(0);
  EXPECT_EQ(empty.sort_values({"s", "i"}), empty);
  EXPECT_EQ(keys().head(1).sort_values({"f"}, options({false})), keys().head(1));
  const Frame nulls{{"n", std::vector<OI>{std::nullopt, std::nullopt, std::nullopt}},
                    {"id", std::vector<I>{0, 1, 2}}};
  EXPECT_EQ(ids(nulls.sort_values({"n"}, options({false}, NaPosition::first))), (std::vector<I>{0, 1, 2}));
  EXPECT_EQ(keys().sort_values({}), keys());
}

TEST(FrameSort, RefusesAnUnknownColumnAndAscendingFlagsOfTheWrongCount) {
  try {
    (void)keys().sort_values({"i", "nope"});
    FAIL() << "no exception";
  } catch (const std::out_of_range& e) {
    EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("mpp::Frame::sort_values"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)keys().sort_values({"i", "f"}, options({true, false, true})), std::invalid_argument);
  EXPECT_THROW((void)keys().sort_values({}, options({true, false})), std::invalid_argument);
}

TEST(FrameSort, AColumnSortsAsAOneKeyFrame) {
  const Column c("x", std::vector<O>{2.5, std::nullopt, -1.0, 2.5});
  EXPECT_EQ(c.sort_values(), Column("x", std::vector<O>{-1.0, 2.5, 2.5, std::nullopt}));
  EXPECT_EQ(c.sort_values(options({false}, NaPosition::first)),
            Column("x", std::vector<O>{std::nullopt, 2.5, 2.5, -1.0}));
}

// A frame of `rows` rows: an int64 key of few values (many ties), a float64 key, and `id`.
Frame many(std::size_t rows) {
  std::vector<OI> k(rows);
  std::vector<O> x(rows);
  std::vector<I> id(rows);
  std::uint64_t state = 12345;
  for (std::size_t r = 0; r < rows; ++r) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    const auto bits = static_cast<I>(state >> 33U);
    if (bits % 17 != 0) k[r] = bits % 1000 - 500;
    x[r] = bits % 13 == 0 ? k_nan : static_cast<double>(bits % 100000) / 7;
    id[r] = static_cast<I>(r);
  }
  return Frame{{"k", std::move(k)}, {"x", std::move(x)}, {"id", std::move(id)}};
}

// The order a plain stable sort of (key, id) gives: what sort_values must match.
std::vector<I> reference_order(const Frame& f, bool ascending) {
  std::vector<I> order(f.num_rows());
  std::iota(order.begin(), order.end(), I{0});
  const Column& column = f.column("k");
  std::vector<OI> k(f.num_rows());
  for (std::size_t r = 0; r < k.size(); ++r) k[r] = column.get_optional<I>(r);
  std::stable_sort(order.begin(), order.end(), [&](I a, I b) {
    const OI& ka = k[static_cast<std::size_t>(a)];
    const OI& kb = k[static_cast<std::size_t>(b)];
    if (!ka || !kb) return ka.has_value() && !kb.has_value();  // nulls last
    return ascending ? *ka < *kb : *kb < *ka;
  });
  return order;
}

TEST(FrameSort, AMillionRowsSortOnTheFramePoolInTheStableOrder) {
  const Frame f = many(1'000'000);  // the first size that runs on the pool
  const Frame sorted = f.sort_values({"k"}, options({false}));
  EXPECT_EQ(ids(sorted), reference_order(f, false));
  // Every column is gathered (in ranges on the frame pool) with its row.
  const std::vector<I> order = ids(sorted);
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < order.size(); ++i) {
    const auto r = static_cast<std::size_t>(order[i]);
    const double x = sorted.column("x").get<double>(i);
    const double was = f.column("x").get<double>(r);
    if (sorted.column("k").get_optional<I>(i) != f.column("k").get_optional<I>(r) ||
        !(x == was || (std::isnan(x) && std::isnan(was))))
      ++wrong;
  }
  EXPECT_EQ(wrong, 0U);
  // A key without missing values and with many ties: the partitions' rows merge in ranges of the
  // result, each from where the merge path splits, in the stable order.
  std::vector<I> t(f.num_rows());
  std::vector<I> id(f.num_rows());
  for (std::size_t r = 0; r < t.size(); ++r) {
    t[r] = static_cast<I>((r * 7919) % 1000);
    id[r] = static_cast<I>(r);
  }
  const Frame tied{{"t", t}, {"id", id}};
  for (const bool ascending : {true, false}) {
    std::vector<I> expected = id;
    std::stable_sort(expected.begin(), expected.end(), [&](I a, I b) {
      const I ta = t[static_cast<std::size_t>(a)];
      const I tb = t[static_cast<std::size_t>(b)];
      return ascending ? ta < tb : tb < ta;
    });
    EXPECT_EQ(ids(tied.sort_values({"t"}, options({ascending}))), expected) << ascending;
  }
  // One float64 key with its NaNs first: the frame pool's partitions merged give the order of one
  // partition sorted whole.
  mpp::Pool one(1);
  EXPECT_EQ(ids(f.sort_values({"x"}, options({false}, NaPosition::first))),
            ids(mpp::sort_values(one, f, {"x"}, options({false}, NaPosition::first))));
}

// -- sort_values on a pool -----------------------------------------------------------------------

template <class P>
class FrameSortParallel : public ::testing::Test {};
TYPED_TEST_SUITE(FrameSortParallel, mpp_test::PoolTypes, mpp_test::PoolTypeNames);

TYPED_TEST(FrameSortParallel, GivesTheSerialOrderOnEveryWorkerCount) {
  const Frame f = many(5000);
  for (const std::size_t workers : {1U, 2U, 3U, 5U}) {
    TypeParam pool(workers);
    EXPECT_EQ(mpp::sort_values(pool, f, {"k"}), f.sort_values({"k"})) << workers;
    EXPECT_EQ(ids(mpp::sort_values(pool, f, {"k"}, options({false}))), reference_order(f, false)) << workers;
    EXPECT_EQ(mpp::sort_values(pool, f, {"x", "k"}, options({false, true}, NaPosition::first)),
              f.sort_values({"x", "k"}, options({false, true}, NaPosition::first)))
        << workers;
    // One numeric key, each direction, missing values first: merged by the numbers the workers send.
    for (const char* key : {"k", "x"}) {
      for (const bool ascending : {true, false}) {
        EXPECT_EQ(mpp::sort_values(pool, f, {key}, options({ascending}, NaPosition::first)),
                  f.sort_values({key}, options({ascending}, NaPosition::first)))
            << workers << key << ascending;
      }
    }
  }
}

TYPED_TEST(FrameSortParallel, EdgeFramesAndStringKeys) {
  TypeParam pool(3);
  EXPECT_EQ(ids(mpp::sort_values(pool, keys(), {"s"})), (std::vector<I>{1, 3, 2, 5, 0, 6, 7, 4}));
  EXPECT_EQ(ids(mpp::sort_values(pool, keys(), {"f", "s"}, options({false, true}, NaPosition::first))),
            (std::vector<I>{1, 3, 7, 0, 6, 4, 2, 5}));
  EXPECT_EQ(mpp::sort_values(pool, keys().head(0), {"i"}), keys().head(0));
  EXPECT_EQ(mpp::sort_values(pool, keys().head(1), {"i"}), keys().head(1));
  EXPECT_EQ(ids(mpp::sort_values(pool, keys().share(), {"i"})), (std::vector<I>{2, 5, 7, 0, 3, 4, 1, 6}));
  EXPECT_THROW((void)mpp::sort_values(pool, keys(), {"nope"}), std::out_of_range);
}

// -- drop_duplicates ------------------------------------------------------------------------------

TEST(FrameDistinct, DropDuplicatesKeepsFirstLastOrNone) {
  EXPECT_EQ(ids(keys().drop_duplicates({"s"})), (std::vector<I>{0, 1, 2, 3, 4, 5, 7}));
  EXPECT_EQ(ids(keys().drop_duplicates({"s"}, Keep::last)), (std::vector<I>{1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(ids(keys().drop_duplicates({"s"}, Keep::none)), (std::vector<I>{1, 2, 3, 4, 5, 7}));
  // NaN and null are one missing value; -0.0 and 0.0 one number.
  EXPECT_EQ(ids(keys().drop_duplicates({"f"})), (std::vector<I>{0, 1, 2, 5, 7}));
  EXPECT_EQ(ids(keys().drop_duplicates({"f"}, Keep::last)), (std::vector<I>{3, 4, 5, 6, 7}));
  EXPECT_EQ(ids(keys().drop_duplicates({"f"}, Keep::none)), (std::vector<I>{5, 7}));
  EXPECT_EQ(ids(keys().drop_duplicates({"i", "s"})), (std::vector<I>{0, 1, 2, 3, 4, 5, 6, 7}));
}

TEST(FrameDistinct, DropDuplicatesOfWholeRowsEmptyAndOneRow) {
  const Frame f{{"a", std::vector<OI>{1, 1, std::nullopt, std::nullopt, 1}},
                {"b", std::vector<OS>{"x", "x", "", "", "y"}}};
  EXPECT_EQ(f.drop_duplicates(),
            (Frame{{"a", std::vector<OI>{1, std::nullopt, 1}}, {"b", std::vector<OS>{"x", "", "y"}}}));
  EXPECT_EQ(f.drop_duplicates({}, Keep::none),
            (Frame{{"a", std::vector<OI>{1}}, {"b", std::vector<OS>{"y"}}}));
  EXPECT_EQ(f.slice(1, 5).drop_duplicates().index_start(), 0U);
  EXPECT_EQ(f.head(0).drop_duplicates(), f.head(0));
  EXPECT_EQ(f.head(1).drop_duplicates({}, Keep::none), f.head(1));
  EXPECT_THROW((void)f.drop_duplicates({"a", "nope"}), std::out_of_range);
}

// -- unique, nunique, value_counts -----------------------------------------------------------------

TEST(FrameDistinct, UniqueInOrderOfFirstAppearanceMissingOnce) {
  EXPECT_EQ(keys().column("f").unique(), Column("f", std::vector<O>{0.5, k_nan, -0.0, -k_inf, k_inf}));
  EXPECT_EQ(keys().column("f").nunique(), 4U);
  EXPECT_EQ(keys().column("f").nunique(false), 5U);
  EXPECT_EQ(keys().column("s").unique(),
            Column("s", std::vector<OS>{"b", "", std::string("a\0b", 3), "a", std::nullopt, "a\nb", "\x7f"}));
  EXPECT_EQ(keys().column("s").nunique(), 6U);
  EXPECT_EQ(keys().column("s").nunique(false), 7U);
  EXPECT_EQ(keys().column("i").unique(), Column("i", std::vector<OI>{3, std::nullopt, k_min, k_max, -1, 0}));
  const Column nulls("n", std::vector<OS>{std::nullopt, std::nullopt});
  EXPECT_EQ(nulls.unique(), Column("n", std::vector<OS>{std::nullopt}));
  EXPECT_EQ(nulls.nunique(), 0U);
  EXPECT_EQ(nulls.nunique(false), 1U);
  const Column empty("e", std::vector<double>{});
  EXPECT_EQ(empty.unique(), empty);
  EXPECT_EQ(empty.nunique(false), 0U);
}

TEST(FrameDistinct, ValueCountsMostFrequentFirstTiesInOrderOfFirstAppearance) {
  const Column s("s", std::vector<OS>{"x", "y", "y", std::nullopt, "x", "z", std::nullopt, std::nullopt});
  EXPECT_EQ(s.value_counts(),
            (Frame{{"s", std::vector<OS>{"x", "y", "z"}}, {"count", std::vector<I>{2, 2, 1}}}));
  EXPECT_EQ(s.value_counts({.dropna = false}), (Frame{{"s", std::vector<OS>{std::nullopt, "x", "y", "z"}},
                                                      {"count", std::vector<I>{3, 2, 2, 1}}}));
  EXPECT_EQ(s.value_counts({.normalize = true}), (Frame{{"s", std::vector<OS>{"x", "y", "z"}},
                                                        {"proportion", std::vector<double>{0.4, 0.4, 0.2}}}));
  const Column f = keys().column("f");
  EXPECT_EQ(f.value_counts(),
            (Frame{{"f", std::vector<O>{0.5, -0.0, -k_inf, k_inf}}, {"count", std::vector<I>{2, 2, 1, 1}}}));
  EXPECT_EQ(f.value_counts({.normalize = true, .dropna = false}),
            (Frame{{"f", std::vector<O>{0.5, k_nan, -0.0, -k_inf, k_inf}},
                   {"proportion", std::vector<double>{0.25, 0.25, 0.25, 0.125, 0.125}}}));
}

TEST(FrameDistinct, ValueCountsOfEmptyAndAllNullColumns) {
  const Frame none{{"n", std::vector<OI>{}}, {"count", std::vector<I>{}}};
  EXPECT_EQ(Column("n", std::vector<I>{}).value_counts(), none);
  EXPECT_EQ(Column("n", std::vector<OI>{std::nullopt, std::nullopt}).value_counts(), none);
  EXPECT_EQ(Column("n", std::vector<OI>{std::nullopt, std::nullopt}).value_counts({.dropna = false}),
            (Frame{{"n", std::vector<OI>{std::nullopt}}, {"count", std::vector<I>{2}}}));
  EXPECT_THROW((void)Column("count", std::vector<I>{1}).value_counts(), std::invalid_argument);
}

// Keys that a weak hash would pile into few slots: multiples of 2^32 (equal low bits) and long
// strings that differ only in their last byte. Each is its own value.
TEST(FrameDistinct, KeysAlikeInTheirLowBitsOrPrefixesStayDistinct) {
  constexpr std::size_t n = 50'000;
  std::vector<I> ints(n);
  std::vector<std::string> strings(n);
  for (std::size_t r = 0; r < n; ++r) {
    ints[r] = static_cast<I>(r) << 32U;
    strings[r] = std::string(64, 'p') + std::to_string(r);
  }
  EXPECT_EQ(Column("i", ints).nunique(), n);
  EXPECT_EQ(Column("s", strings).nunique(), n);
  const Frame f{{"i", ints}, {"s", strings}};
  EXPECT_EQ(mpp::concat({f, f}).drop_duplicates(), f);
}

}  // namespace
