// The arithmetic of np.array_split: where each of `sections` consecutive parts of n items begins.
#pragma once

#include <cstddef>

namespace mpp::detail {

/// Section `k` of `n` items cut into `sections` (np.array_split): the first n % sections sections
/// have one item more. Returns its first item.
constexpr std::size_t section_begin(std::size_t n, std::size_t sections, std::size_t k) noexcept {
  const std::size_t base = n / sections;
  const std::size_t extra = n % sections;
  return k * base + (k < extra ? k : extra);
}

}  // namespace mpp::detail
