// The thread pool that Frame's members run their parallel work on when the caller gives none.
#pragma once

#include "mpp/pool.hpp"

namespace mpp::detail {

/// usable_cpu_count() threads, started on first use and kept for the life of the program.
Pool& frame_pool();

}  // namespace mpp::detail
