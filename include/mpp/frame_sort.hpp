// Ordering of a Frame, as pandas' sort_values (src/frame/frame_sort.cpp; docs/frame.md). The members
// are declared in frame.hpp's classes; this header gives their options and the pool form.
#pragma once

#include <algorithm>
#include <cereal/types/vector.hpp>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "mpp/frame.hpp"  // NOLINT(misc-header-include-cycle): frame.hpp includes this header at its end

namespace mpp {

/// pandas' na_position: where missing keys (nulls, and NaN in a float64 column) go, whatever the
/// direction of their key.
enum class NaPosition : std::uint8_t { last, first };

/// pandas' sort_values(ascending=..., na_position=...). The sort is always stable (kind="stable"):
/// rows with equal keys keep their order.
struct SortOptions {
  /// Empty: every key ascending; one flag: every key so; else one flag per key of `by`
  /// (std::invalid_argument otherwise, as pandas' ValueError).
  std::vector<bool> ascending;
  NaPosition na_position = NaPosition::last;

  template <class Archive>
  void serialize(Archive& archive) {
    archive(ascending, na_position);
  }
};

namespace detail {

/// One partition of a sort on a pool: the key columns' rows of the partition, and the options
/// with one `ascending` flag per key.
struct SortPart {
  Frame keys;
  SortOptions options;

  template <class Archive>
  void serialize(Archive& archive) {
    archive(keys, options);
  }
};

/// The key columns of `frame` named by `by` (a repeated name once: it cannot change the order),
/// and `options` with one ascending flag per key; throws as Frame::sort_values.
SortPart sort_keys(const Frame& frame, const std::vector<std::string>& by, const SortOptions& options);
/// A partition's stable order (sort_order's result). For one numeric key it also carries each
/// placed row's key as an unsigned number in the sort's order, so that the caller merges runs by
/// comparing numbers in sequence instead of reading the rows' keys again at random.
struct SortRun {
  std::vector<std::uint64_t> order;  // positions 0..n-1 of the partition's rows
  /// With `keyed`: the keys of the rows that are not missing, in order; the `missing` others come
  /// before them (na_position first) or after them (last) in `order`.
  std::vector<std::uint64_t> keys;
  std::uint64_t missing = 0;
  bool keyed = false;

  template <class Archive>
  void serialize(Archive& archive) {
    archive(order, keys, missing, keyed);
  }
};

/// The stable order of the rows of `part.keys`.
SortRun sort_order(const SortPart& part);
/// Merges the sorted runs of consecutive partitions (run k's positions count from `starts[k]`)
/// into the order of all of `keys`'s rows.
std::vector<std::uint64_t> merge_orders(const SortPart& keys, std::vector<SortRun> runs,
                                        std::span<const std::size_t> starts);
/// The rows of `frame` at `order`, in that order; the index starts at 0.
Frame take(const Frame& frame, std::span<const std::uint64_t> order);

}  // namespace detail

/// df.sort_values(by, ascending=..., na_position=..., kind="stable", ignore_index=True) on `pool`
/// (mpp::Pool or mpp::ProcessPool): each worker sorts a partition of the key columns, and the
/// caller merges the partitions' orders and gathers the rows. The result is the same as
/// Frame::sort_values' on every pool and worker count.
template <class PoolType>
Frame sort_values(PoolType& pool, const Frame& frame, const std::vector<std::string>& by,
                  const SortOptions& options = {}) {
  const detail::SortPart keys = detail::sort_keys(frame, by, options);
  if (keys.keys.num_columns() == 0) return detail::FrameAccess::frame(frame.columns(), 0);  // pandas' by=[]
  const std::size_t rows = frame.num_rows();
  const std::size_t parts = std::max<std::size_t>(1, std::min(pool.size(), rows));
  std::vector<detail::SortPart> items;
  std::vector<std::size_t> starts;
  for (std::size_t k = 0; k < parts; ++k) {
    const std::size_t begin = detail::section_begin(rows, parts, k);
    items.push_back({keys.keys.slice(begin, detail::section_begin(rows, parts, k + 1)), keys.options});
    starts.push_back(begin);
  }
  std::vector<detail::SortRun> runs = pool.map(&detail::sort_order, items, 1);
  return detail::take(frame, detail::merge_orders(keys, std::move(runs), starts));
}

}  // namespace mpp
