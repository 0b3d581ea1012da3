// Names of POSIX shared memory segments, for mpp::SharedMemory and mpp::Queue: fresh ones, and
// opening by name through the system-call seam.
#pragma once

#include <string>

#include "mpp/detail/posix/fd.hpp"

namespace mpp::detail::shm_names {

/// "mpp-<pid>-<n>-<random>": unique to this process, unguessable by others.
std::string fresh();
/// shm_open of `name` (without its '/'): a new segment, exclusively, of exactly `mode`, registered
/// with the tracker (shm_tracker.hpp). Returns -errno on failure instead of throwing.
int create(const std::string& name, unsigned mode);
/// shm_open of an existing `name`, read-write (or read-only); -errno on failure (EINVAL for a
/// name with a '/' in it: no path escapes /dev/shm).
int open(const std::string& name, bool writable = true);
/// Unlinks `name` and takes it off the tracker.
void unlink(const std::string& name) noexcept;

}  // namespace mpp::detail::shm_names
