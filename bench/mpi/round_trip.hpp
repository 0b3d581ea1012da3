// The MPI suite's big-data round trip: one argument of `megabytes` MB out to rank 1 and the same
// bytes back, through MpiPool::apply (mpi_pool.cpp) and through plain MPI_Send/MPI_Recv between the
// same two ranks (plain_mpi.cpp).
#pragma once

#include <cstddef>
#include <vector>

namespace mpp::bench {

/// The payload: doubles, the common case of a large numeric argument.
using RoundTripData = std::vector<double>;

inline std::size_t round_trip_doubles(long megabytes) {
  return static_cast<std::size_t>(megabytes) * 1'000'000 / sizeof(double);
}

/// What the pool runs: the argument back, moved (no copy of the function's own).
inline RoundTripData echo_argument(RoundTripData data) { return data; }

}  // namespace mpp::bench
