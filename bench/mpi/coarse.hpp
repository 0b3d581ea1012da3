// The MPI suite's coarse workload: items of about 10 ms of CPU each, the grain at which work is
// worth sending to other machines.
#pragma once

#include <time.h>

#include <cstdint>

namespace mpp::bench {

/// Burns `ms` milliseconds of this thread's CPU time (not wall time: a rank that shares its core
/// takes longer, as real work would) and returns a value that depends on the item.
inline std::int64_t coarse_item(std::int64_t item) {
  constexpr std::int64_t k_ms = 10;
  timespec start{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start);
  std::uint64_t x = static_cast<std::uint64_t>(item) + 1;
  for (;;) {
    for (int k = 0; k < 4096; ++k) x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    timespec now{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1'000'000 >= k_ms) break;
  }
  return item + static_cast<std::int64_t>(x & 1U);
}

}  // namespace mpp::bench
