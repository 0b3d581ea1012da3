// Factorising key columns: an open-addressing hash table from a key to a dense number, one pass
// per key column; several keys combine pairwise (the groups so far and the next column's codes,
// side by side in one 64-bit word) through the same table.
#include "group_codes.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>

namespace mpp::detail {
namespace {

// A missing key's code in one column's codes (before dropna decides what becomes of it).
constexpr std::uint32_t k_missing = k_no_group - 1;

// Seeded per process so that no fixed set of keys collides in every run (hostile input).
std::uint64_t hash_seed() {
  static const std::uint64_t seed = [] {
    std::random_device device;
    return (static_cast<std::uint64_t>(device()) << 32) ^ device();
  }();
  return seed;
}

// murmur3's finaliser: every input bit moves every output bit.
std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

std::uint64_t hash_bytes(std::string_view s, std::uint64_t seed) {
  std::uint64_t h = mix(seed ^ s.size());
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, s.data() + i, 8);
    h = mix(h ^ word) + 0x9e3779b97f4a7c15ULL;
  }
  std::uint64_t tail = 0;
  std::memcpy(&tail, s.data() + i, s.size() - i);
  return mix(h ^ tail);
}

[[noreturn]] void throw_too_many_groups() {
  throw std::length_error("mpp::GroupBy: more than 2^32 - 3 groups in one partition");
}

// Dense numbers for keys, in the order they are first added, with the row each first came in.
// `Key` is std::uint64_t or std::string_view; a slot holds the key's hash and number, the keys
// themselves are kept by number (string views into the column, which outlives the table).
template <class Key>
class KeyTable {
 public:
  std::uint32_t id(Key key, std::uint64_t hash, std::size_t row) {
    if ((first_.size() + 1) * 2 > slots_.size()) grow();
    std::size_t i = hash & mask_;
    while (true) {
      Slot& slot = slots_[i];
      if (slot.id == k_no_group) {
        if (first_.size() >= k_missing) throw_too_many_groups();
        slot = {hash, static_cast<std::uint32_t>(first_.size())};
        keys_.push_back(key);
        first_.push_back(row);
        return slot.id;
      }
      if (slot.hash == hash && keys_[slot.id] == key) return slot.id;
      i = (i + 1) & mask_;
    }
  }
  std::vector<std::size_t>& first() noexcept { return first_; }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    std::uint32_t id = k_no_group;
  };
  void grow() {
    std::vector<Slot> old(slots_.empty() ? 64 : slots_.size() * 2);
    old.swap(slots_);
    mask_ = slots_.size() - 1;
    for (const Slot& slot : old) {
      if (slot.id == k_no_group) continue;
      std::size_t i = slot.hash & mask_;
      while (slots_[i].id != k_no_group) i = (i + 1) & mask_;
      slots_[i] = slot;
    }
  }

  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
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
        out.code[i] = table.id(value, hash_bytes(value, seed), i);
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
      out.code[i] = word ? table.id(*word, mix(*word ^ seed), i) : k_missing;
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
      code = table.id(word, mix(word ^ seed), i);
    }
    groups.first = std::move(table.first());
  }
  return groups;
}

Column take(const Column& column, std::span<const std::size_t> rows) {
  std::vector<bool> nulls(rows.size());
  bool any_null = false;
  for (std::size_t j = 0; j < rows.size(); ++j) {
    nulls[j] = rows[j] == k_no_row || column.is_null(rows[j]);
    any_null = any_null || nulls[j];
  }
  if (!any_null) nulls.clear();
  auto gather = [&](auto tag) {
    using T = decltype(tag);
    const std::span<const T> values = column.values<T>();
    std::vector<T> out;
    out.reserve(rows.size());
    for (std::size_t j = 0; j < rows.size(); ++j) {
      out.push_back(rows[j] == k_no_row || (any_null && nulls[j]) ? null_placeholder<T>() : values[rows[j]]);
    }
    return FrameAccess::make(column.name(), ColumnValues(std::move(out)), nulls, column.type());
  };
  switch (stored_type(column)) {
    case ColumnType::int64:
    case ColumnType::boolean:  // int64 storage
    case ColumnType::datetime:
      return gather(std::int64_t{});
    case ColumnType::float64:
      return gather(double{});
    case ColumnType::string:
      break;
  }
  return gather(std::string{});
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
