// The segments this process maps through mpp::SharedMemory, by address: what find_shared_range()
// (include/mpp/detail/process/shared_range.hpp) looks in. Kept by SharedMemory itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace mpp::detail::shared_ranges {

/// A mapping of `size` bytes at `address` of the segment `name` (inode `inode`).
void add(const void* address, std::size_t size, const std::string& name, std::uint64_t inode);
/// The mapping at `address` is going.
void remove(const void* address) noexcept;
/// The segment mapped at `address` has no name any more: its bytes can no longer be sent by name.
void unlinked(const void* address) noexcept;

}  // namespace mpp::detail::shared_ranges
