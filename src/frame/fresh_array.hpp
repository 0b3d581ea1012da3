// A large result array of a frame operation, sized with its pages faulted in on every thread.
#pragma once

#include <cstddef>
#include <type_traits>
#include <vector>

#include "frame/frame_ranges.hpp"
#include "mpp/detail/core/memory_advice.hpp"

namespace mpp::detail {

/// Sizes the fresh vector `values` to `n` copies of `fill`, for the ranges of for_ranges(n) to
/// write. The kernel zeroes each fresh page on its first write, and for a result of tens of MB that
/// is most of the operation's cost; a plain resize pays it on the caller's thread alone. Here each
/// range's share of the pages is populated on the thread that runs the range, then the fill runs
/// over pages already there (several times faster than faulting them).
template <class T>
void size_in_ranges(std::vector<T>& values, std::size_t n, const T& fill = T{}) {
  if constexpr (std::is_trivially_copyable_v<T>) {
    const bool fresh = values.capacity() < n;
    reserve_on_huge_pages(values, n);
    if (fresh && range_count(n) > 1) {
      T* data = values.data();
      for_ranges(n, [data](std::size_t, std::size_t begin, std::size_t end) {
        populate_for_writing(data + begin, (end - begin) * sizeof(T));
      });
    }
  }
  values.resize(n, fill);
}

}  // namespace mpp::detail
