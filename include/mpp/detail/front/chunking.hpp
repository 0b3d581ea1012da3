// How a map's input is cut into tasks. One place, so every back end chunks alike.
#pragma once

#include <algorithm>
#include <cstddef>

namespace mpp::detail {

struct ChunkPlan {
  std::size_t chunk = 1;  // items per task
  std::size_t grain = 0;  // > 0: the executor may split a task down to this many items
};

inline std::size_t ceil_div(std::size_t a, std::size_t b) noexcept { return a / b + (a % b != 0 ? 1 : 0); }

/// `chunksize` > 0 is the user's: kept exactly (it is also what maxtasksperchild counts).
/// 0 = automatic. With `splittable` (threads), one task per worker that idle workers split and
/// steal down to a grain of 1/64 of a worker's share, which balances uneven items without paying
/// for tiny tasks. Otherwise Python's rule: about four tasks per worker.
inline ChunkPlan plan_chunks(std::size_t items, std::size_t workers, std::size_t chunksize, bool splittable) {
  workers = std::max<std::size_t>(1, workers);
  if (chunksize > 0) return {chunksize, 0};
  if (items == 0) return {1, 0};
  if (splittable) {
    const std::size_t chunk = ceil_div(items, workers);
    return {chunk, std::max<std::size_t>(1, ceil_div(items, workers * 64))};
  }
  return {std::max<std::size_t>(1, ceil_div(items, workers * 4)), 0};
}

}  // namespace mpp::detail
