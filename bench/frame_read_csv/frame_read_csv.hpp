// The frame_read_csv problem: a ~200 MB CSV file of 4 000 000 rows (int64, float64, float64, int64,
// string), generated once into the build tree, read by mpp::read_csv and by pandas.read_csv
// (bench/python/frame_read_csv.py); and how to measure a read's peak memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "mpp/csv.hpp"
#include "mpp/frame.hpp"

#ifndef MPP_BENCH_DATA_DIR
#error "MPP_BENCH_DATA_DIR (where generated data go) must be defined: bench/CMakeLists.txt does it"
#endif

namespace mpp::bench {

inline constexpr std::size_t k_read_csv_rows = 4'000'000;

/// The file, written on first use (a few seconds; kept in the build tree for later runs).
inline const std::string& read_csv_file() {
  static const std::string path = [] {
    const std::filesystem::path file = std::filesystem::path(MPP_BENCH_DATA_DIR) / "frame_read_csv.csv";
    if (std::filesystem::exists(file)) return file.string();
    std::mt19937_64 engine(42);
    std::vector<std::int64_t> id(k_read_csv_rows);
    std::vector<double> x(k_read_csv_rows);
    std::vector<double> y(k_read_csv_rows);
    std::vector<std::int64_t> count(k_read_csv_rows);
    std::vector<std::string> label(k_read_csv_rows);
    const char* labels[] = {"alpha", "beta", "gamma", "delta"};
    for (std::size_t i = 0; i < k_read_csv_rows; ++i) {
      id[i] = static_cast<std::int64_t>(i);
      x[i] = static_cast<double>(engine() % 1'000'000'000) / 1e6;      // up to 6 decimals
      y[i] = (static_cast<double>(engine() % 2'000'001) - 1e6) / 3e5;  // up to 17 digits
      count[i] = static_cast<std::int64_t>(engine() % 100'001);
      label[i] = labels[engine() % 4];
    }
    const mpp::Frame frame{{"id", std::move(id)},
                           {"x", std::move(x)},
                           {"y", std::move(y)},
                           {"count", std::move(count)},
                           {"label", std::move(label)}};
    const std::filesystem::path partial = file.string() + ".partial";
    mpp::write_csv(frame, partial);
    std::filesystem::rename(partial, file);
    return file.string();
  }();
  return path;
}

/// Bytes the parsed columns hold: 8 per number, a std::string per string (and its heap buffer
/// when it has one), a byte per value of a null mask.
inline std::size_t column_bytes(const mpp::Frame& frame) {
  std::size_t bytes = 0;
  for (const mpp::Column& column : frame.columns()) {
    if (column.holds<std::string>()) {
      for (const std::string& s : column.values<std::string>()) {
        bytes += sizeof(std::string) + (s.capacity() > 15 ? s.capacity() + 1 : 0);
      }
    } else {
      bytes += 8 * column.size();
    }
    if (column.null_count() != 0) bytes += column.size();
  }
  return bytes;
}

/// A field of /proc/self/status in bytes ("VmRSS", "VmHWM"), if there.
inline std::optional<double> status_bytes(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string key;
  double kib = 0;
  while (status >> key) {
    if (key == field + ":" && status >> kib) return kib * 1024;
    status.ignore(1 << 16, '\n');
  }
  return std::nullopt;
}

/// Resets the process's peak resident size (VmHWM) to its current size (Linux ≥ 4.0).
inline bool reset_peak_memory() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
  clear.flush();
  return static_cast<bool>(clear);
}

}  // namespace mpp::bench
