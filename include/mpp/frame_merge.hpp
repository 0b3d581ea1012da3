// mpp::merge: pandas' pd.merge (a hash join of two frames), serially or with the probe in parallel
// on a pool. Included by <mpp/frame.hpp> at its end; src/frame/frame_merge.cpp.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "mpp/frame.hpp"

namespace mpp {

/// pd.merge's `how`.
enum class MergeHow : std::uint8_t {
  inner,  ///< the keys both frames have
  left,   ///< every row of the left frame
  right,  ///< every row of the right frame
  outer,  ///< every row of both
};

/// pd.merge's arguments: `on` names key columns both frames have; or `left_on` and `right_on` name
/// as many columns each, paired in order. Suffixes go after a non-key name both frames have.
struct MergeOptions {
  std::vector<std::string> on;
  std::vector<std::string> left_on;
  std::vector<std::string> right_on;
  MergeHow how = MergeHow::inner;
  std::string left_suffix = "_x";
  std::string right_suffix = "_y";
};

/// pd.merge(left, right, how=..., on=... or left_on=..., right_on=..., suffixes=...), serially.
///
/// Keys match as in pandas 1.5: numbers by value (an int64 key column with a float64 one: 1 matches
/// 1.0, -0.0 matches 0), strings byte by byte (any bytes), and a missing key matches a missing key
/// (null or NaN in a number column, null in a string column: pandas matches NaN with NaN and None
/// with None). Rows, as pandas 1.5.3 orders them: `left`: each left row in order with its matches
/// in right's order (no match: the right columns null); `right`: the same from the right frame;
/// `inner`: grouped by key in the order each key first appears in left (left rows of a key in order,
/// each with its matches); `outer`: as inner, keys of left without a match in their place, then the
/// right rows whose key left lacks, grouped by key in the order they first appear in right.
///
/// Columns: left's, then right's non-key ones; with `on` the key columns come once, where left has
/// them (for a right or outer row without a left match, they hold the right key; an int64 key
/// merged with a float64 one is float64 in every `how` but inner and left). With left_on/right_on
/// both frames' key columns stay (a name both use is one key column, as with `on`). A name of a
/// non-key column both frames have gets the suffixes. mpp's columns hold nulls of any type, so a
/// column that gets nulls from a missing match keeps its type (pandas turns int64 into float64).
/// The result is indexed 0..n-1.
///
/// Throws std::invalid_argument for keys given both ways or neither, unequal numbers of left_on and
/// right_on, a key column named twice, a number key paired with a string one (pandas' "You are
/// trying to merge on int64 and object columns"), two result columns with one name; std::out_of_range
/// for an unknown column; std::length_error when the result's rows would not fit in std::size_t
/// (every row sharing one key gives n * m rows: that many are built, so mind the memory).
/// Thread safety: reads both frames only.
[[nodiscard]] Frame merge(const Frame& left, const Frame& right, const MergeOptions& options);

namespace detail {

/// One task of a parallel merge: rows of the probe side's key columns, and the whole build side's.
struct MergeProbe {
  Frame probe;
  Frame build;
  template <class Archive>
  void serialize(Archive& archive) {
    archive(probe, build);
  }
};

/// For each row of `part.probe`, the group of equal keys of `part.build` it matches (numbered in
/// the order the keys first appear in build), or -1.
std::vector<std::int64_t> merge_probe(const MergeProbe& part);

/// The key columns of the probe side (left, or right for MergeHow::right) and of the build side,
/// checked as merge() documents.
struct MergeKeys {
  Frame probe;
  Frame build;
};
MergeKeys merge_keys(const Frame& left, const Frame& right, const MergeOptions& options);

/// The merged frame from the probe's groups for the probe rows: one vector per part, parts in order.
Frame merge_finish(const Frame& left, const Frame& right, const MergeOptions& options, const MergeKeys& keys,
                   std::vector<std::vector<std::int64_t>> found);

}  // namespace detail

/// merge() with the probe side (left; right for MergeHow::right) split into one partition per
/// worker of `pool` (mpp::Pool or mpp::ProcessPool): each task hashes the other side's keys into
/// its own table and probes its partition, and the results are put together as merge()'s. A frame
/// made by Frame::share() crosses to a worker process as ranges of shared memory. Same result and
/// errors as merge(); blocks; rethrows a task's exception; mpp::PoolNotRunning after close().
template <class PoolType>
[[nodiscard]] Frame merge(PoolType& pool, const Frame& left, const Frame& right,
                          const MergeOptions& options) {
  detail::MergeKeys keys = detail::merge_keys(left, right, options);
  std::vector<detail::MergeProbe> parts;
  for (Frame& probe : array_split(keys.probe, std::max<std::size_t>(1, pool.size())))
    parts.push_back({std::move(probe), keys.build});
  return detail::merge_finish(left, right, options, keys, pool.map(&detail::merge_probe, parts, 1));
}

}  // namespace mpp
