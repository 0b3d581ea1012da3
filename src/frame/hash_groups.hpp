// The one hash table of Frame's key work (groupby's factorising, merge, the distinct-value
// operations): groups of equal keys numbered 0, 1, ... in the order they first come, found by a
// seeded hash (frame_keys.hpp) through open addressing. The table holds no keys: the caller says
// whether group g's key is the one sought (usually by comparing with the row g first came in), so
// one table serves keys of one column, of several, and of two frames' columns. A slot is 8 bytes:
// 32 bits of the hash, which settle most probes without touching the keys, and the group. The table
// is at most half full, so with a seeded hash no input known in advance makes the probes long.
// (Memory, not only cache, is why the slot is small: on a machine that faults fresh pages in slowly,
// a table of 16-byte slots took measurably longer to grow.)
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <utility>
#include <vector>

namespace mpp::detail {

class HashGroups {
 public:
  /// find()'s answer when no group has the key.
  static constexpr std::uint64_t k_none = std::numeric_limits<std::uint64_t>::max();
  /// The most groups one table holds (a slot numbers them in 32 bits, half the slots stay empty).
  static constexpr std::size_t k_max_groups = (std::size_t{1} << 31U) - 1;

  /// Room for `expected` groups before the table grows (more still work).
  explicit HashGroups(std::size_t expected = 0) { reserve_slots(std::min(expected, k_max_groups)); }

  /// The group of hash `h` whose key `same(g)` accepts, and false; else `h` becomes group size()
  /// (returned, with true): the caller records that group's key before it asks again. Throws
  /// std::length_error past k_max_groups.
  template <class Same>
  std::pair<std::uint64_t, bool> insert(std::uint64_t h, Same same) {
    if (2 * (size_ + 1) > slots_.size()) grow();
    const std::uint32_t tag = tag_of(h);
    std::size_t at = home(tag);
    for (; slots_[at] != 0; at = (at + 1) & mask_) {
      const std::uint64_t slot = slots_[at];
      if (tag_in(slot) == tag && same(group_in(slot))) return {group_in(slot), false};
    }
    slots_[at] = (std::uint64_t{tag} << 32U) | (size_ + 1);
    return {size_++, true};
  }

  /// The group of hash `h` whose key `same(g)` accepts, or k_none.
  template <class Same>
  [[nodiscard]] std::uint64_t find(std::uint64_t h, Same same) const {
    const std::uint32_t tag = tag_of(h);
    for (std::size_t at = home(tag); slots_[at] != 0; at = (at + 1) & mask_) {
      const std::uint64_t slot = slots_[at];
      if (tag_in(slot) == tag && same(group_in(slot))) return group_in(slot);
    }
    return k_none;
  }

  [[nodiscard]] std::size_t size() const noexcept { return size_; }

  /// Starts fetching hash `h`'s first slot into the cache (a batch of probes overlaps its misses);
  /// an insert() that grows the table meanwhile leaves it wasted, not wrong.
  void prefetch(std::uint64_t h) const noexcept { __builtin_prefetch(slots_.data() + home(tag_of(h))); }

 private:
  // The top 32 bits of the hash's product with 2^64 / phi: every bit of the hash moves them, so
  // hashes that differ only in their low or only in their high bits still spread (Fibonacci hashing).
  static std::uint32_t tag_of(std::uint64_t h) noexcept {
    return static_cast<std::uint32_t>((h * 0x9e3779b97f4a7c15ULL) >> 32U);
  }
  static std::uint32_t tag_in(std::uint64_t slot) noexcept { return static_cast<std::uint32_t>(slot >> 32U); }
  static std::uint64_t group_in(std::uint64_t slot) noexcept { return (slot & 0xffffffffULL) - 1; }
  // A tag's first slot: its top bits.
  [[nodiscard]] std::size_t home(std::uint32_t tag) const noexcept { return tag >> shift_; }

  void grow() {
    if (size_ >= k_max_groups) {
      throw std::length_error("mpp::Frame: more than 2^31 - 1 distinct keys in one partition");
    }
    reserve_slots(size_ + 1);
  }

  // At least twice `groups` slots, a power of two; the groups there move to their new places.
  void reserve_slots(std::size_t groups) {
    const std::size_t wanted = std::bit_ceil(std::max<std::size_t>(16, 2 * groups));
    if (wanted <= slots_.size()) return;
    std::vector<std::uint64_t> old(wanted, 0);
    old.swap(slots_);
    mask_ = slots_.size() - 1;
    shift_ = 32 - std::countr_zero(slots_.size());
    for (const std::uint64_t slot : old) {
      if (slot == 0) continue;
      std::size_t at = home(tag_in(slot));
      while (slots_[at] != 0) at = (at + 1) & mask_;
      slots_[at] = slot;
    }
  }

  std::vector<std::uint64_t> slots_;  // the tag above the group + 1; 0: empty
  std::size_t mask_ = 0;
  int shift_ = 32;
  std::size_t size_ = 0;
};

}  // namespace mpp::detail
