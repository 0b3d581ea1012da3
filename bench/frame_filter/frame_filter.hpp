// The frame_filter problem: pandas' boolean indexing, df[(df.a > 500) & (df.b < 5.0)], on
// 10 000 000 rows of an int64 and two float64 columns, shared by its contenders (mpp's
// Frame::filter of a mask built from column comparisons, pandas in bench/python/frame_filter.py).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "mpp/frame.hpp"

namespace mpp::bench {

inline constexpr std::size_t k_frame_filter_rows = 10'000'000;

/// Column j of row i: (i * (j + 1) * 2654435761) mod 1000, an int64 for j = 0 and that / 100 as a
/// float64 for j = 1, 2: the same in bench/python/frame_filter.py.
inline std::uint64_t filter_value(std::size_t i, std::size_t j) {
  return (static_cast<std::uint64_t>(i) * (j + 1) * 2654435761ULL) % 1000;
}

/// The frame: columns a (int64), b, c (float64), built once (setup, never timed).
inline const mpp::Frame& filter_frame() {
  static const mpp::Frame frame = [] {
    std::vector<std::int64_t> a(k_frame_filter_rows);
    std::vector<double> b(k_frame_filter_rows);
    std::vector<double> c(k_frame_filter_rows);
    for (std::size_t i = 0; i < k_frame_filter_rows; ++i) {
      a[i] = static_cast<std::int64_t>(filter_value(i, 0));
      b[i] = static_cast<double>(filter_value(i, 1)) / 100;
      c[i] = static_cast<double>(filter_value(i, 2)) / 100;
    }
    return mpp::Frame{{"a", std::move(a)}, {"b", std::move(b)}, {"c", std::move(c)}};
  }();
  return frame;
}

/// The rows the filter keeps, counted by a plain loop (the check).
inline std::size_t filter_expected_rows() {
  std::size_t n = 0;
  for (std::size_t i = 0; i < k_frame_filter_rows; ++i)
    n += filter_value(i, 0) > 500 && static_cast<double>(filter_value(i, 1)) / 100 < 5.0 ? 1 : 0;
  return n;
}

}  // namespace mpp::bench
