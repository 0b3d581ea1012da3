// The lock suite's workloads: `k_uncontended` acquire + release pairs in one thread with no one
// else about, and `k_handoffs` acquire + increment + release rounds in each of two processes
// contending for one lock (the time per round is one hand-off).
#pragma once

namespace mpp::bench {

inline constexpr int k_uncontended = 1'000'000;
inline constexpr int k_handoffs = 100'000;

}  // namespace mpp::bench
