// Distinct values: drop_duplicates, unique, nunique and value_counts. Each numbers the rows' distinct
// keys in order of first appearance through one open-addressing hash table of a seeded hash
// (frame_keys.hpp): linear time, and no input known in advance makes the probes long.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "frame/frame_keys.hpp"
#include "frame/frame_names.hpp"
#include "mpp/frame.hpp"

namespace mpp {
namespace detail {

std::uint64_t hash_seed() noexcept {
  static const std::uint64_t seed = [] {
    try {
      std::random_device device;
      return (static_cast<std::uint64_t>(device()) << 32U) ^ device();
    } catch (...) {  // no entropy source: the address of a local still varies with ASLR
      int local = 0;
      return mix64(reinterpret_cast<std::uintptr_t>(&local));  // NOLINT(*-reinterpret-cast)
    }
  }();
  return seed;
}

namespace {

// The rows' keys numbered 0, 1, ... in order of first appearance.
struct Groups {
  std::vector<std::uint64_t> of_row;  // each row's group
  std::vector<std::uint64_t> first;   // each group's first row
};

Groups group_rows(const std::vector<KeyView>& keys, std::size_t rows) {
  const auto equal = [&](std::size_t a, std::size_t b) {
    return std::ranges::all_of(keys, [&](const KeyView& key) { return key.equal(a, b); });
  };
  std::vector<std::uint64_t> hashes(rows, hash_seed());
  for (const KeyView& key : keys) {
    for (std::size_t r = 0; r < rows; ++r) hashes[r] = key.hash(hashes[r], r);
  }
  Groups groups;
  groups.of_row.resize(rows);
  std::vector<std::uint64_t> slots(16, 0);  // a group + 1; 0: empty. At most half full.
  for (std::size_t r = 0; r < rows; ++r) {
    std::size_t mask = slots.size() - 1;
    std::size_t at = hashes[r] & mask;
    while (slots[at] != 0 && !equal(groups.first[slots[at] - 1], r)) at = (at + 1) & mask;
    if (slots[at] != 0) {
      groups.of_row[r] = slots[at] - 1;
      continue;
    }
    groups.of_row[r] = groups.first.size();
    groups.first.push_back(r);
    slots[at] = groups.first.size();
    if (2 * groups.first.size() > slots.size()) {
      std::vector<std::uint64_t> grown(2 * slots.size(), 0);
      mask = grown.size() - 1;
      for (std::size_t g = 0; g < groups.first.size(); ++g) {
        std::size_t to = hashes[groups.first[g]] & mask;
        while (grown[to] != 0) to = (to + 1) & mask;
        grown[to] = g + 1;
      }
      slots = std::move(grown);
    }
  }
  return groups;
}

Groups group_column(const Column& column) { return group_rows({KeyView(column)}, column.size()); }

// The group of the missing values, if any row is missing.
std::optional<std::uint64_t> missing_group(const Column& column, const Groups& groups) {
  const KeyView key(column);
  for (std::size_t g = 0; g < groups.first.size(); ++g) {
    if (key.missing(groups.first[g])) return g;
  }
  return std::nullopt;
}

}  // namespace
}  // namespace detail

Frame Frame::drop_duplicates() const { return drop_duplicates({}, Keep::first); }

Frame Frame::drop_duplicates(const std::vector<std::string>& subset) const {
  return drop_duplicates(subset, Keep::first);
}

Frame Frame::drop_duplicates(const std::vector<std::string>& subset, Keep keep) const {
  const detail::FrameNames names(*this);
  std::vector<detail::KeyView> keys;
  for (const std::string& name : subset)
    keys.emplace_back(columns_[names.at(name, "mpp::Frame::drop_duplicates")]);
  if (subset.empty()) {
    for (const Column& c : columns_) keys.emplace_back(c);
  }
  const detail::Groups groups = detail::group_rows(keys, rows_);
  std::vector<std::uint64_t> seen(groups.first.size(), 0);
  for (const std::uint64_t g : groups.of_row) ++seen[g];
  Mask rows(rows_);
  for (std::size_t r = 0; r < rows_; ++r) {
    const std::uint64_t g = groups.of_row[r];
    switch (keep) {
      case Keep::first:
        rows.set(r, groups.first[g] == r);
        break;
      case Keep::last:
        rows.set(r, --seen[g] == 0);  // counts down to the group's last row
        break;
      case Keep::none:
        rows.set(r, seen[g] == 1);
        break;
    }
  }
  return filter(rows);
}

Column Column::unique() const {
  const detail::Groups groups = detail::group_column(*this);
  return detail::take(Frame{*this}, groups.first).column(0);
}

std::size_t Column::nunique(bool dropna) const {
  const detail::Groups groups = detail::group_column(*this);
  return groups.first.size() - (dropna && detail::missing_group(*this, groups) ? 1 : 0);
}

Frame Column::value_counts() const { return value_counts(ValueCountsOptions{}); }

Frame Column::value_counts(const ValueCountsOptions& options) const {
  const detail::Groups groups = detail::group_column(*this);
  std::vector<std::int64_t> counts(groups.first.size(), 0);
  for (const std::uint64_t g : groups.of_row) ++counts[g];
  std::vector<std::uint64_t> order;  // groups, most frequent first, ties by first appearance
  const std::optional<std::uint64_t> missing = detail::missing_group(*this, groups);
  std::int64_t total = 0;
  for (std::uint64_t g = 0; g < groups.first.size(); ++g) {
    if (options.dropna && g == missing) continue;
    order.push_back(g);
    total += counts[g];
  }
  std::ranges::stable_sort(order, [&](std::uint64_t a, std::uint64_t b) { return counts[a] > counts[b]; });
  std::vector<std::uint64_t> rows;
  rows.reserve(order.size());
  for (const std::uint64_t g : order) rows.push_back(groups.first[g]);
  Column values = detail::take(Frame{*this}, rows).column(0);
  if (options.normalize) {
    std::vector<double> share;
    share.reserve(order.size());
    for (const std::uint64_t g : order)
      share.push_back(static_cast<double>(counts[g]) / static_cast<double>(total));
    return Frame{std::move(values), Column("proportion", std::move(share))};
  }
  std::vector<std::int64_t> count;
  count.reserve(order.size());
  for (const std::uint64_t g : order) count.push_back(counts[g]);
  return Frame{std::move(values), Column("count", std::move(count))};
}

}  // namespace mpp
