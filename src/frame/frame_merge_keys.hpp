// The keys of a merge: hashing and comparing rows' key columns as pandas matches them (numbers by
// value across int64 and float64, missing with missing), and the hash table of distinct keys that
// groups one side's rows. Used by src/frame/frame_merge.cpp only.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "frame/hash_groups.hpp"
#include "mpp/frame.hpp"

namespace mpp::detail {

// One side's key columns, read in place.
class MergeKeySide {
 public:
  explicit MergeKeySide(const Frame& keys);

  [[nodiscard]] std::size_t rows() const noexcept { return rows_; }
  [[nodiscard]] std::uint64_t hash(std::size_t row) const noexcept;
  // Whether row `a` of this side and row `b` of `other` have equal keys.
  [[nodiscard]] bool equal(std::size_t a, const MergeKeySide& other, std::size_t b) const noexcept;

 private:
  struct Key {
    ColumnType type;
    const void* values;
    const std::uint8_t* nulls;  // nullptr: none
  };
  std::vector<Key> keys_;
  std::size_t rows_ = 0;
  std::uint64_t seed_;  // hash_seed(): a table and its probes live in one process
};

// The distinct keys of the rows inserted, numbered 0, 1, ... in the order they first come
// (hash_groups.hpp): a key shared by many rows costs one comparison per probe, not one per row.
class MergeTable {
 public:
  // Room for `capacity` distinct keys before the table grows.
  explicit MergeTable(std::size_t capacity);

  // The group of row `row` of `side` (a new one when no earlier row had its key).
  std::int64_t insert(const MergeKeySide& side, std::size_t row);
  // The group of row `row` of `side`, or -1.
  [[nodiscard]] std::int64_t find(const MergeKeySide& side, std::size_t row) const;
  [[nodiscard]] std::size_t groups() const noexcept { return first_row_.size(); }

 private:
  HashGroups groups_;
  // Per group: the side and row that hold its key.
  std::vector<const MergeKeySide*> first_side_;
  std::vector<std::size_t> first_row_;
};

}  // namespace mpp::detail
