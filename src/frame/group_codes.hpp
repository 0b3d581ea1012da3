// Grouping rows by key columns (pandas' factorize): each row's group as a dense number, groups
// numbered in the order of their first row. Shared by groupby (src/frame/groupby*.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "mpp/frame.hpp"

namespace mpp::detail {

/// A row that belongs to no group (a missing key, with dropna).
inline constexpr std::uint32_t k_no_group = std::numeric_limits<std::uint32_t>::max();

struct GroupCodes {
  std::vector<std::uint32_t> code;  // per row: its group, or k_no_group
  std::vector<std::size_t> first;   // per group: the row it first appears in
};

/// The groups of the rows of `keys` (columns of one length, at least one): rows with equal keys
/// (-0.0 equal to 0.0; every missing value, null or NaN, equal to every other) share a group. With
/// `dropna`, a row with a missing key is in none. Expected linear time whatever the keys (hashes
/// seeded per process). Throws std::length_error past 2^31 - 1 groups
/// in one key column or one combination of them (HashGroups::k_max_groups).
GroupCodes factorize(std::span<const Column> keys, bool dropna);

/// The column's null flags from its first value (one per value, 1: null), or nullptr for none.
const std::uint8_t* null_flags(const Column& column);

/// Whether value `i` of `column` is missing: null, or NaN in a float64 column.
bool is_missing(const Column& column, std::size_t i);

/// Row `i` of `values` before row `j` as pandas' sort_values orders keys (numbers as numbers,
/// strings byte by byte, missing values last): -1, 0 or 1.
int compare_rows(const Column& values, std::size_t i, std::size_t j);

}  // namespace mpp::detail
