// The frame_types problem: bool and datetime columns on 10 000 000 rows, shared by its contenders
// (mpp here, pandas in bench/python/frame_types.py): a CSV of them read with parse_dates and a bool
// dtype (the file generated once into the build tree), df[df.paid & (df.when >= ts)], and
// df.sort_values("when").
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "mpp/csv.hpp"
#include "mpp/frame.hpp"

#ifndef MPP_BENCH_DATA_DIR
#error "MPP_BENCH_DATA_DIR (where generated data go) must be defined: bench/CMakeLists.txt does it"
#endif

namespace mpp::bench {

inline constexpr std::size_t k_frame_types_rows = 10'000'000;
/// 2000-01-01 00:00:00 in seconds since the epoch; row i is (i * 2654435761) mod 10^9 seconds
/// later (up to 2031), to the second, and paid when i % 3 != 0: the same in frame_types.py.
inline constexpr std::int64_t k_types_start = 946'684'800;
/// The filter's bound: 2016-01-01 00:00:00.
inline constexpr std::int64_t k_types_bound = 1'451'606'400;

inline std::int64_t types_seconds(std::size_t i) {
  return k_types_start +
         static_cast<std::int64_t>((static_cast<std::uint64_t>(i) * 2654435761ULL) % 1'000'000'000);
}

/// The frame: when (datetime), paid (bool), built once (setup, never timed).
inline const mpp::Frame& types_frame() {
  static const mpp::Frame frame = [] {
    std::vector<mpp::Timestamp> when(k_frame_types_rows);
    std::vector<bool> paid(k_frame_types_rows);
    for (std::size_t i = 0; i < k_frame_types_rows; ++i) {
      when[i] = mpp::Timestamp(types_seconds(i) * 1'000'000'000);
      paid[i] = i % 3 != 0;
    }
    return mpp::Frame{{"when", when}, {"paid", paid}};
  }();
  return frame;
}

/// The frame as CSV (`2024-01-02 03:04:05,True`), written on first use and kept for later runs.
inline const std::string& types_file() {
  static const std::string path = [] {
    const std::filesystem::path file = std::filesystem::path(MPP_BENCH_DATA_DIR) / "frame_types.csv";
    if (std::filesystem::exists(file)) return file.string();
    const std::filesystem::path partial = file.string() + ".partial";
    mpp::write_csv(types_frame(), partial);
    std::filesystem::rename(partial, file);
    return file.string();
  }();
  return path;
}

/// The rows the filter keeps, counted by a plain loop (the check).
inline std::size_t types_expected_rows() {
  std::size_t n = 0;
  for (std::size_t i = 0; i < k_frame_types_rows; ++i)
    n += i % 3 != 0 && types_seconds(i) >= k_types_bound ? 1 : 0;
  return n;
}

}  // namespace mpp::bench
