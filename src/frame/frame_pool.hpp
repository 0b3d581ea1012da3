// The thread pool that Frame's members run their parallel work on when the caller gives none.
#pragma once

#include <cstddef>

#include "mpp/pool.hpp"

namespace mpp::detail {

/// Rows from which a Frame member that has a pool form (sort_values, groupby, merge, describe) runs
/// it on frame_pool(): below that, starting tasks costs more than the threads save.
inline constexpr std::size_t k_pool_rows = 1'000'000;

/// usable_cpu_count() threads, started on first use and kept for the life of the program.
Pool& frame_pool();

}  // namespace mpp::detail
