// mpp::GroupBy and describe: pandas' `df.groupby(keys).agg(...)` and `df.describe()`, serially
// (Frame::groupby, Frame::describe) or on a pool (mpp::groupby, mpp::describe). Included at the end
// of <mpp/frame.hpp>.
#pragma once

#include <cereal/cereal.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "mpp/frame.hpp"  // NOLINT(misc-header-include-cycle): frame.hpp includes this at its end

namespace mpp {

/// An aggregation of GroupBy::agg, as pandas names them. Missing values (nulls, and NaN in a
/// float64 column) are skipped by every one but `size`.
enum class Agg : std::uint8_t {
  sum,      ///< int64 stays int64 (wrapping as numpy's), float64 a compensated sum; 0 for no values; a
            ///< bool column's count of true (int64). sum, mean, std, var of string or datetime: refused
  mean,     ///< float64; null for no values
  min,      ///< the column's type (strings byte by byte); null for no values
  max,      ///< as min
  count,    ///< int64: the values that are not missing
  size,     ///< int64: the group's rows, missing values included
  std,      ///< float64, ddof = 1; null for fewer than two values
  var,      ///< as std
  first,    ///< the first value that is not missing, in row order; null for none
  last,     ///< the last such value
  nunique,  ///< int64: distinct values that are not missing (-0.0 counts as 0.0)
};

/// "sum", "mean", ... as pandas names them.
[[nodiscard]] const char* to_string(Agg agg) noexcept;

/// How Frame::groupby and mpp::groupby group.
struct GroupByOptions {
  /// pandas' dropna=True: rows with a missing key (null, or NaN) belong to no group. false: they
  /// form groups of their own, sorted after every other key, as pandas' dropna=False.
  bool dropna = true;
  /// pandas' sort=True: groups in key order (numbers as numbers, strings byte by byte). false:
  /// in the order each group's first row comes.
  bool sort = true;
  /// Row partitions aggregated apart and merged (0: one per worker of the pool, mpp's own for a
  /// frame of 1 000 000 rows or more grouped without one; one for a smaller frame without a pool).
  std::size_t partitions = 0;
};

namespace detail {

/// One partition's work for a pool: its rows, the key names and the aggregations.
struct GroupTask {
  Frame part;
  std::vector<std::string> keys;
  std::vector<std::string> columns;  // the aggregated column of each aggregation
  std::vector<std::uint8_t> aggs;    // each aggregation's Agg
  bool dropna = true;
  template <class Archive>
  void serialize(Archive& archive) {
    archive(part, keys, columns, aggs, dropna);
  }
};

/// A partition's partial aggregates: one row of `keys` per group (its first row's keys), and per
/// aggregation the columns of its state (sums, counts, Welford's mean and M2, ...), one row per
/// group; nunique's state is the partition's distinct (group, value) pairs.
struct GroupPartial {
  Frame keys;
  std::vector<Frame> states;
  template <class Archive>
  void serialize(Archive& archive) {
    archive(keys, states);
  }
};

/// Aggregates one partition (a plain function, so that a ProcessPool can run it).
GroupPartial group_partial(const GroupTask& task);

/// Runs the tasks, in order, on a pool (or serially when empty).
using GroupRunner = std::function<std::vector<GroupPartial>(const std::vector<GroupTask>&)>;

/// One column's describe() statistics, as a float64 column of 8 values named as the column.
Column describe_column(const Column& column);
/// The frame of describe(): the statistic names, then `stats` (describe_column's results).
Frame describe_frame(std::vector<Column> stats);
/// The int64 and float64 columns of `frame`; std::invalid_argument when there are none.
std::vector<Column> describe_inputs(const Frame& frame);

}  // namespace detail

/// pandas' DataFrameGroupBy: a frame, its key columns and GroupByOptions, from Frame::groupby
/// (serial) or mpp::groupby (on a pool, which must outlive it). Each aggregation returns a new
/// Frame: the key columns first, one row per group, then one column per aggregation.
///
/// Thread safety: immutable; any number of threads may aggregate one GroupBy at once (on a pool,
/// as the pool allows its map to be called). Each call blocks until done; on a pool it rethrows
/// the first exception and throws mpp::PoolNotRunning after close() or terminate().
class GroupBy {
 public:
  /// Throws std::out_of_range for a key no column has, std::invalid_argument for no keys or a key
  /// named twice.
  GroupBy(Frame frame, std::vector<std::string> keys, GroupByOptions options = {},
          detail::GroupRunner runner = {});

  /// `df.groupby(keys).agg({"x": "sum", "y": "mean"})`: one result column per pair, named as the
  /// column, or `<column>_<agg>` when the column is aggregated more than once. Throws
  /// std::out_of_range for an unknown column, std::invalid_argument for a key column, or for sum,
  /// mean, std or var of a string or datetime column (pandas concatenates strings for sum and
  /// averages datetimes; mpp refuses).
  [[nodiscard]] Frame agg(const std::vector<std::pair<std::string, Agg>>& aggs) const;

  /// Every non-key column, as pandas' shortcuts: sum, mean, std and var take the int64, float64 and bool
  /// columns only (pandas 1.5's numeric_only default drops the others), the rest take every one.
  [[nodiscard]] Frame sum() const { return all(Agg::sum); }
  [[nodiscard]] Frame mean() const { return all(Agg::mean); }
  [[nodiscard]] Frame min() const { return all(Agg::min); }
  [[nodiscard]] Frame max() const { return all(Agg::max); }
  [[nodiscard]] Frame count() const { return all(Agg::count); }
  [[nodiscard]] Frame std() const { return all(Agg::std); }
  [[nodiscard]] Frame var() const { return all(Agg::var); }
  [[nodiscard]] Frame first() const { return all(Agg::first); }
  [[nodiscard]] Frame last() const { return all(Agg::last); }
  [[nodiscard]] Frame nunique() const { return all(Agg::nunique); }
  /// `df.groupby(keys).size()` (as_index=False): the keys and a column `size`.
  [[nodiscard]] Frame size() const;

 private:
  [[nodiscard]] Frame all(Agg agg) const;
  [[nodiscard]] Frame run(const std::vector<std::string>& columns, const std::vector<std::uint8_t>& aggs,
                          const std::vector<std::string>& names) const;

  Frame frame_;
  std::vector<std::string> keys_;
  GroupByOptions options_;
  detail::GroupRunner runner_;
};

/// `df.groupby(keys)` aggregated in parallel on `pool` (mpp::Pool, mpp::ProcessPool): each
/// partition's groups are aggregated apart on a worker (a hash table per worker) and the partial
/// aggregates merged (Chan's formula for std and var). A ProcessPool worker receives its rows as a
/// slice of the frame (for a frame made by share(), in shared memory). `pool` must outlive the
/// GroupBy. Same results as Frame::groupby's, with floating-point sums added in another order.
template <class PoolType>
[[nodiscard]] GroupBy groupby(PoolType& pool, const Frame& frame, std::vector<std::string> keys,
                              GroupByOptions options = {}) {
  if (options.partitions == 0) options.partitions = pool.size();
  return GroupBy(frame, std::move(keys), options, [&pool](const std::vector<detail::GroupTask>& tasks) {
    return pool.map(&detail::group_partial, tasks, 1);
  });
}

/// `df.describe()` on `pool`: the statistics of each int64 and float64 column (bool and datetime
/// columns are left out, as pandas does beside numbers), one column per task
/// (a worker process receives its column as one message). The result as Frame::describe's.
template <class PoolType>
[[nodiscard]] Frame describe(PoolType& pool, const Frame& frame) {
  return detail::describe_frame(pool.map(&detail::describe_column, detail::describe_inputs(frame), 1));
}

}  // namespace mpp
