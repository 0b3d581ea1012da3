// Distinct values: drop_duplicates, unique, nunique and value_counts. Each partition of the rows
// numbers its distinct keys in order of first appearance through an open-addressing hash table of a
// seeded hash (hash_groups.hpp): linear time, and no input known in advance makes the probes long.
// The caller merges the partitions' tables in row order, so a key's first row comes from the first
// partition that has it; the members run the same code on one partition, or on the frame pool.
#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "frame/frame_keys.hpp"
#include "frame/frame_names.hpp"
#include "frame/frame_pool.hpp"
#include "frame/hash_groups.hpp"
#include "mpp/detail/frame/sections.hpp"
#include "mpp/frame.hpp"
#include "mpp/mask.hpp"

namespace mpp {
namespace detail {

namespace {

std::vector<KeyView> key_views(const Frame& keys) {
  std::vector<KeyView> views;
  views.reserve(keys.num_columns());
  for (const Column& column : keys.columns()) views.emplace_back(column);
  return views;
}

bool equal_rows(const std::vector<KeyView>& keys, std::size_t a, std::size_t b) {
  return std::ranges::all_of(keys, [&](const KeyView& key) { return key.equal(a, b); });
}

// One partition on the caller's thread, or the frame pool's partitions for a large frame.
Distinct distinct_here(const Frame& keys) {
  if (keys.num_rows() >= k_pool_rows) return distinct(frame_pool(), keys);
  Inline here;
  return distinct(here, keys);
}

// Whether any of the distinct keys is the missing value (a column has at most one such key).
bool has_missing(const Column& column, const Distinct& keys) {
  const KeyView key(column);
  return std::ranges::any_of(keys.first, [&](std::uint64_t r) { return key.missing(r); });
}

}  // namespace

Frame distinct_keys(const Frame& frame, const std::vector<std::string>& subset, const char* where) {
  if (subset.empty()) return frame;
  const FrameNames names(frame);
  std::vector<Column> keys;
  std::unordered_set<std::size_t> seen;
  for (const std::string& name : subset) {
    const std::size_t at = names.at(name, where);
    if (seen.insert(at).second) keys.push_back(frame.column(at));  // a repeated key decides nothing
  }
  return Frame(std::move(keys));
}

std::vector<DistinctPart> distinct_parts(const Frame& keys, std::size_t parts) {
  parts = std::max<std::size_t>(parts, 1);
  const std::size_t rows = keys.num_rows();
  std::vector<DistinctPart> out;
  out.reserve(parts);
  for (std::size_t k = 0; k < parts; ++k) {
    const std::size_t begin = section_begin(rows, parts, k);
    out.push_back({keys.slice(begin, section_begin(rows, parts, k + 1)), begin, hash_seed()});
  }
  return out;
}

// One numeric key column, the common case: a group's value, last row and count are kept together
// beside the table, so a probe compares with its value there (instead of reading the group's first
// row at random in the column) and updates the rest in the same cache line; and the rows go in
// batches whose slots are fetched ahead, so that the table's cache misses overlap. The hashes are
// KeyView::hash's, so merge_distinct() treats these partials as any other.
template <class T>
Distinct distinct_numeric(const DistinctPart& part, const KeyView& key, const T* column) {
  constexpr std::size_t k_batch = 16;
  struct Group {
    T value;  // the missing group's is never compared
    std::uint64_t last;
    std::int64_t count;
  };
  const std::size_t rows = part.keys.num_rows();
  Distinct out;
  HashGroups table;
  std::vector<Group> groups;
  std::uint64_t missing_group = HashGroups::k_none;
  std::array<std::uint64_t, k_batch> hashes{};
  std::array<T, k_batch> batch{};
  std::array<bool, k_batch> absent{};  // the row's key is missing
  for (std::size_t begin = 0; begin < rows; begin += k_batch) {
    const std::size_t n = std::min(k_batch, rows - begin);
    for (std::size_t i = 0; i < n; ++i) {
      batch[i] = column[begin + i] == 0 ? T{0} : column[begin + i];  // -0.0 is 0.0, as in KeyView::hash
      absent[i] = key.missing(begin + i);
      hashes[i] = absent[i] ? key.hash(part.seed, begin + i)
                            : mix64(part.seed ^ std::bit_cast<std::uint64_t>(batch[i]));
      table.prefetch(hashes[i]);
    }
    for (std::size_t i = 0; i < n; ++i) {
      const T value = batch[i];
      const bool missing = absent[i];
      const auto [g, added] = table.insert(hashes[i], [&](std::uint64_t seen) {
        return missing ? seen == missing_group : seen != missing_group && groups[seen].value == value;
      });
      const std::uint64_t row = part.start + begin + i;
      if (added) {
        if (missing) missing_group = g;
        out.first.push_back(row);
        out.hash.push_back(hashes[i]);
        groups.push_back({value, row, 1});
      } else {
        groups[g].last = row;
        ++groups[g].count;
      }
    }
  }
  out.last.reserve(groups.size());
  out.count.reserve(groups.size());
  for (const Group& group : groups) {
    out.last.push_back(group.last);
    out.count.push_back(group.count);
  }
  return out;
}

Distinct distinct_partial(const DistinctPart& part) {
  const std::size_t rows = part.keys.num_rows();
  const std::vector<KeyView> keys = key_views(part.keys);
  if (keys.size() == 1 && keys[0].ints() != nullptr) return distinct_numeric(part, keys[0], keys[0].ints());
  if (keys.size() == 1 && keys[0].doubles() != nullptr)
    return distinct_numeric(part, keys[0], keys[0].doubles());
  std::vector<std::uint64_t> hashes(rows, part.seed);
  for (const KeyView& key : keys) {
    for (std::size_t r = 0; r < rows; ++r) hashes[r] = key.hash(hashes[r], r);
  }
  Distinct out;
  HashGroups table;
  for (std::size_t r = 0; r < rows; ++r) {
    const auto [g, added] = table.insert(
        hashes[r], [&](std::uint64_t seen) { return equal_rows(keys, out.first[seen] - part.start, r); });
    const std::uint64_t row = part.start + r;
    if (added) {
      out.first.push_back(row);
      out.last.push_back(row);
      out.count.push_back(1);
      out.hash.push_back(hashes[r]);
    } else {
      out.last[g] = row;
      ++out.count[g];
    }
  }
  return out;
}

Distinct merge_distinct(const Frame& keys, std::vector<Distinct> partials) {
  if (partials.empty()) return {};
  if (partials.size() == 1) return std::move(partials.front());
  const std::vector<KeyView> views = key_views(keys);
  Distinct out;
  HashGroups table;
  for (const Distinct& part : partials) {  // in row order: a key's first partition comes first
    for (std::size_t k = 0; k < part.hash.size(); ++k) {
      const auto [g, added] = table.insert(part.hash[k], [&](std::uint64_t seen) {
        return equal_rows(views, out.first[seen], part.first[k]);
      });
      if (added) {
        out.first.push_back(part.first[k]);
        out.last.push_back(part.last[k]);
        out.count.push_back(part.count[k]);
        out.hash.push_back(part.hash[k]);
      } else {
        out.last[g] = part.last[k];
        out.count[g] += part.count[k];
      }
    }
  }
  return out;
}

Frame drop_duplicates_rows(const Frame& frame, const Distinct& keys, Keep keep) {
  Mask rows(frame.num_rows());
  for (std::size_t g = 0; g < keys.first.size(); ++g) {
    switch (keep) {
      case Keep::first:
        rows.set(keys.first[g], true);
        break;
      case Keep::last:
        rows.set(keys.last[g], true);
        break;
      case Keep::none:
        if (keys.count[g] == 1) rows.set(keys.first[g], true);
        break;
    }
  }
  return frame.filter(rows);
}

Column unique_values(const Column& column, const Distinct& keys) {
  return take(Frame{column}, keys.first).column(0);
}

std::size_t count_distinct(const Column& column, const Distinct& keys, bool dropna) {
  return keys.first.size() - (dropna && has_missing(column, keys) ? 1 : 0);
}

void check_value_counts_name(const Column& column, const ValueCountsOptions& options) {
  const char* counts = options.normalize ? "proportion" : "count";
  if (column.name() == counts) {
    throw_frame_invalid("mpp::Column::value_counts", "column '" + column.name() +
                                                         "' would share its name with the counts beside it; "
                                                         "rename it first");
  }
}

Frame count_values(const Column& column, const Distinct& keys, const ValueCountsOptions& options) {
  std::vector<std::uint64_t> order;  // keys, most frequent first, ties by first appearance
  const KeyView key(column);
  std::int64_t total = 0;
  for (std::uint64_t g = 0; g < keys.first.size(); ++g) {
    if (options.dropna && key.missing(keys.first[g])) continue;
    order.push_back(g);
    total += keys.count[g];
  }
  std::ranges::stable_sort(order,
                           [&](std::uint64_t a, std::uint64_t b) { return keys.count[a] > keys.count[b]; });
  std::vector<std::uint64_t> rows;
  rows.reserve(order.size());
  for (const std::uint64_t g : order) rows.push_back(keys.first[g]);
  Column values = take(Frame{column}, rows).column(0);
  if (options.normalize) {
    std::vector<double> share;
    share.reserve(order.size());
    for (const std::uint64_t g : order)
      share.push_back(static_cast<double>(keys.count[g]) / static_cast<double>(total));
    return Frame{std::move(values), Column("proportion", std::move(share))};
  }
  std::vector<std::int64_t> count;
  count.reserve(order.size());
  for (const std::uint64_t g : order) count.push_back(keys.count[g]);
  return Frame{std::move(values), Column("count", std::move(count))};
}

}  // namespace detail

Frame Frame::drop_duplicates() const { return drop_duplicates({}, Keep::first); }

Frame Frame::drop_duplicates(const std::vector<std::string>& subset) const {
  return drop_duplicates(subset, Keep::first);
}

Frame Frame::drop_duplicates(const std::vector<std::string>& subset, Keep keep) const {
  const Frame keys = detail::distinct_keys(*this, subset, "mpp::Frame::drop_duplicates");
  return detail::drop_duplicates_rows(*this, detail::distinct_here(keys), keep);
}

Column Column::unique() const { return detail::unique_values(*this, detail::distinct_here(Frame{*this})); }

std::size_t Column::nunique(bool dropna) const {
  return detail::count_distinct(*this, detail::distinct_here(Frame{*this}), dropna);
}

Frame Column::value_counts() const { return value_counts(ValueCountsOptions{}); }

Frame Column::value_counts(const ValueCountsOptions& options) const {
  detail::check_value_counts_name(*this, options);
  return detail::count_values(*this, detail::distinct_here(Frame{*this}), options);
}

}  // namespace mpp
