// Merge keys: pandas' matching (numbers by value, missing with missing) as a hash and an equality,
// and the table of distinct keys (frame_merge_keys.hpp).
#include "frame/frame_merge_keys.hpp"

#include <bit>
#include <cmath>

#include "frame/frame_keys.hpp"

namespace mpp::detail {
namespace {

// A double that is a whole number in int64's range, as that int64 (so 1.0 matches 1, -0.0 matches 0).
bool as_int64(double d, std::int64_t& out) noexcept {
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) || std::trunc(d) != d) return false;
  out = static_cast<std::int64_t>(d);
  return true;
}

}  // namespace

MergeKeySide::MergeKeySide(const Frame& keys) : rows_(keys.num_rows()), seed_(hash_seed()) {
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

// Numbers hash by value (a whole double as that int64), so that keys merge across int64 and float64.
std::uint64_t MergeKeySide::hash(std::size_t row) const noexcept {
  std::uint64_t h = seed_;
  for (const Key& key : keys_) {
    if (key.nulls != nullptr && key.nulls[row] != 0) {
      h = mix64(h ^ 0x9e3779b97f4a7c15ULL) + 1;  // the missing value
      continue;
    }
    switch (key.type) {
      case ColumnType::int64:
      case ColumnType::boolean:  // int64 storage
      case ColumnType::datetime:
        h = mix64(h ^ static_cast<std::uint64_t>(static_cast<const std::int64_t*>(key.values)[row]));
        break;
      case ColumnType::float64: {
        const double d = static_cast<const double*>(key.values)[row];
        std::int64_t i = 0;
        if (std::isnan(d)) {
          h = mix64(h ^ 0x9e3779b97f4a7c15ULL) + 1;  // NaN is the missing value
        } else {
          h = mix64(h ^ (as_int64(d, i) ? static_cast<std::uint64_t>(i) : std::bit_cast<std::uint64_t>(d)));
        }
        break;
      }
      case ColumnType::string:
        h = hash_bytes(h, static_cast<const std::string*>(key.values)[row]);
        break;
    }
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

MergeTable::MergeTable(std::size_t capacity) : groups_(capacity) {
  first_side_.reserve(capacity);
  first_row_.reserve(capacity);
}

std::int64_t MergeTable::find(const MergeKeySide& side, std::size_t row) const {
  const std::uint64_t g = groups_.find(
      side.hash(row), [&](std::uint64_t k) { return side.equal(row, *first_side_[k], first_row_[k]); });
  return g == HashGroups::k_none ? -1 : static_cast<std::int64_t>(g);
}

std::int64_t MergeTable::insert(const MergeKeySide& side, std::size_t row) {
  const auto [g, added] = groups_.insert(
      side.hash(row), [&](std::uint64_t k) { return side.equal(row, *first_side_[k], first_row_[k]); });
  if (added) {
    first_side_.push_back(&side);
    first_row_.push_back(row);
  }
  return static_cast<std::int64_t>(g);
}

}  // namespace mpp::detail
