// The frame_merge problem: pd.merge(left, right, on="k") of 10 000 000 left rows with 100 000 right
// rows on an int64 key (every left row matches one right row), two value columns a side. Shared by
// its contenders (serial merge, the merge on mpp::Pool and mpp::ProcessPool, pandas in
// bench/python/frame_merge.py, which builds the same frames).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "mpp/frame.hpp"

namespace mpp::bench {

inline constexpr std::size_t k_merge_left = 10'000'000;
inline constexpr std::size_t k_merge_right = 100'000;

/// Left row i's key: (i * 2654435761) mod 100 000, as in bench/python/frame_merge.py.
inline std::int64_t merge_left_key(std::size_t i) {
  return static_cast<std::int64_t>((static_cast<std::uint64_t>(i) * 2654435761ULL) % k_merge_right);
}

/// left: k, a = i / 2, b = i; right: k = (j * 7919) mod 100 000 (each key once, shuffled),
/// c = k / 4, d = 3 k. Built once (setup, never timed).
inline const mpp::Frame& merge_left() {
  static const mpp::Frame frame = [] {
    std::vector<std::int64_t> k(k_merge_left);
    std::vector<double> a(k_merge_left);
    std::vector<std::int64_t> b(k_merge_left);
    for (std::size_t i = 0; i < k_merge_left; ++i) {
      k[i] = merge_left_key(i);
      a[i] = static_cast<double>(i) / 2;
      b[i] = static_cast<std::int64_t>(i);
    }
    return mpp::Frame{{"k", std::move(k)}, {"a", std::move(a)}, {"b", std::move(b)}};
  }();
  return frame;
}

inline const mpp::Frame& merge_right() {
  static const mpp::Frame frame = [] {
    std::vector<std::int64_t> k(k_merge_right);
    std::vector<double> c(k_merge_right);
    std::vector<std::int64_t> d(k_merge_right);
    for (std::size_t j = 0; j < k_merge_right; ++j) {
      k[j] = static_cast<std::int64_t>((j * 7919) % k_merge_right);
      c[j] = static_cast<double>(k[j]) / 4;
      d[j] = 3 * k[j];
    }
    return mpp::Frame{{"k", std::move(k)}, {"c", std::move(c)}, {"d", std::move(d)}};
  }();
  return frame;
}

inline mpp::MergeOptions merge_options() {
  mpp::MergeOptions options;
  options.on = {"k"};
  return options;
}

/// Whether `merged` is the inner merge (every row checked: its key is its left row's, its right
/// values its key's).
inline bool merge_correct(const mpp::Frame& merged) {
  if (merged.num_rows() != k_merge_left || merged.num_columns() != 5) return false;
  const auto k = merged.column("k").values<std::int64_t>();
  const auto b = merged.column("b").values<std::int64_t>();
  const auto c = merged.column("c").values<double>();
  const auto d = merged.column("d").values<std::int64_t>();
  for (std::size_t i = 0; i < k.size(); ++i) {
    if (k[i] != merge_left_key(static_cast<std::size_t>(b[i])) || d[i] != 3 * k[i] ||
        c[i] != static_cast<double>(k[i]) / 4)
      return false;
  }
  return true;
}

}  // namespace mpp::bench
