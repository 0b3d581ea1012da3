// The frame_sort problem: 10 000 000 rows of an int64 key `k`, a float64 key `x` and a key `g` of
// 100 000 values, shared by its contenders (mpp on mpp::Pool, pandas in bench/python/frame_sort.py,
// which builds the same columns).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "mpp/frame.hpp"

namespace mpp::bench {

inline constexpr std::size_t k_frame_sort_rows = 10'000'000;
inline constexpr std::int64_t k_frame_sort_groups = 100'000;

/// Row i: u = i * 0x9E3779B97F4A7C15 mod 2^64; k = u as int64; x = (u >> 11) / 2^53 - 0.5;
/// g = (u >> 11) mod 100 000.
inline mpp::Frame sort_frame() {
  std::vector<std::int64_t> k(k_frame_sort_rows);
  std::vector<double> x(k_frame_sort_rows);
  std::vector<std::int64_t> g(k_frame_sort_rows);
  for (std::size_t i = 0; i < k_frame_sort_rows; ++i) {
    const std::uint64_t u = static_cast<std::uint64_t>(i) * 0x9E3779B97F4A7C15ULL;
    k[i] = static_cast<std::int64_t>(u);
    x[i] = static_cast<double>(u >> 11U) / 9007199254740992.0 - 0.5;
    g[i] = static_cast<std::int64_t>((u >> 11U) % k_frame_sort_groups);
  }
  return mpp::Frame{{"k", std::move(k)}, {"x", std::move(x)}, {"g", std::move(g)}};
}

/// Whether `sorted` is ordered by `key` (sampled) and has every row.
template <class T>
bool sorted_by(const mpp::Frame& sorted, const char* key) {
  if (sorted.num_rows() != k_frame_sort_rows) return false;
  const auto v = sorted.column(key).values<T>();
  for (std::size_t i = 1; i < v.size(); i += 997) {
    if (v[i] < v[i - 1]) return false;
  }
  return true;
}

}  // namespace mpp::bench
