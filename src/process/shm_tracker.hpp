// Names in /dev/shm that outlive a crash: each process that creates a named segment (a
// SharedMemory, a primitive of <mpp/synchronize.hpp>, a Value, an Array) registers it with a
// tracker, a small child process of its own, and unregisters it when the name is unlinked or kept
// (keep_name). When every copy of the tracker's socket is closed (the process and the children it
// forked have ended, normally or not), the tracker unlinks what is still registered. Python's
// multiprocessing.resource_tracker does the same for its segments.
#pragma once

#include <string_view>

namespace mpp::detail::shm_tracker {

/// Registers `name` (without its leading '/'). Starts this process's tracker at the first call;
/// when it cannot be started, the name is not tracked (the segment works as before).
void track(std::string_view name) noexcept;
/// The name was unlinked, or is to outlive this process.
void untrack(std::string_view name) noexcept;

}  // namespace mpp::detail::shm_tracker
