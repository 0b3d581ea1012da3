// A trivially copyable struct of 5 MiB without a default constructor, whose words say which seed
// made it: the large-value tests of Queue and Connection (docs/api.md, "Large values by value").
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace mpp_test {

struct SealedBlock {
  explicit SealedBlock(std::uint64_t seed) noexcept {
    for (std::size_t i = 0; i < words.size(); ++i) words[i] = i * 31 + seed;
  }
  std::array<std::uint64_t, (std::size_t{5} << 20) / sizeof(std::uint64_t)> words;
};

/// Whether `b` is the block `seed` made, word for word.
inline bool is_sealed(const SealedBlock& b, std::uint64_t seed) {
  for (std::size_t i = 0; i < b.words.size(); ++i)
    if (b.words[i] != i * 31 + seed) return false;
  return true;
}

}  // namespace mpp_test
