// Advice on large memory about to be written whole: transparent huge pages for results about to be
// zero-filled, and populating a fresh shared segment before a copy into it (compiled in
// src/posix/memory_advice.cpp).
#pragma once

#include <cstddef>
#include <type_traits>

namespace mpp::detail {

/// From this size on, a result array is worth huge pages: smaller ones are not 2 MiB-aligned
/// enough to get any, and fault cheaply anyway.
inline constexpr std::size_t k_huge_pages_from = std::size_t{8} << 20;

/// Asks the kernel to back the untouched memory [data, data + bytes) with transparent huge pages
/// (madvise MADV_HUGEPAGE), where the system allows them on request. Zero-filling a fresh 80 MB
/// result then takes 40 page faults instead of 20 000: 9 ms instead of 47 ms on the development
/// machine, time during which no worker can start. Only a hint: failures are ignored.
void advise_huge_pages(void* data, std::size_t bytes) noexcept;

/// Room for `count` elements in `container` (a std::vector), about to be written whole: a large
/// fresh array is reserved first and given huge pages, as its page faults, not the writes, are most
/// of its cost (a frame's filtered column, a decoded array, a map's results).
template <class Container>
void reserve_on_huge_pages(Container& container, std::size_t count) {
  using Element = std::remove_reference_t<decltype(*container.data())>;
  if (count * sizeof(Element) < k_huge_pages_from || container.capacity() >= count) return;
  container.reserve(count);
  advise_huge_pages(container.data(), count * sizeof(Element));
}

/// From this size on, a fresh shared segment about to be filled is worth populating first.
inline constexpr std::size_t k_populate_from = std::size_t{1} << 20;

/// Asks the kernel to allocate and map every page of [data, data + bytes) now, for writing
/// (MADV_POPULATE_WRITE), where it can: filling 320 MB of fresh shared memory then takes half the
/// time on the development machine (one call instead of a page fault per page). Only a hint:
/// failures (a kernel before 5.14) are ignored. Below k_populate_from it does nothing.
void populate_for_writing(void* data, std::size_t bytes) noexcept;

}  // namespace mpp::detail
