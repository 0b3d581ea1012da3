// Distinct values of a Frame, as pandas' drop_duplicates, unique, nunique and value_counts
// (src/frame/frame_distinct.cpp; docs/frame.md): the options of the members frame.hpp declares, and
// their pool forms. Included at the end of <mpp/frame.hpp>.
#pragma once

#include <algorithm>
#include <cereal/types/vector.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "mpp/frame.hpp"  // NOLINT(misc-header-include-cycle): frame.hpp includes this header at its end

namespace mpp {

/// pandas' drop_duplicates(keep=...): which row of each set of equal rows stays.
enum class Keep : std::uint8_t {
  first,  ///< keep="first": the first of each set
  last,   ///< keep="last": the last of each set
  none,   ///< keep=False: no row that has a duplicate
};

/// pandas' value_counts(normalize=..., dropna=...).
struct ValueCountsOptions {
  /// A float64 column "proportion" (count / number of values counted) instead of "count".
  bool normalize = false;
  /// Leave missing values (nulls, NaN) out; false counts them as one value, printed as null.
  bool dropna = true;
};

namespace detail {

/// One partition of a distinct-values operation on a pool: the key columns' rows of the partition,
/// where the partition starts in the frame, and the caller's hash seed (a spawned worker process
/// draws another, and the caller merges the partitions by the hashes they send).
struct DistinctPart {
  Frame keys;
  std::uint64_t start = 0;
  std::uint64_t seed = 0;

  template <class Archive>
  void serialize(Archive& archive) {
    archive(keys, start, seed);
  }
};

/// The distinct keys of some rows, in order of first appearance: per key its first and last row
/// (counted in the whole frame), its number of rows and the seeded hash of its value.
struct Distinct {
  std::vector<std::uint64_t> first;
  std::vector<std::uint64_t> last;
  std::vector<std::int64_t> count;
  std::vector<std::uint64_t> hash;

  template <class Archive>
  void serialize(Archive& archive) {
    archive(first, last, count, hash);
  }
};

/// The key columns of `frame` named by `subset` (every column when empty; a repeated name once);
/// std::out_of_range, naming `where`, for an unknown name.
Frame distinct_keys(const Frame& frame, const std::vector<std::string>& subset, const char* where);
/// `keys` cut into `parts` consecutive partitions as np.array_split cuts (at least one; more
/// partitions than rows leave the last ones empty), each with its start and this process's seed.
std::vector<DistinctPart> distinct_parts(const Frame& keys, std::size_t parts);
/// The distinct keys of one partition (a plain function, so that a ProcessPool can run it).
Distinct distinct_partial(const DistinctPart& part);
/// The partitions' results, in row order, merged into those of all of `keys`'s rows: first rows
/// from the earliest partition, last rows from the latest, counts added.
Distinct merge_distinct(const Frame& keys, std::vector<Distinct> partials);

/// The distinct keys of `keys` on `pool`: one partition per worker, no more than rows.
template <class PoolType>
Distinct distinct(PoolType& pool, const Frame& keys) {
  const std::size_t parts = std::max<std::size_t>(1, std::min(pool.size(), keys.num_rows()));
  const std::vector<DistinctPart> items = distinct_parts(keys, parts);
  return merge_distinct(keys, pool.map(&distinct_partial, items, 1));
}

/// The results of the four operations from the distinct keys of `frame` (of `column`'s rows).
Frame drop_duplicates_rows(const Frame& frame, const Distinct& keys, Keep keep);
Column unique_values(const Column& column, const Distinct& keys);
std::size_t count_distinct(const Column& column, const Distinct& keys, bool dropna);
Frame count_values(const Column& column, const Distinct& keys, const ValueCountsOptions& options);
/// Throws std::invalid_argument, before any counting, when `column` is named as the counts would be.
void check_value_counts_name(const Column& column, const ValueCountsOptions& options);

}  // namespace detail

/// Frame::drop_duplicates on `pool` (mpp::Pool or mpp::ProcessPool): each worker hashes a
/// partition of the key columns (a slice; on a ProcessPool, a frame made by share() sends only
/// ranges) into a table of each distinct key's first and last row and count; the caller merges the
/// tables and keeps the rows. The result and errors are Frame::drop_duplicates' on every worker
/// count. Blocks until done; mpp::PoolNotRunning after the pool's close() or terminate().
template <class PoolType>
[[nodiscard]] Frame drop_duplicates(PoolType& pool, const Frame& frame,
                                    const std::vector<std::string>& subset = {}, Keep keep = Keep::first) {
  const Frame keys = detail::distinct_keys(frame, subset, "mpp::drop_duplicates");
  return detail::drop_duplicates_rows(frame, detail::distinct(pool, keys), keep);
}

/// Column::unique on `pool`, as drop_duplicates on a pool: the same column on every worker count.
template <class PoolType>
[[nodiscard]] Column unique(PoolType& pool, const Column& column) {
  return detail::unique_values(column, detail::distinct(pool, Frame{column}));
}

/// Column::nunique on `pool`, as drop_duplicates on a pool.
template <class PoolType>
[[nodiscard]] std::size_t nunique(PoolType& pool, const Column& column, bool dropna = true) {
  return detail::count_distinct(column, detail::distinct(pool, Frame{column}), dropna);
}

/// Column::value_counts on `pool`, as drop_duplicates on a pool: the same frame, in the same order
/// (most frequent first, ties in order of first appearance), on every worker count.
template <class PoolType>
[[nodiscard]] Frame value_counts(PoolType& pool, const Column& column,
                                 const ValueCountsOptions& options = {}) {
  detail::check_value_counts_name(column, options);
  return detail::count_values(column, detail::distinct(pool, Frame{column}), options);
}

}  // namespace mpp
