// sort_values: a stable order of the rows by key columns, then the rows gathered in that order. One
// numeric key sorts by LSD radix on its bits made unsigned-ordered (stable by construction); other
// keys by std::stable_sort. On a pool each worker orders a partition and the caller merges them (by
// the numbers a numeric key's workers send), then gathers the rows in ranges on the frame pool.
#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <span>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "frame/frame_keys.hpp"
#include "frame/frame_names.hpp"
#include "frame/frame_pool.hpp"
#include "frame/frame_ranges.hpp"
#include "frame/frame_take.hpp"
#include "frame/fresh_array.hpp"
#include "mpp/frame.hpp"
#include "mpp/pool.hpp"

namespace mpp {
namespace detail {
namespace {

// The keys of a part in the order they decide, missing values placed as the options say.
class RowOrder {
 public:
  explicit RowOrder(const SortPart& part) : nulls_first_(part.options.na_position == NaPosition::first) {
    for (std::size_t k = 0; k < part.keys.num_columns(); ++k) {
      keys_.emplace_back(part.keys.column(k));
      ascending_.push_back(part.options.ascending[k]);
    }
  }

  // Whether row a comes before row b (false for equal keys: a stable sort keeps their order).
  bool operator()(std::uint64_t a, std::uint64_t b) const noexcept {
    for (std::size_t k = 0; k < keys_.size(); ++k) {
      const KeyView& key = keys_[k];
      const bool ma = key.missing(a);
      const bool mb = key.missing(b);
      if (ma || mb) {
        if (ma && mb) continue;
        return ma == nulls_first_;
      }
      const int c = key.compare(a, b);
      if (c != 0) return ascending_[k] ? c < 0 : c > 0;
    }
    return false;
  }

 private:
  std::vector<KeyView> keys_;
  std::vector<bool> ascending_;
  bool nulls_first_;
};

// A number's bits as an unsigned integer in the number's order (-0.0 as 0.0).
std::uint64_t ordered_bits(std::int64_t v) noexcept { return static_cast<std::uint64_t>(v) ^ (1ULL << 63U); }
std::uint64_t ordered_bits(double v) noexcept {
  const auto bits = std::bit_cast<std::uint64_t>(v == 0 ? 0.0 : v);
  return (bits >> 63U) != 0 ? ~bits : bits | (1ULL << 63U);
}

struct Keyed {
  std::uint64_t key;
  std::uint64_t row;
};

// LSD radix sort by `key`, a byte at a time; bytes every key shares are skipped.
void radix_sort(std::vector<Keyed>& items) {
  std::array<std::array<std::size_t, 256>, 8> counts{};
  for (const Keyed& item : items) {
    for (std::size_t d = 0; d < 8; ++d) ++counts[d][(item.key >> (8 * d)) & 0xffU];
  }
  std::vector<Keyed> other(items.size());
  for (std::size_t d = 0; d < 8; ++d) {
    std::array<std::size_t, 256>& count = counts[d];
    if (std::ranges::find(count, items.size()) != count.end()) continue;
    std::size_t sum = 0;
    for (std::size_t& c : count) sum += std::exchange(c, sum);
    for (const Keyed& item : items) other[count[(item.key >> (8 * d)) & 0xffU]++] = item;
    items.swap(other);
  }
}

// One numeric key: the missing rows in order, the others radix-sorted with their keys, placed as
// the options say.
template <class T>
SortRun numeric_order(const KeyView& key, const T* values, std::size_t n, const SortOptions& options) {
  std::vector<Keyed> items;
  items.reserve(n);
  std::vector<std::uint64_t> missing;
  const std::uint64_t flip = options.ascending[0] ? 0 : ~0ULL;
  for (std::size_t r = 0; r < n; ++r) {
    if (key.missing(r)) {
      missing.push_back(r);
    } else {
      items.push_back({ordered_bits(values[r]) ^ flip, r});
    }
  }
  radix_sort(items);
  SortRun run;
  run.keyed = true;
  run.missing = missing.size();
  if (options.na_position == NaPosition::first) run.order = std::move(missing);
  run.order.reserve(n);
  run.keys.reserve(items.size());
  for (const Keyed& item : items) {
    run.order.push_back(item.row);
    run.keys.push_back(item.key);
  }
  if (options.na_position == NaPosition::last)
    run.order.insert(run.order.end(), missing.begin(), missing.end());
  return run;
}

// The rows of keyed runs that are not missing, with their keys.
struct KeyedRows {
  std::vector<std::uint64_t> keys;
  std::vector<std::uint64_t> rows;
};

// How many of the first `k` rows of a's and b's merge come from `a` (a merge path's split): on equal
// keys a's rows come first.
std::size_t taken_from_a(const KeyedRows& a, const KeyedRows& b, std::size_t k) {
  std::size_t lo = k > b.rows.size() ? k - b.rows.size() : 0;
  std::size_t hi = std::min(k, a.rows.size());
  while (lo < hi) {
    const std::size_t mid = lo + (hi - lo) / 2;
    // a's row `mid` comes before b's row k - mid - 1 unless that key is smaller: then take more of a.
    if (b.keys[k - mid - 1] < a.keys[mid]) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

// `a` and then `b` merged by key; on equal keys a's rows first, so neighbours merged in row order
// stay stable. A large merge runs in ranges of the result on the frame pool, each starting where the
// merge path splits.
KeyedRows merge_keyed(const KeyedRows& a, const KeyedRows& b) {
  const std::size_t n = a.rows.size() + b.rows.size();
  KeyedRows out;
  size_in_ranges(out.keys, n);
  size_in_ranges(out.rows, n);
  for_ranges(n, [&](std::size_t, std::size_t begin, std::size_t end) {
    std::size_t i = taken_from_a(a, b, begin);
    std::size_t j = begin - i;
    for (std::size_t k = begin; k < end; ++k) {
      const bool from_b = i == a.rows.size() || (j < b.rows.size() && b.keys[j] < a.keys[i]);
      if (from_b) {
        out.keys[k] = b.keys[j];
        out.rows[k] = b.rows[j++];
      } else {
        out.keys[k] = a.keys[i];
        out.rows[k] = a.rows[i++];
      }
    }
  });
  return out;
}

// Runs of one numeric key (every run keyed), their rows already counted from 0 of the whole:
// merged by the numbers, one sequential pass per round of neighbours, the missing rows of every
// run together in row order where the options place them.
std::vector<std::uint64_t> merge_keyed_runs(std::vector<SortRun>& runs, NaPosition na_position) {
  const bool missing_first = na_position == NaPosition::first;
  std::vector<std::uint64_t> missing;
  std::vector<KeyedRows> keyed;
  for (SortRun& run : runs) {
    const auto placed = static_cast<std::ptrdiff_t>(missing_first ? run.missing : 0);
    const auto rows_begin = run.order.begin() + placed;
    const auto rows_end = rows_begin + static_cast<std::ptrdiff_t>(run.keys.size());
    missing.insert(missing.end(), missing_first ? run.order.begin() : rows_end,
                   missing_first ? rows_begin : run.order.end());
    if (run.missing == 0) {
      keyed.push_back({std::move(run.keys), std::move(run.order)});
    } else {
      keyed.push_back({std::move(run.keys), std::vector<std::uint64_t>(rows_begin, rows_end)});
    }
    run.order = {};
  }
  while (keyed.size() > 1) {
    std::vector<KeyedRows> merged;
    for (std::size_t k = 0; k + 1 < keyed.size(); k += 2)
      merged.push_back(merge_keyed(keyed[k], keyed[k + 1]));
    if (keyed.size() % 2 == 1) merged.push_back(std::move(keyed.back()));
    keyed = std::move(merged);
  }
  std::vector<std::uint64_t>& rows = keyed.front().rows;
  if (missing.empty()) return std::move(rows);
  if (missing_first) {
    missing.insert(missing.end(), rows.begin(), rows.end());
    return missing;
  }
  rows.insert(rows.end(), missing.begin(), missing.end());
  return std::move(rows);
}

}  // namespace

SortPart sort_keys(const Frame& frame, const std::vector<std::string>& by, const SortOptions& options) {
  const char* where = "mpp::Frame::sort_values";
  if (options.ascending.size() > 1 && options.ascending.size() != by.size()) {
    throw_frame_invalid(where, std::to_string(options.ascending.size()) + " ascending flags for " +
                                   std::to_string(by.size()) + " keys: give one, or one per key");
  }
  const FrameNames names(frame);
  std::vector<Column> keys;
  SortPart part;
  part.options.na_position = options.na_position;
  std::unordered_set<std::size_t> seen;
  for (std::size_t k = 0; k < by.size(); ++k) {
    const std::size_t at = names.at(by[k], where);
    if (!seen.insert(at).second) continue;  // a repeated key never breaks a tie
    keys.push_back(frame.column(at));
    part.options.ascending.push_back(options.ascending.empty() ||
                                     options.ascending[options.ascending.size() == 1 ? 0 : k]);
  }
  part.keys = Frame(std::move(keys));
  return part;
}

SortRun sort_order(const SortPart& part) {
  const std::size_t n = part.keys.num_rows();
  if (part.keys.num_columns() == 1) {
    const KeyView key(part.keys.column(0));
    if (key.ints() != nullptr) return numeric_order(key, key.ints(), n, part.options);
    if (key.doubles() != nullptr) return numeric_order(key, key.doubles(), n, part.options);
  }
  SortRun run;
  run.order.resize(n);
  std::iota(run.order.begin(), run.order.end(), std::uint64_t{0});
  std::stable_sort(run.order.begin(), run.order.end(), RowOrder(part));
  return run;
}

std::vector<std::uint64_t> merge_orders(const SortPart& keys, std::vector<SortRun> sorted,
                                        std::span<const std::size_t> starts) {
  for (std::size_t k = 0; k < sorted.size(); ++k) {
    for (std::uint64_t& r : sorted[k].order) r += starts[k];
  }
  if (sorted.empty()) return {};
  if (sorted.size() == 1) return std::move(sorted.front().order);
  if (std::ranges::all_of(sorted, [](const SortRun& run) { return run.keyed; }))
    return merge_keyed_runs(sorted, keys.options.na_position);
  std::vector<std::vector<std::uint64_t>> runs;
  runs.reserve(sorted.size());
  for (SortRun& run : sorted) runs.push_back(std::move(run.order));
  const RowOrder before(keys);
  // Neighbours merged pairwise, so a run only meets runs of later rows after earlier ones: on equal
  // keys std::merge takes the first range's rows first, which keeps the sort stable.
  while (runs.size() > 1) {
    std::vector<std::vector<std::uint64_t>> merged;
    for (std::size_t k = 0; k + 1 < runs.size(); k += 2) {
      std::vector<std::uint64_t> out(runs[k].size() + runs[k + 1].size());
      std::merge(runs[k].begin(), runs[k].end(), runs[k + 1].begin(), runs[k + 1].end(), out.begin(), before);
      merged.push_back(std::move(out));
    }
    if (runs.size() % 2 == 1) merged.push_back(std::move(runs.back()));
    runs = std::move(merged);
  }
  return std::move(runs.front());
}

Frame take(const Frame& frame, std::span<const std::uint64_t> order) {
  std::vector<Column> out;
  out.reserve(frame.num_columns());
  for (const Column& column : frame.columns()) out.push_back(take(column, order));
  return Frame(std::move(out));
}

}  // namespace detail

Frame Frame::sort_values(const std::vector<std::string>& by) const { return sort_values(by, SortOptions{}); }

Frame Frame::sort_values(const std::vector<std::string>& by, const SortOptions& options) const {
  if (rows_ >= detail::k_pool_rows) return mpp::sort_values(detail::frame_pool(), *this, by, options);
  detail::Inline here;
  return mpp::sort_values(here, *this, by, options);
}

Column Column::sort_values() const { return sort_values(SortOptions{}); }

Column Column::sort_values(const SortOptions& options) const {
  return Frame{*this}.sort_values({name()}, options).column(0);
}

}  // namespace mpp
