// The frame operations that take no pool (comparisons, filter) cut large frames into ranges run on
// mpp's frame pool (frame_pool.hpp), the pool every Frame member uses when the caller gives none.
// Small frames stay on the caller's thread.
#pragma once

#include <cstddef>
#include <functional>

namespace mpp::detail {

/// Rows from which a frame operation without a pool uses more than one thread.
inline constexpr std::size_t k_frame_parallel_rows = 1 << 18;

/// How many ranges for_ranges() cuts `n` rows into: one per usable CPU for a large frame, else 1.
[[nodiscard]] std::size_t range_count(std::size_t n) noexcept;

/// fn(part, begin, end) for each of range_count(n) consecutive ranges of [0, n), on the caller's
/// thread and the frame pool's, all finished on return. Rethrows the first exception of a part.
/// The caller runs every range no pool thread has taken, so a call from a pool thread (a member
/// run inside a task) never waits on the queue it is part of.
void for_ranges(std::size_t n, const std::function<void(std::size_t, std::size_t, std::size_t)>& fn);

/// for_ranges() cut into `parts` ranges (at least 1): for a caller that sized per-range state by
/// range_count(n) and must see the same ranges, however the usable CPUs change meanwhile.
void for_ranges(std::size_t n, std::size_t parts,
                const std::function<void(std::size_t, std::size_t, std::size_t)>& fn);

/// Where range `part` of `parts` starts in [0, n).
[[nodiscard]] constexpr std::size_t range_begin(std::size_t n, std::size_t parts, std::size_t part) noexcept {
  return n / parts * part + (part < n % parts ? part : n % parts);
}

}  // namespace mpp::detail
