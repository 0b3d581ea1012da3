// Column names found by hash in linear expected time, at 4 bytes a slot: checking a header of
// millions of names for repeats costs little beside the names themselves (a node-based hash table
// costs some 40 bytes a name more).
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace mpp::detail {

class NameIndex {
 public:
  static constexpr std::size_t k_npos = static_cast<std::size_t>(-1);

  /// Room for `count` names; `name_of(i)` gives the name at position i (positions below count).
  template <class NameOf>
  NameIndex(std::size_t count, NameOf name_of) {
    if (count >= std::size_t{0xFFFFFFFF}) throw std::length_error("mpp: too many columns");
    // At most half full: probes stay short.
    slots_.assign(std::bit_ceil(std::max<std::size_t>(2 * count, 16)), 0);
    mask_ = slots_.size() - 1;
    for (std::size_t i = 0; i < count; ++i) {
      const std::string_view name = name_of(i);
      for (std::size_t s = hash(name);; s = (s + 1) & mask_) {
        if (slots_[s] == 0) {
          slots_[s] = static_cast<std::uint32_t>(i + 1);
          break;
        }
        if (name_of(slots_[s] - 1) == name) {
          repeated_ = {slots_[s] - 1, i};
          return;
        }
      }
    }
  }

  /// The first name found twice: its earlier and later positions; k_npos, k_npos when none is.
  struct Repeat {
    std::size_t first = k_npos;
    std::size_t second = k_npos;
  };
  [[nodiscard]] Repeat repeated() const noexcept { return repeated_; }

  /// The position of `name`, or k_npos. Only meaningful when no name is repeated.
  template <class NameOf>
  [[nodiscard]] std::size_t find(std::string_view name, NameOf name_of) const {
    for (std::size_t s = hash(name);; s = (s + 1) & mask_) {
      if (slots_[s] == 0) return k_npos;
      if (name_of(slots_[s] - 1) == name) return slots_[s] - 1;
    }
  }

 private:
  std::size_t hash(std::string_view name) const noexcept {
    const std::size_t h = std::hash<std::string_view>{}(name);
    return h & mask_;
  }

  std::vector<std::uint32_t> slots_;  // position + 1; 0 = empty
  std::size_t mask_ = 0;
  Repeat repeated_;
};

}  // namespace mpp::detail
