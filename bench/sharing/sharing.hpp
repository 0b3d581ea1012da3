// The sharing suite's workloads, the same for mpp and Python's multiprocessing:
// `k_value_rounds` increments of a shared Value under its own lock in one process;
// `k_pipe_rounds` round trips of a small integer through a Pipe to a child that sends it back;
// `k_bulk_messages` messages of `k_bulk_bytes` bytes through a Pipe, one way, each acknowledged.
#pragma once

#include <cstddef>

namespace mpp::bench {

inline constexpr int k_value_rounds = 1'000'000;
inline constexpr int k_pipe_rounds = 20'000;
inline constexpr int k_bulk_messages = 200;
inline constexpr std::size_t k_bulk_bytes = std::size_t{1} << 20;

}  // namespace mpp::bench
