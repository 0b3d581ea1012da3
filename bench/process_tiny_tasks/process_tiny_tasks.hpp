// What the contenders of process_tiny_tasks share: the number of tasks.
#pragma once

#include <cstddef>

namespace mpp::bench {

/// 100 000 apply_async calls: a tenth of the thread pool's tiny_tasks, since each task crosses
/// to another process and back (and Python's Pool takes seconds for these).
inline constexpr std::size_t k_process_tiny_tasks = 100'000;

}  // namespace mpp::bench
