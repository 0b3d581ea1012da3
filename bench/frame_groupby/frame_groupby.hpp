// The frame_groupby problem: 10 000 000 rows, groupby + sum and + mean over 1 000 groups (an int64
// key, and a string key), and describe() of 4 float64 columns; shared by its contenders (mpp on
// mpp::Pool, pandas in bench/python/frame_groupby.py).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "mpp/frame.hpp"

namespace mpp::bench {

inline constexpr std::size_t k_groupby_rows = 10'000'000;
inline constexpr std::size_t k_groupby_groups = 1'000;

/// Row i's key: (i * 2654435761) mod 1000; its value x: ((i * 40503) mod 10007) / 100; the
/// describe columns: ((i * (j + 1) * 2654435761) mod 100003) / 7. The same in
/// bench/python/frame_groupby.py.
inline std::int64_t groupby_key(std::size_t i) {
  return static_cast<std::int64_t>((static_cast<std::uint64_t>(i) * 2654435761ULL) % k_groupby_groups);
}
inline double groupby_value(std::size_t i) {
  return static_cast<double>((static_cast<std::uint64_t>(i) * 40503ULL) % 10007) / 100;
}
inline double describe_value(std::size_t i, std::size_t j) {
  return static_cast<double>((static_cast<std::uint64_t>(i) * (j + 1) * 2654435761ULL) % 100003) / 7;
}

/// Columns k (int64), ks (string "k<key>") and x (float64), built once (setup, never timed).
inline const mpp::Frame& groupby_frame() {
  static const mpp::Frame frame = [] {
    std::vector<std::int64_t> k(k_groupby_rows);
    std::vector<std::string> ks(k_groupby_rows);
    std::vector<double> x(k_groupby_rows);
    for (std::size_t i = 0; i < k_groupby_rows; ++i) {
      k[i] = groupby_key(i);
      ks[i] = "k" + std::to_string(k[i]);
      x[i] = groupby_value(i);
    }
    return mpp::Frame{{"k", std::move(k)}, {"ks", std::move(ks)}, {"x", std::move(x)}};
  }();
  return frame;
}

/// Columns a, b, c, d (float64).
inline const mpp::Frame& describe_frame() {
  static const mpp::Frame frame = [] {
    std::vector<mpp::Column> columns;
    const char* names[] = {"a", "b", "c", "d"};
    for (std::size_t j = 0; j < 4; ++j) {
      std::vector<double> values(k_groupby_rows);
      for (std::size_t i = 0; i < values.size(); ++i) values[i] = describe_value(i, j);
      columns.emplace_back(names[j], std::move(values));
    }
    return mpp::Frame(std::move(columns));
  }();
  return frame;
}

/// Whether a groupby result has the 1 000 groups, in key order, with their sums (or means) of x
/// (checked against a serial loop on a sample of groups).
inline bool groupby_correct(const mpp::Frame& result, bool mean) {
  if (result.num_rows() != k_groupby_groups) return false;
  std::vector<double> sums(k_groupby_groups);
  std::vector<double> counts(k_groupby_groups);
  for (std::size_t i = 0; i < k_groupby_rows; ++i) {
    sums[static_cast<std::size_t>(groupby_key(i))] += groupby_value(i);
    counts[static_cast<std::size_t>(groupby_key(i))] += 1;
  }
  for (std::size_t r = 0; r < k_groupby_groups; r += 37) {
    // An int64 key is the group's number; a string key ("k<number>") sorts as text.
    const mpp::Column& key = result.column(0);
    const auto g = static_cast<std::size_t>(key.type() == mpp::ColumnType::int64
                                                ? key.get<std::int64_t>(r)
                                                : std::stoll(key.get<std::string>(r).substr(1)));
    const double want = mean ? sums[g] / counts[g] : sums[g];
    if (std::abs(result.column("x").get<double>(r) - want) > 1e-6 * std::abs(want)) return false;
  }
  return true;
}

}  // namespace mpp::bench
