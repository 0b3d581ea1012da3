// A column read as a key, as pandas compares and hashes keys: the missing values (nulls, and NaN in a
// float64 column) are one value, -0.0 equals 0.0, strings compare as bytes. sort_values and the
// distinct-value operations (drop_duplicates, unique, nunique, value_counts) read keys only so.
// The hashing here (a per-process seed, a mixer, bytes) is every hash of Frame's key work: groupby
// and merge hash their keys with it too.
#pragma once

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "mpp/frame.hpp"

namespace mpp::detail {

/// murmur3's 64-bit finaliser: a bijection that spreads every input bit over the output.
constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
  x ^= x >> 33U;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33U;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33U;
  return x;
}

/// A random seed drawn once per process, so that no input can be made to collide in advance.
std::uint64_t hash_seed() noexcept;

/// `h` combined with the bytes of `s` (its length included): equal strings give equal results.
inline std::uint64_t hash_bytes(std::uint64_t h, std::string_view s) noexcept {
  h = mix64(h ^ s.size());
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t chunk = 0;
    std::memcpy(&chunk, s.data() + i, 8);
    h = mix64(h ^ chunk);
  }
  if (i < s.size()) {
    std::uint64_t chunk = 0;
    std::memcpy(&chunk, s.data() + i, s.size() - i);
    h = mix64(h ^ chunk);
  }
  return h;
}

class KeyView {
 public:
  explicit KeyView(const Column& column)
      : type_(stored_type(column)),
        nulls_(FrameAccess::data(column).null_flags()),
        offset_(FrameAccess::offset(column)) {
    const ColumnData& data = FrameAccess::data(column);
    if (nulls_ != nullptr) nulls_ += offset_;
    switch (type_) {
      case ColumnType::int64:
      case ColumnType::boolean:  // int64 storage
      case ColumnType::datetime:
        ints_ = data.data<std::int64_t>() + offset_;
        break;
      case ColumnType::float64:
        doubles_ = data.data<double>() + offset_;
        break;
      case ColumnType::string:
        strings_ = data.data<std::string>() + offset_;
        break;
    }
  }

  [[nodiscard]] ColumnType type() const noexcept { return type_; }
  [[nodiscard]] const std::int64_t* ints() const noexcept { return ints_; }
  [[nodiscard]] const double* doubles() const noexcept { return doubles_; }

  [[nodiscard]] bool missing(std::size_t r) const noexcept {
    if (nulls_ != nullptr && nulls_[r] != 0) return true;
    return doubles_ != nullptr && std::isnan(doubles_[r]);
  }

  /// -1, 0 or 1 as row a's value is below, equal to or above row b's; neither may be missing.
  [[nodiscard]] int compare(std::size_t a, std::size_t b) const noexcept {
    if (ints_ != nullptr) return ints_[a] < ints_[b] ? -1 : (ints_[b] < ints_[a] ? 1 : 0);
    if (doubles_ != nullptr) return doubles_[a] < doubles_[b] ? -1 : (doubles_[b] < doubles_[a] ? 1 : 0);
    const int c = strings_[a].compare(strings_[b]);
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }

  /// Whether rows a and b hold the same key (two missing values are the same).
  [[nodiscard]] bool equal(std::size_t a, std::size_t b) const noexcept {
    const bool ma = missing(a);
    const bool mb = missing(b);
    if (ma || mb) return ma && mb;
    if (ints_ != nullptr) return ints_[a] == ints_[b];
    if (doubles_ != nullptr) return doubles_[a] == doubles_[b];
    return strings_[a] == strings_[b];
  }

  /// `h` combined with row r's key: equal keys give equal results.
  [[nodiscard]] std::uint64_t hash(std::uint64_t h, std::size_t r) const noexcept {
    if (missing(r)) return mix64(h ^ 0x9e3779b97f4a7c15ULL) + 1;
    if (ints_ != nullptr) return mix64(h ^ static_cast<std::uint64_t>(ints_[r]));
    if (doubles_ != nullptr) {
      const double v = doubles_[r] == 0 ? 0.0 : doubles_[r];  // -0.0 hashes as 0.0
      return mix64(h ^ std::bit_cast<std::uint64_t>(v));
    }
    return hash_bytes(h, strings_[r]);
  }

 private:
  ColumnType type_;
  const std::uint8_t* nulls_;
  std::size_t offset_;
  const std::int64_t* ints_ = nullptr;
  const double* doubles_ = nullptr;
  const std::string* strings_ = nullptr;
};

}  // namespace mpp::detail
