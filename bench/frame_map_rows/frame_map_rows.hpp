// The frame_map_rows problem: a row function over 10 000 000 rows × 4 float64 columns, shared by its
// contenders (serial loop, mpp::map_rows on mpp::Pool, pandas in bench/python/frame_map_rows.py).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "mpp/frame.hpp"

namespace mpp::bench {

inline constexpr std::size_t k_frame_map_rows = 10'000'000;
/// pandas' apply(axis=1) runs about 100 000 rows a second: its contenders run fewer rows and are
/// compared by rate.
inline constexpr std::size_t k_frame_map_rows_pandas = 200'000;
inline constexpr std::size_t k_frame_map_rows_multiprocessing = 400'000;

/// Column j of row i: ((i * (j + 1) * 2654435761) mod 1000) / 100, the same in
/// bench/python/frame_map_rows.py.
inline double frame_value(std::size_t i, std::size_t j) {
  return static_cast<double>((static_cast<std::uint64_t>(i) * (j + 1) * 2654435761ULL) % 1000) / 100;
}

/// The frame: columns a, b, c, d, built once (setup, never timed).
inline const mpp::Frame& map_rows_frame() {
  static const mpp::Frame frame = [] {
    std::vector<mpp::Column> columns;
    const char* names[] = {"a", "b", "c", "d"};
    for (std::size_t j = 0; j < 4; ++j) {
      std::vector<double> values(k_frame_map_rows);
      for (std::size_t i = 0; i < values.size(); ++i) values[i] = frame_value(i, j);
      columns.emplace_back(names[j], std::move(values));
    }
    return mpp::Frame(std::move(columns));
  }();
  return frame;
}

/// The row function: the tutorial's hypotenuse in four dimensions, reading the row by position.
inline double row_norm(const mpp::Row& row) {
  const double a = row.get<double>(0);
  const double b = row.get<double>(1);
  const double c = row.get<double>(2);
  const double d = row.get<double>(3);
  return std::sqrt(a * a + b * b + c * c + d * d);
}

/// Whether `results` are row_norm of every row (checked on a sample of rows).
inline bool map_rows_correct(const std::vector<double>& results) {
  if (results.size() != k_frame_map_rows) return false;
  for (std::size_t i = 0; i < results.size(); i += 99'991) {
    double sum = 0;
    for (std::size_t j = 0; j < 4; ++j) sum += frame_value(i, j) * frame_value(i, j);
    if (results[i] != std::sqrt(sum)) return false;
  }
  return true;
}

}  // namespace mpp::bench
