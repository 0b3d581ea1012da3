// The per-group arithmetic of groupby: each function reads one column's values by group code (a
// partition's rows, or the partial aggregates of every partition when merging) and skips rows of no
// group (k_no_group) and missing values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "frame/frame_take.hpp"
#include "group_codes.hpp"
#include "mpp/frame.hpp"

namespace mpp::detail {

using Codes = std::span<const std::uint32_t>;

/// Rows per group, missing values included (size).
std::vector<std::int64_t> group_sizes(Codes codes, std::size_t groups);
/// Values per group that are not missing (count).
std::vector<std::int64_t> group_counts(const Column& column, Codes codes, std::size_t groups);
/// Sums of an int64 column, wrapping on overflow as numpy's int64 does.
std::vector<std::int64_t> int_sums(const Column& column, Codes codes, std::size_t groups);

/// Kahan-compensated sums (pandas' group_add and group_mean compensate too).
struct KahanSums {
  std::vector<double> sum;
  std::vector<double> compensation;
  explicit KahanSums(std::size_t groups) : sum(groups), compensation(groups) {}
  void add(std::size_t group, double value) {
    const double y = value - compensation[group];
    const double t = sum[group] + y;
    compensation[group] = (t - sum[group]) - y;
    // An infinity makes the compensation NaN, which would poison the next additions.
    if (compensation[group] != compensation[group]) compensation[group] = 0;
    sum[group] = t;
  }
};
/// Sums of an int64 or float64 column as doubles.
KahanSums float_sums(const Column& column, Codes codes, std::size_t groups);

/// Welford's running count, mean and sum of squared deviations (M2) per group.
struct Moments {
  std::vector<std::int64_t> count;
  std::vector<double> mean;
  std::vector<double> m2;
  explicit Moments(std::size_t groups) : count(groups), mean(groups), m2(groups) {}
  /// Chan et al.'s pairwise update: folds a partition's (count, mean, M2) into group `g`'s.
  void merge(std::size_t group, std::int64_t count_b, double mean_b, double m2_b);
};
Moments moments(const Column& column, Codes codes, std::size_t groups);

/// The row whose value min, max, first or last picks in each group (k_no_row for none); a tie
/// keeps the earlier row.
std::vector<std::size_t> pick_rows(const Column& column, Codes codes, std::size_t groups, bool first,
                                   bool last, int sign);

}  // namespace mpp::detail
