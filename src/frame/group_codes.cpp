// Factorising key columns: a hash table (hash_groups.hpp) from a key to a dense number, one pass
// per key column; several keys combine pairwise (the groups so far and the next column's codes,
// side by side in one 64-bit word) through the same table.
#include "group_codes.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "frame/frame_keys.hpp"
#include "frame/frame_take.hpp"
#include "frame/hash_groups.hpp"

namespace mpp::detail {
namespace {

// A missing key's code in one column's codes (before dropna decides what becomes of it).
constexpr std::uint32_t k_missing = k_no_group - 1;
static_assert(HashGroups::k_max_groups < k_missing);

// Dense numbers for keys, in the order they are first added, with the row each first came in.
// `Key` is std::uint64_t or std::string_view (views into the column, which outlives the table).
template <class Key>
class KeyTable {
 public:
  std::uint32_t id(Key key, std::uint64_t hash, std::size_t row) {
    const auto [group, added] = groups_.insert(hash, [&](std::uint64_t g) { return keys_[g] == key; });
    if (added) {
      keys_.push_back(key);
      first_.push_back(row);
    }
    return static_cast<std::uint32_t>(group);
  }
  std::vector<std::size_t>& first() noexcept { return first_; }

 private:
  HashGroups groups_;
  std::vector<Key> keys_;
  std::vector<std::size_t> first_;
};

// One column's codes: its distinct values numbered in order of first row, k_missing for a missing
// value. Doubles are grouped by their bits once -0.0 is 0.0.
GroupCodes column_codes(const Column& column) {
  const std::size_t n = column.size();
  GroupCodes out;
  out.code.resize(n);
  const std::uint8_t* nulls = null_flags(column);
  const std::uint64_t seed = hash_seed();
  if (stored_type(column) == ColumnType::string) {
    const std::span<const std::string> values = column.values<std::string>();
    KeyTable<std::string_view> table;
    for (std::size_t i = 0; i < n; ++i) {
      if (nulls != nullptr && nulls[i] != 0) {
        out.code[i] = k_missing;
      } else {
        const std::string_view value = values[i];
        out.code[i] = table.id(value, hash_bytes(seed, value), i);
      }
    }
    out.first = std::move(table.first());
    return out;
  }
  KeyTable<std::uint64_t> table;
  auto run = [&](auto word_of) {
    for (std::size_t i = 0; i < n; ++i) {
      if (nulls != nullptr && nulls[i] != 0) {
        out.code[i] = k_missing;
        continue;
      }
      const auto word = word_of(i);
      out.code[i] = word ? table.id(*word, mix64(*word ^ seed), i) : k_missing;
    }
  };
  if (stored_type(column) == ColumnType::int64) {
    const std::int64_t* values = column.values<std::int64_t>().data();
    run([values](std::size_t i) {
      return std::optional<std::uint64_t>(static_cast<std::uint64_t>(values[i]));
    });
  } else {
    const double* values = column.values<double>().data();
    run([values](std::size_t i) -> std::optional<std::uint64_t> {
      const double v = values[i];
      if (std::isnan(v)) return std::nullopt;
      return std::bit_cast<std::uint64_t>(v == 0.0 ? 0.0 : v);
    });
  }
  out.first = std::move(table.first());
  return out;
}

}  // namespace

const std::uint8_t* null_flags(const Column& column) {
  const std::uint8_t* flags = FrameAccess::data(column).null_flags();
  return flags == nullptr ? nullptr : flags + FrameAccess::offset(column);
}

bool is_missing(const Column& column, std::size_t i) {
  const std::uint8_t* nulls = null_flags(column);
  if (nulls != nullptr && nulls[i] != 0) return true;
  return stored_type(column) == ColumnType::float64 && std::isnan(column.values<double>()[i]);
}

GroupCodes factorize(std::span<const Column> keys, bool dropna) {
  GroupCodes groups = column_codes(keys[0]);
  if (keys.size() == 1) {
    std::size_t null_row = k_no_row;
    for (std::size_t i = 0; i < groups.code.size(); ++i) {
      if (groups.code[i] != k_missing) continue;
      if (dropna) {
        groups.code[i] = k_no_group;
      } else if (null_row == k_no_row) {
        null_row = i;
      }
    }
    if (null_row == k_no_row) return groups;
    // The missing keys' group takes its place in first-row order: groups first seen after it move
    // up by one.
    const auto null_id = static_cast<std::uint32_t>(
        std::lower_bound(groups.first.begin(), groups.first.end(), null_row) - groups.first.begin());
    for (std::uint32_t& code : groups.code) {
      code = code == k_missing ? null_id : code + (code >= null_id ? 1 : 0);
    }
    groups.first.insert(groups.first.begin() + null_id, null_row);
    return groups;
  }
  for (std::uint32_t& code : groups.code) {
    if (dropna && code == k_missing) code = k_no_group;
  }
  const std::uint64_t seed = hash_seed();
  for (std::size_t k = 1; k < keys.size(); ++k) {
    const GroupCodes next = column_codes(keys[k]);
    KeyTable<std::uint64_t> table;
    for (std::size_t i = 0; i < groups.code.size(); ++i) {
      std::uint32_t& code = groups.code[i];
      if (code == k_no_group) continue;
      if (dropna && next.code[i] == k_missing) {
        code = k_no_group;
        continue;
      }
      const std::uint64_t word = (static_cast<std::uint64_t>(code) << 32) | next.code[i];
      code = table.id(word, mix64(word ^ seed), i);
    }
    groups.first = std::move(table.first());
  }
  return groups;
}

int compare_rows(const Column& values, std::size_t i, std::size_t j) {
  const bool mi = is_missing(values, i);
  const bool mj = is_missing(values, j);
  if (mi || mj) return static_cast<int>(mi) - static_cast<int>(mj);
  auto three_way = [](const auto& a, const auto& b) { return a < b ? -1 : (b < a ? 1 : 0); };
  switch (stored_type(values)) {
    case ColumnType::int64:
    case ColumnType::boolean:  // int64 storage
    case ColumnType::datetime:
      return three_way(values.values<std::int64_t>()[i], values.values<std::int64_t>()[j]);
    case ColumnType::float64:
      return three_way(values.values<double>()[i], values.values<double>()[j]);
    case ColumnType::string:
      break;
  }
  return three_way(std::string_view(values.values<std::string>()[i]),
                   std::string_view(values.values<std::string>()[j]));
}

}  // namespace mpp::detail
