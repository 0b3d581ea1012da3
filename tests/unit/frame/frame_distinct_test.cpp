// drop_duplicates, unique, nunique and value_counts on a pool (frame_distinct.hpp): typed tests over
// mpp::Pool and mpp::ProcessPool against results written out here and against the members, on
// worker counts that put a value's first and last rows in different partitions, and more workers
// than rows. The members on a frame of k_pool_rows rows run on the frame pool and give the same.
#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "frame/frame_pool.hpp"
#include "mpp/errors.hpp"
#include "mpp/frame.hpp"
#include "mpp/pool.hpp"
#include "mpp/process_pool.hpp"
#include "mpp/start_method.hpp"
#include "mpp_test/pools.hpp"

namespace {

using I = std::int64_t;
using mpp::Column;
using mpp::Frame;
using mpp::Keep;
using O = std::optional<double>;
using OI = std::optional<I>;
using OS = std::optional<std::string>;
using namespace std::string_literals;

constexpr double k_nan = std::numeric_limits<double>::quiet_NaN();

// Each key's duplicates straddle the cut of 2 (rows 0-3 | 4-7) and 3 workers (0-2 | 3-5 | 6-7): "x"
// first in partition 0 and last in the final one, NaN and null are one missing value whose first
// row (NaN) is in partition 0, -0.0 and 0.0 one number, strings differ after a NUL byte. `id`
// numbers the rows.
Frame keys() {
  return Frame{{"s", std::vector<OS>{"x", "a\0b"s, std::nullopt, "a\0c"s, "a\0b"s, "x", "y", "x"}},
               {"f", std::vector<O>{k_nan, -0.0, 2.5, 0.0, std::nullopt, 2.5, 7.0, 0.0}},
               {"i", std::vector<OI>{1, 2, 1, std::nullopt, 2, 3, std::nullopt, 1}},
               {"id", std::vector<I>{0, 1, 2, 3, 4, 5, 6, 7}}};
}

std::vector<I> ids(const Frame& frame) {
  const auto v = frame.column("id").values<I>();
  return {v.begin(), v.end()};
}

// 5 000 rows of a key with many duplicates and nulls, and one of strings.
Frame many() {
  constexpr std::size_t n = 5000;
  std::vector<OI> k(n);
  std::vector<std::string> s(n);
  std::vector<I> id(n);
  for (std::size_t r = 0; r < n; ++r) {
    if (r % 17 != 3) k[r] = static_cast<I>((r * 7919) % 613);
    s[r] = std::string(1, '\0') + std::to_string(r % 211);
    id[r] = static_cast<I>(r);
  }
  return Frame{{"k", k}, {"s", s}, {"id", id}};
}

// The ids that drop_duplicates({"k"}, keep) keeps, for each Keep in its order: each key's (a small
// non-negative int64, or null) rows listed by a plain loop, no hashing.
std::array<std::vector<I>, 3> reference_ids(const Frame& frame) {
  const Column k = frame.column("k");
  std::vector<std::vector<I>> rows;  // per key + 1; 0: null
  for (std::size_t r = 0; r < frame.num_rows(); ++r) {
    const std::size_t at = k.is_null(r) ? 0 : static_cast<std::size_t>(k.values<I>()[r]) + 1;
    if (at >= rows.size()) rows.resize(at + 1);
    rows[at].push_back(static_cast<I>(r));
  }
  std::array<std::vector<bool>, 3> kept;
  kept.fill(std::vector<bool>(frame.num_rows(), false));
  for (const std::vector<I>& at : rows) {
    if (at.empty()) continue;
    kept[static_cast<std::size_t>(Keep::first)][static_cast<std::size_t>(at.front())] = true;
    kept[static_cast<std::size_t>(Keep::last)][static_cast<std::size_t>(at.back())] = true;
    if (at.size() == 1)
      kept[static_cast<std::size_t>(Keep::none)][static_cast<std::size_t>(at.front())] = true;
  }
  std::array<std::vector<I>, 3> out;
  for (std::size_t keep = 0; keep < 3; ++keep) {
    for (std::size_t r = 0; r < frame.num_rows(); ++r) {
      if (kept[keep][r]) out[keep].push_back(static_cast<I>(r));
    }
  }
  return out;
}

const std::vector<I>& of(const std::array<std::vector<I>, 3>& ids, Keep keep) {
  return ids[static_cast<std::size_t>(keep)];
}

template <class P>
class FrameDistinctParallel : public ::testing::Test {};
TYPED_TEST_SUITE(FrameDistinctParallel, mpp_test::PoolTypes, mpp_test::PoolTypeNames);

TYPED_TEST(FrameDistinctParallel, DropDuplicatesKeepsWhatIsWrittenOnEveryWorkerCount) {
  const Frame f = keys();
  for (const std::size_t workers : {1U, 2U, 3U, 8U, 11U}) {
    TypeParam pool(workers);
    EXPECT_EQ(ids(mpp::drop_duplicates(pool, f, {"s"})), (std::vector<I>{0, 1, 2, 3, 6})) << workers;
    EXPECT_EQ(ids(mpp::drop_duplicates(pool, f, {"s"}, Keep::last)), (std::vector<I>{2, 3, 4, 6, 7}))
        << workers;
    EXPECT_EQ(ids(mpp::drop_duplicates(pool, f, {"s"}, Keep::none)), (std::vector<I>{2, 3, 6})) << workers;
    EXPECT_EQ(ids(mpp::drop_duplicates(pool, f, {"f"})), (std::vector<I>{0, 1, 2, 6})) << workers;
    EXPECT_EQ(ids(mpp::drop_duplicates(pool, f, {"f"}, Keep::last)), (std::vector<I>{4, 5, 6, 7})) << workers;
    EXPECT_EQ(ids(mpp::drop_duplicates(pool, f, {"f"}, Keep::none)), (std::vector<I>{6})) << workers;
    EXPECT_EQ(ids(mpp::drop_duplicates(pool, f, {"s", "i", "s"})), (std::vector<I>{0, 1, 2, 3, 5, 6}))
        << workers;
    EXPECT_EQ(ids(mpp::drop_duplicates(pool, f, {"s", "i"}, Keep::last)), (std::vector<I>{2, 3, 4, 5, 6, 7}))
        << workers;
    EXPECT_EQ(ids(mpp::drop_duplicates(pool, f, {"s", "i"}, Keep::none)), (std::vector<I>{2, 3, 5, 6}))
        << workers;
    EXPECT_EQ(mpp::drop_duplicates(pool, f), f) << workers;  // the ids differ
    const Frame no_id = f.drop(std::vector<std::string>{"id"});
    EXPECT_EQ(mpp::drop_duplicates(pool, no_id), no_id.drop_duplicates()) << workers;
    for (const Keep keep : {Keep::first, Keep::last, Keep::none}) {
      EXPECT_EQ(mpp::drop_duplicates(pool, f, {"f", "s"}, keep), f.drop_duplicates({"f", "s"}, keep))
          << workers;
    }
  }
}

TYPED_TEST(FrameDistinctParallel, UniqueNuniqueAndValueCountsAsWrittenOnEveryWorkerCount) {
  const Frame f = keys();
  for (const std::size_t workers : {1U, 2U, 3U, 8U, 11U}) {
    TypeParam pool(workers);
    EXPECT_EQ(mpp::unique(pool, f.column("s")),
              Column("s", std::vector<OS>{"x", "a\0b"s, std::nullopt, "a\0c"s, "y"}))
        << workers;
    EXPECT_EQ(mpp::unique(pool, f.column("f")), Column("f", std::vector<O>{k_nan, -0.0, 2.5, 7.0}))
        << workers;
    EXPECT_EQ(mpp::unique(pool, f.column("i")), Column("i", std::vector<OI>{1, 2, std::nullopt, 3}))
        << workers;
    EXPECT_EQ(mpp::nunique(pool, f.column("s")), 4U) << workers;
    EXPECT_EQ(mpp::nunique(pool, f.column("s"), false), 5U) << workers;
    EXPECT_EQ(mpp::nunique(pool, f.column("f")), 3U) << workers;
    EXPECT_EQ(mpp::nunique(pool, f.column("f"), false), 4U) << workers;
    EXPECT_EQ(mpp::nunique(pool, f.column("id")), 8U) << workers;
    EXPECT_EQ(
        mpp::value_counts(pool, f.column("s")),
        (Frame{{"s", std::vector<OS>{"x", "a\0b"s, "a\0c"s, "y"}}, {"count", std::vector<I>{3, 2, 1, 1}}}))
        << workers;
    // Ties in order of first appearance: the missing value (first at row 0) before 2.5 (row 2).
    EXPECT_EQ(mpp::value_counts(pool, f.column("f"), {.dropna = false}),
              (Frame{{"f", std::vector<O>{-0.0, k_nan, 2.5, 7.0}}, {"count", std::vector<I>{3, 2, 2, 1}}}))
        << workers;
    EXPECT_EQ(
        mpp::value_counts(pool, f.column("i"), {.normalize = true}),
        (Frame{{"i", std::vector<OI>{1, 2, 3}}, {"proportion", std::vector<double>{0.5, 2.0 / 6, 1.0 / 6}}}))
        << workers;
    EXPECT_EQ(mpp::value_counts(pool, f.column("i"), {.normalize = true, .dropna = false}),
              (Frame{{"i", std::vector<OI>{1, 2, std::nullopt, 3}},
                     {"proportion", std::vector<double>{0.375, 0.25, 0.25, 0.125}}}))
        << workers;
    for (const char* name : {"s", "f", "i"}) {
      const Column c = f.column(name);
      EXPECT_EQ(mpp::unique(pool, c), c.unique()) << workers << name;
      EXPECT_EQ(mpp::value_counts(pool, c, {.dropna = false}), c.value_counts({.dropna = false}))
          << workers << name;
    }
  }
}

TYPED_TEST(FrameDistinctParallel, EmptyOneRowAllNullAndBoolAndDatetimeColumns) {
  TypeParam pool(3);
  const Frame f = keys();
  EXPECT_EQ(mpp::drop_duplicates(pool, f.head(0)), f.head(0));
  EXPECT_EQ(mpp::drop_duplicates(pool, f.head(0), {"s"}, Keep::none), f.head(0));
  EXPECT_EQ(mpp::drop_duplicates(pool, f.head(1), {}, Keep::none), f.head(1));
  EXPECT_EQ(mpp::drop_duplicates(pool, f.slice(4, 8), {"s"}).index_start(), 0U);
  EXPECT_EQ(ids(mpp::drop_duplicates(pool, f.slice(4, 8), {"s"}, Keep::last)), (std::vector<I>{4, 6, 7}));
  const Column empty("e", std::vector<OS>{});
  EXPECT_EQ(mpp::unique(pool, empty), empty);
  EXPECT_EQ(mpp::nunique(pool, empty, false), 0U);
  EXPECT_EQ(mpp::value_counts(pool, empty), (Frame{{"e", std::vector<OS>{}}, {"count", std::vector<I>{}}}));
  const Column nulls("n", std::vector<OI>{std::nullopt, std::nullopt, std::nullopt, std::nullopt});
  EXPECT_EQ(mpp::unique(pool, nulls), Column("n", std::vector<OI>{std::nullopt}));
  EXPECT_EQ(mpp::nunique(pool, nulls), 0U);
  EXPECT_EQ(mpp::nunique(pool, nulls, false), 1U);
  EXPECT_EQ(mpp::value_counts(pool, nulls), (Frame{{"n", std::vector<OI>{}}, {"count", std::vector<I>{}}}));
  EXPECT_EQ(mpp::value_counts(pool, nulls, {.dropna = false}),
            (Frame{{"n", std::vector<OI>{std::nullopt}}, {"count", std::vector<I>{4}}}));
  const Column one("o", std::vector<double>{-0.0});
  EXPECT_EQ(mpp::unique(pool, one), one);
  EXPECT_EQ(mpp::value_counts(pool, one, {.normalize = true}),
            (Frame{{"o", std::vector<double>{-0.0}}, {"proportion", std::vector<double>{1.0}}}));
  const Column flags("b", std::vector<std::optional<bool>>{true, std::nullopt, false, true, false, true});
  EXPECT_EQ(mpp::unique(pool, flags),
            Column("b", std::vector<std::optional<bool>>{true, std::nullopt, false}));
  EXPECT_EQ(mpp::value_counts(pool, flags),
            (Frame{{"b", std::vector<std::optional<bool>>{true, false}}, {"count", std::vector<I>{3, 2}}}));
  const mpp::Timestamp day = mpp::Timestamp::parse("2024-01-02");
  const mpp::Timestamp next = mpp::Timestamp::parse("2024-01-03");
  const Column when("t", std::vector<std::optional<mpp::Timestamp>>{next, day, std::nullopt, day, next, day});
  EXPECT_EQ(mpp::unique(pool, when),
            Column("t", std::vector<std::optional<mpp::Timestamp>>{next, day, std::nullopt}));
  EXPECT_EQ(mpp::value_counts(pool, when, {.dropna = false}),
            (Frame{{"t", std::vector<std::optional<mpp::Timestamp>>{day, next, std::nullopt}},
                   {"count", std::vector<I>{3, 2, 1}}}));
  EXPECT_THROW((void)mpp::drop_duplicates(pool, f, {"s", "nope"}), std::out_of_range);
  EXPECT_THROW((void)f.drop_duplicates({"nope"}), std::out_of_range);
  EXPECT_THROW((void)mpp::value_counts(pool, Column("count", std::vector<I>{1, 1})), std::invalid_argument);
  EXPECT_THROW((void)Column("proportion", std::vector<I>{1}).value_counts({.normalize = true}),
               std::invalid_argument);
  EXPECT_EQ(Column("proportion", std::vector<I>{1}).value_counts().num_rows(), 1U);
  try {
    (void)Column("count", std::vector<I>{1}).value_counts();
    ADD_FAILURE();
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()),
              "mpp::Column::value_counts: column 'count' would share its name with the counts beside it; "
              "rename it first");
  }
  pool.close();
  // The name is checked before the pool is asked for anything.
  EXPECT_THROW((void)mpp::value_counts(pool, Column("count", std::vector<I>{1, 1})), std::invalid_argument);
  EXPECT_THROW((void)mpp::drop_duplicates(pool, f, {"s"}), mpp::PoolNotRunning);
  EXPECT_THROW((void)mpp::unique(pool, f.column("s")), mpp::PoolNotRunning);
  EXPECT_THROW((void)mpp::nunique(pool, f.column("s")), mpp::PoolNotRunning);
  EXPECT_THROW((void)mpp::value_counts(pool, f.column("s")), mpp::PoolNotRunning);
}

TYPED_TEST(FrameDistinctParallel, ManyRowsGiveTheMembersAndAMapsResultsOnEveryWorkerCount) {
  const Frame f = many();
  const Frame shared = f.share();
  const auto expected = reference_ids(f);
  for (const std::size_t workers : {1U, 2U, 3U, 5U}) {
    TypeParam pool(workers);
    for (const Keep keep : {Keep::first, Keep::last, Keep::none}) {
      EXPECT_EQ(ids(mpp::drop_duplicates(pool, f, {"k"}, keep)), of(expected, keep)) << workers;
      EXPECT_EQ(ids(mpp::drop_duplicates(pool, shared, {"k"}, keep)), of(expected, keep)) << workers;
      EXPECT_EQ(mpp::drop_duplicates(pool, f, {"s", "k"}, keep), f.drop_duplicates({"s", "k"}, keep))
          << workers;
    }
    EXPECT_EQ(mpp::nunique(pool, f.column("k")), 613U) << workers;
    EXPECT_EQ(mpp::nunique(pool, f.column("k"), false), 614U) << workers;
    EXPECT_EQ(mpp::nunique(pool, shared.column("s")), 211U) << workers;
    EXPECT_EQ(mpp::unique(pool, f.column("k")), f.column("k").unique()) << workers;
    EXPECT_EQ(mpp::unique(pool, f.column("s")), f.column("s").unique()) << workers;
    EXPECT_EQ(mpp::value_counts(pool, f.column("k"), {.dropna = false}),
              f.column("k").value_counts({.dropna = false}))
        << workers;
    EXPECT_EQ(mpp::value_counts(pool, shared.column("s"), {.normalize = true}),
              f.column("s").value_counts({.normalize = true}))
        << workers;
  }
}

// More partitions than rows: the empty ones add nothing, and the merge still finds each key's
// first and last row and count across the partitions of one row each.
TEST(FrameDistinct, MorePartitionsThanRowsMergeToTheSerialTable) {
  const auto table = [](const Frame& keys, std::size_t parts) {
    std::vector<mpp::detail::Distinct> partials;
    for (const mpp::detail::DistinctPart& part : mpp::detail::distinct_parts(keys, parts))
      partials.push_back(mpp::detail::distinct_partial(part));
    EXPECT_EQ(partials.size(), parts);
    return mpp::detail::merge_distinct(keys, partials);
  };
  using U = std::vector<std::uint64_t>;
  for (const std::size_t parts : {1U, 3U, 8U, 20U}) {
    const mpp::detail::Distinct f = table(keys().select({"f"}), parts);
    EXPECT_EQ(f.first, (U{0, 1, 2, 6})) << parts;
    EXPECT_EQ(f.last, (U{4, 7, 5, 6})) << parts;
    EXPECT_EQ(f.count, (std::vector<I>{2, 3, 2, 1})) << parts;
    const mpp::detail::Distinct s = table(keys().select({"s"}), parts);
    EXPECT_EQ(s.first, (U{0, 1, 2, 3, 6})) << parts;
    EXPECT_EQ(s.last, (U{7, 4, 2, 3, 6})) << parts;
    EXPECT_EQ(s.count, (std::vector<I>{3, 2, 1, 1, 1})) << parts;
  }
}

// A spawned worker draws a hash seed of its own: the partitions must still hash with the caller's,
// or the merge would take one key of two partitions for two.
TEST(FrameDistinct, SpawnedWorkersMergeWithTheCallersHashes) {
  mpp::ProcessPoolOptions options;
  options.processes = 3;
  options.start_method = mpp::StartMethod::spawn;
  mpp::ProcessPool pool(options);
  const Frame f = many();
  EXPECT_EQ(mpp::nunique(pool, f.column("k"), false), 614U);
  EXPECT_EQ(mpp::nunique(pool, f.column("s")), 211U);
  EXPECT_EQ(ids(mpp::drop_duplicates(pool, f, {"k"}, Keep::last)), of(reference_ids(f), Keep::last));
  EXPECT_EQ(mpp::value_counts(pool, f.column("s")), f.column("s").value_counts());
}

// Missing values among equal counts go by first appearance in every key type: pandas 1.5.3 puts
// NaN and NaT so too, but <NA> of its Int64 and boolean columns after the values of equal count
// (1, <NA>, 2 below). And int64 keys past 2^53 beside a null are kept exact: pandas 1.5.3's Int64
// value_counts rounds them through float64 (2^53 + 1 comes back as 2^53) and raises TypeError at
// int64's maximum.
TEST(FrameDistinct, TiedMissingValuesCountInOrderOfFirstAppearanceInEveryType) {
  using OB = std::optional<bool>;
  using OT = std::optional<mpp::Timestamp>;
  const mpp::Timestamp day = mpp::Timestamp::parse("2024-01-01");
  const mpp::Timestamp next = mpp::Timestamp::parse("2024-01-02");
  constexpr I big = std::numeric_limits<I>::max();
  const std::vector<Column> columns{
      Column("k", std::vector<OI>{std::nullopt, std::nullopt, 1, 1, 2}),
      Column("k", std::vector<OB>{std::nullopt, std::nullopt, true, true, false}),
      Column("k", std::vector<OT>{std::nullopt, std::nullopt, day, day, next}),
      Column("k", std::vector<O>{k_nan, std::nullopt, 1.0, 1.0, 2.0}),
      Column("k", std::vector<OI>{std::nullopt, std::nullopt, big, big, big - 1})};
  mpp::Pool pool(2);
  for (const Column& c : columns) {
    const Frame counts = c.value_counts({.dropna = false});
    EXPECT_TRUE(counts.column("k").isna()[0]) << c.type();
    EXPECT_EQ(counts, (Frame{c.unique(), Column("count", std::vector<I>{2, 2, 1})})) << c.type();
    EXPECT_EQ(mpp::value_counts(pool, c, {.dropna = false}), counts) << c.type();
  }
  constexpr I past = (I{1} << 53) + 1;
  const Column exact("k", std::vector<OI>{std::nullopt, past, past - 1, past});
  EXPECT_EQ(exact.value_counts(),
            (Frame{{"k", std::vector<OI>{past, past - 1}}, {"count", std::vector<I>{2, 1}}}));
  EXPECT_EQ(mpp::unique(pool, exact), Column("k", std::vector<OI>{std::nullopt, past, past - 1}));
  // No missing value, no row for one (pandas 1.5.3 lists <NA> with a count of 0 for Int64).
  const Column none("k", std::vector<OI>{1, 2, 2});
  EXPECT_EQ(none.value_counts({.dropna = false}),
            (Frame{{"k", std::vector<OI>{2, 1}}, {"count", std::vector<I>{2, 1}}}));
}

TEST(FrameDistinct, LargeMembersRunOnTheFramePoolWithTheSerialResults) {
  constexpr std::size_t n = mpp::detail::k_pool_rows + 7;
  std::vector<OI> k(n);
  std::vector<I> id(n);
  for (std::size_t r = 0; r < n; ++r) {
    if (r % 1000 != 999) k[r] = static_cast<I>((r * 7919) % 100'003);
    id[r] = static_cast<I>(r);
  }
  const Frame f{{"k", k}, {"id", id}};
  mpp::detail::Inline serial;  // one partition on this thread: the serial form
  const auto expected = reference_ids(f);
  for (const Keep keep : {Keep::first, Keep::last, Keep::none}) {
    const Frame kept = f.drop_duplicates({"k"}, keep);
    EXPECT_EQ(kept, mpp::drop_duplicates(serial, f, {"k"}, keep));
    EXPECT_EQ(ids(kept), of(expected, keep));
  }
  const Column c = f.column("k");
  EXPECT_EQ(c.unique(), mpp::unique(serial, c));
  EXPECT_EQ(c.nunique(), 100'003U);
  EXPECT_EQ(c.nunique(false), mpp::nunique(serial, c, false));
  EXPECT_EQ(c.value_counts({.dropna = false}), mpp::value_counts(serial, c, {.dropna = false}));
  EXPECT_EQ(c.value_counts({.normalize = true}), mpp::value_counts(serial, c, {.normalize = true}));
}

}  // namespace
