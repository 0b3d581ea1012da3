// Merge keys: pandas' matching (numbers by value, missing with missing) as a hash and an equality,
// and the table of distinct keys (frame_merge_keys.hpp).
#include "frame/frame_merge_keys.hpp"

#include <bit>
#include <functional>

namespace mpp::detail {
namespace {

constexpr std::uint64_t k_missing_hash = 0x6a09e667f3bcc909ULL;

// splitmix64's finaliser: every input bit moves every output bit, so keys that differ only in high
// bits (multiples of a power of two) still spread over the buckets.
std::uint64_t mix(std::uint64_t x) noexcept {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A double that is a whole number in int64's range, as that int64 (so 1.0 matches 1, -0.0 matches 0).
bool as_int64(double d, std::int64_t& out) noexcept {
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) || std::trunc(d) != d) return false;
  out = static_cast<std::int64_t>(d);
  return true;
}

}  // namespace

MergeKeySide::MergeKeySide(const Frame& keys) : rows_(keys.num_rows()) {
  for (const Column& column : keys.columns()) {
    const ColumnData& data = FrameAccess::data(column);
    const std::size_t offset = FrameAccess::offset(column);
    const std::uint8_t* nulls = data.null_flags();
    Key key{detail::stored_type(column), nullptr, nulls == nullptr ? nullptr : nulls + offset};
    switch (detail::stored_type(column)) {
      case ColumnType::int64:
      case ColumnType::boolean:  // int64 storage
      case ColumnType::datetime:
        key.values = data.data<std::int64_t>() + offset;
        break;
      case ColumnType::float64:
        key.values = data.data<double>() + offset;
        break;
      case ColumnType::string:
        key.values = data.data<std::string>() + offset;
        break;
    }
    keys_.push_back(key);
  }
}

std::uint64_t MergeKeySide::hash(std::size_t row) const noexcept {
  std::uint64_t h = 0;
  for (const Key& key : keys_) {
    std::uint64_t k = k_missing_hash;
    if (key.nulls == nullptr || key.nulls[row] == 0) {
      switch (key.type) {
        case ColumnType::int64:
        case ColumnType::boolean:  // int64 storage
        case ColumnType::datetime:
          k = static_cast<std::uint64_t>(static_cast<const std::int64_t*>(key.values)[row]);
          break;
        case ColumnType::float64: {
          const double d = static_cast<const double*>(key.values)[row];
          std::int64_t i = 0;
          if (std::isnan(d)) break;
          k = as_int64(d, i) ? static_cast<std::uint64_t>(i) : std::bit_cast<std::uint64_t>(d);
          break;
        }
        case ColumnType::string:
          k = std::hash<std::string_view>{}(static_cast<const std::string*>(key.values)[row]);
          break;
      }
    }
    h = mix(h ^ k) + 0x9e3779b97f4a7c15ULL;
  }
  return h;
}

bool MergeKeySide::equal(std::size_t a, const MergeKeySide& other, std::size_t b) const noexcept {
  for (std::size_t c = 0; c < keys_.size(); ++c) {
    const Key& x = keys_[c];
    const Key& y = other.keys_[c];
    const bool x_missing =
        (x.nulls != nullptr && x.nulls[a] != 0) ||
        (x.type == ColumnType::float64 && std::isnan(static_cast<const double*>(x.values)[a]));
    const bool y_missing =
        (y.nulls != nullptr && y.nulls[b] != 0) ||
        (y.type == ColumnType::float64 && std::isnan(static_cast<const double*>(y.values)[b]));
    if (x_missing || y_missing) {
      if (x_missing != y_missing) return false;
      continue;
    }
    if (x.type == ColumnType::string) {
      if (static_cast<const std::string*>(x.values)[a] != static_cast<const std::string*>(y.values)[b])
        return false;
    } else if (x.type == ColumnType::int64 && y.type == ColumnType::int64) {
      if (static_cast<const std::int64_t*>(x.values)[a] != static_cast<const std::int64_t*>(y.values)[b])
        return false;
    } else if (x.type == ColumnType::float64 && y.type == ColumnType::float64) {
      if (static_cast<const double*>(x.values)[a] != static_cast<const double*>(y.values)[b]) return false;
    } else {
      // An int64 with a double: equal only when the double is that whole number.
      const bool x_int = x.type == ColumnType::int64;
      const std::int64_t i = x_int ? static_cast<const std::int64_t*>(x.values)[a]
                                   : static_cast<const std::int64_t*>(y.values)[b];
      const double d =
          x_int ? static_cast<const double*>(y.values)[b] : static_cast<const double*>(x.values)[a];
      std::int64_t di = 0;
      if (!as_int64(d, di) || di != i) return false;
    }
  }
  return true;
}

MergeTable::MergeTable(std::size_t capacity) {
  const std::size_t buckets = std::bit_ceil(std::max<std::size_t>(16, capacity * 2));
  buckets_.assign(buckets, -1);
  mask_ = buckets - 1;
  next_.reserve(capacity);
  hash_.reserve(capacity);
  first_side_.reserve(capacity);
  first_row_.reserve(capacity);
}

std::int64_t MergeTable::find(const MergeKeySide& side, std::size_t row, std::uint64_t hash) const {
  for (std::int64_t g = buckets_[hash & mask_]; g >= 0; g = next_[static_cast<std::size_t>(g)]) {
    const auto k = static_cast<std::size_t>(g);
    if (hash_[k] == hash && side.equal(row, *first_side_[k], first_row_[k])) return g;
  }
  return -1;
}

std::int64_t MergeTable::find(const MergeKeySide& side, std::size_t row) const {
  return find(side, row, side.hash(row));
}

std::int64_t MergeTable::insert(const MergeKeySide& side, std::size_t row) {
  const std::uint64_t hash = side.hash(row);
  const std::int64_t found = find(side, row, hash);
  if (found >= 0) return found;
  const auto g = static_cast<std::int64_t>(first_side_.size());
  std::int64_t& head = buckets_[hash & mask_];
  next_.push_back(head);
  head = g;
  hash_.push_back(hash);
  first_side_.push_back(&side);
  first_row_.push_back(row);
  return g;
}

}  // namespace mpp::detail
