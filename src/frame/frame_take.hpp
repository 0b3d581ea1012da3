// A column's values at given rows, in their order (pandas' take): what sort_values, groupby and the
// distinct values build their results with. One gather for them all (merge's, which also converts
// int64 to float64 and falls back to the other side's rows, is its own: frame_merge.cpp).
#pragma once

#include <cstddef>
#include <limits>
#include <span>

#include "mpp/frame.hpp"

namespace mpp::detail {

/// A row position that take() turns into a null.
inline constexpr std::size_t k_no_row = std::numeric_limits<std::size_t>::max();

/// The values of `column` at `rows`, in that order, named and typed as it; k_no_row gives a null.
/// A large result is gathered in ranges on mpp's frame pool (random reads: two threads keep twice
/// as many cache misses in flight), into huge pages.
Column take(const Column& column, std::span<const std::size_t> rows);

}  // namespace mpp::detail
