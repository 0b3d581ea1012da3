// How a pool made in one process notices it is used in a process forked from it.
#pragma once

#include <cstdint>

namespace mpp::detail {

/// How many times this process has been forked from its ancestors since the library was loaded
/// (counted in each child, by a pthread_atfork handler registered on the first call): a pool made
/// in one process and used in a fork of it (a worker calling its own pool, a user's fork) sees it
/// change. Defined in src/remote_executor.cpp.
std::uint64_t fork_generation() noexcept;

}  // namespace mpp::detail
