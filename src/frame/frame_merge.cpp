// pd.merge: checks the keys, probes a hash table of the build side's keys (merge_probe, the part a
// pool runs in parallel), orders the matched rows as pandas 1.5.3 does (frame_merge_pairs.cpp) and
// gathers the columns.
#include "mpp/frame_merge.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include "frame/frame_keys.hpp"
#include "frame/frame_merge_keys.hpp"
#include "frame/frame_merge_pairs.hpp"
#include "frame/frame_names.hpp"
#include "frame/frame_pool.hpp"
#include "frame/frame_ranges.hpp"
#include "frame/fresh_array.hpp"
#include "frame/hash_groups.hpp"
#include "mpp/pool.hpp"

namespace mpp {
namespace {

constexpr const char* k_where = "mpp::merge";

bool is_number(ColumnType type) { return type == ColumnType::int64 || type == ColumnType::float64; }
const char* key_kind(ColumnType type) { return is_number(type) ? "number" : to_string(type); }

// A column's values read in place, as T (its own type, or double from int64).
template <class T>
struct Source {
  explicit Source(const Column& column) : type(detail::stored_type(column)) {
    const detail::ColumnData& data = detail::FrameAccess::data(column);
    const std::size_t offset = detail::FrameAccess::offset(column);
    nulls = data.null_flags() == nullptr ? nullptr : data.null_flags() + offset;
    if (type == ColumnType::int64) {
      ints = data.data<std::int64_t>() + offset;
    } else if constexpr (!std::is_same_v<T, std::int64_t>) {
      own = data.data<T>() + offset;
    }
  }
  // Row `row`'s value into `value`; false for a null.
  bool read(std::size_t row, T& value) const {
    if (nulls != nullptr && nulls[row] != 0) return false;
    if constexpr (std::is_same_v<T, std::string>) {
      value = own[row];
    } else {
      value = type == ColumnType::int64 ? static_cast<T>(ints[row]) : own[row];
    }
    return true;
  }
  ColumnType type;
  const std::uint8_t* nulls = nullptr;
  const std::int64_t* ints = nullptr;
  const T* own = nullptr;
};

// `column`'s rows at `rows` (-1: null), as type T (the column's own, or float64 from int64); where a
// row is -1 and `fallback` is given, the fallback's row at `fallback_rows` instead.
// The rows are read in ranges on mpp's frame pool for a large result (random reads: two threads
// keep twice as many misses in flight); each range notes its nulls, so a result without any costs
// no flag array.
template <class T>
Column gather(ColumnType type, const std::string& name, const Column& column,
              const std::vector<std::int64_t>& rows, const Column* fallback,
              const std::vector<std::int64_t>* fallback_rows) {
  std::vector<T> values;
  detail::size_in_ranges(values, rows.size(), detail::null_placeholder<T>());
  const std::size_t parts = detail::range_count(rows.size());
  std::vector<std::vector<std::size_t>> null_rows(parts);
  const Source<T> from(column);
  // Not a std::optional: g++ 12 then warns (-Wmaybe-uninitialized, falsely) in optimised builds.
  const bool has_fallback = fallback != nullptr;
  const Source<T> other(has_fallback ? *fallback : column);
  detail::for_ranges(rows.size(), parts, [&](std::size_t part, std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      bool ok = false;
      if (rows[i] >= 0) {
        ok = from.read(static_cast<std::size_t>(rows[i]), values[i]);
      } else if (has_fallback && (*fallback_rows)[i] >= 0) {
        ok = other.read(static_cast<std::size_t>((*fallback_rows)[i]), values[i]);
      }
      if (!ok) {
        values[i] = detail::null_placeholder<T>();
        null_rows[part].push_back(i);
      }
    }
  });
  std::vector<bool> nulls;
  for (const std::vector<std::size_t>& part : null_rows) {
    if (!part.empty() && nulls.empty()) nulls.resize(rows.size(), false);
    for (const std::size_t i : part) nulls[i] = true;
  }
  return detail::FrameAccess::make(name, detail::ColumnValues(std::move(values)), nulls, type);
}

Column gather_as(ColumnType type, const std::string& name, const Column& column,
                 const std::vector<std::int64_t>& rows, const Column* fallback = nullptr,
                 const std::vector<std::int64_t>* fallback_rows = nullptr) {
  switch (type) {
    case ColumnType::int64:
    case ColumnType::boolean:
    case ColumnType::datetime:
      return gather<std::int64_t>(type, name, column, rows, fallback, fallback_rows);
    case ColumnType::float64:
      return gather<double>(type, name, column, rows, fallback, fallback_rows);
    case ColumnType::string:
      break;
  }
  return gather<std::string>(type, name, column, rows, fallback, fallback_rows);
}

// The key names of each side, checked.
std::pair<std::vector<std::string>, std::vector<std::string>> key_names(const MergeOptions& options) {
  const bool by_on = !options.on.empty();
  const bool by_sides = !options.left_on.empty() || !options.right_on.empty();
  if (by_on == by_sides) {
    detail::throw_frame_invalid(k_where,
                                by_on ? "give the keys as `on` or as `left_on` and `right_on`, not both"
                                      : "no key columns: give `on`, or `left_on` and `right_on`");
  }
  const std::vector<std::string>& left = by_on ? options.on : options.left_on;
  const std::vector<std::string>& right = by_on ? options.on : options.right_on;
  if (left.size() != right.size()) {
    detail::throw_frame_invalid(k_where, "left_on names " + std::to_string(left.size()) +
                                             " columns and right_on " + std::to_string(right.size()) +
                                             ": they must name as many");
  }
  // A key pair given twice says nothing more and counts once (pandas accepts on=["k", "k"]); a
  // column paired with two different ones would be two columns of one name among the keys.
  std::pair<std::vector<std::string>, std::vector<std::string>> names;
  std::unordered_map<std::string, std::string> left_pair;
  std::unordered_map<std::string, std::string> right_pair;
  for (std::size_t k = 0; k < left.size(); ++k) {
    const auto [l, new_left] = left_pair.emplace(left[k], right[k]);
    const auto [r, new_right] = right_pair.emplace(right[k], left[k]);
    if (!new_left && !new_right && l->second == right[k]) continue;
    if (!new_left || !new_right) {  // only with left_on and right_on: `on` pairs a name with itself
      std::string what = new_left ? "right_on names '" + right[k] : "left_on names '" + left[k];
      detail::throw_frame_invalid(k_where, what.append("' twice, paired with different columns"));
    }
    names.first.push_back(left[k]);
    names.second.push_back(right[k]);
  }
  return names;
}

// Every key is a column of its side: the error says which side lacks which key, where select()
// would only name the column.
void check_keys(const Frame& frame, const std::vector<std::string>& names, const char* side,
                const char* option) {
  const detail::FrameNames columns(frame);  // hashed: linear time however many keys and columns
  for (const std::string& name : names) {
    if (columns.find(name)) continue;
    std::string what = k_where;
    what.append(": the ").append(side).append(" frame has no column named '").append(name);
    throw std::out_of_range(what.append("' (a key in `").append(option).append("`)"));
  }
}

// The parts' groups as one vector, copied in ranges on the frame pool.
std::vector<std::int64_t> concatenate(std::vector<std::vector<std::int64_t>> parts) {
  if (parts.size() == 1) return std::move(parts.front());
  std::vector<std::size_t> starts{0};
  for (const std::vector<std::int64_t>& part : parts) starts.push_back(starts.back() + part.size());
  std::vector<std::int64_t> all;
  detail::size_in_ranges(all, starts.back());
  detail::for_ranges(all.size(), [&](std::size_t, std::size_t begin, std::size_t end) {
    // The parts that meet [begin, end), each copied where the two overlap.
    for (std::size_t k = 0; k < parts.size(); ++k) {
      const std::size_t from = std::max(begin, starts[k]);
      const std::size_t to = std::min(end, starts[k + 1]);
      if (from < to)
        std::copy(parts[k].begin() + static_cast<std::ptrdiff_t>(from - starts[k]),
                  parts[k].begin() + static_cast<std::ptrdiff_t>(to - starts[k]),
                  all.begin() + static_cast<std::ptrdiff_t>(from));
    }
  });
  return all;
}

// One key column stored as int64 (int64, bool, datetime: merge_keys() lets such a key meet only its
// own type).
bool one_int64_key(const Frame& keys) {
  return keys.num_columns() == 1 && detail::stored_type(keys.column(0)) == ColumnType::int64;
}

// merge_probe() for one int64 key on each side, the common merge: the table compares the values
// themselves, kept per group in one array, and the probe fetches the slots of 16 rows ahead. The
// groups are numbered in the order the build side first has them, as MergeTable numbers them, and
// missing keys meet missing keys.
std::vector<std::int64_t> probe_int64(const Frame& probe_keys, const Frame& build_keys) {
  constexpr std::size_t k_batch = 16;
  const Source<std::int64_t> build(build_keys.column(0));
  const Source<std::int64_t> probe(probe_keys.column(0));
  const std::uint64_t seed = detail::hash_seed();
  const std::uint64_t missing_hash = detail::mix64(seed ^ 0x9e3779b97f4a7c15ULL) + 1;
  detail::HashGroups table(build_keys.num_rows());
  std::vector<std::int64_t> key_of;  // per group; the missing group's is never compared
  std::uint64_t missing_group = detail::HashGroups::k_none;
  for (std::size_t b = 0; b < build_keys.num_rows(); ++b) {
    std::int64_t v = 0;
    const bool missing = !build.read(b, v);
    const std::uint64_t h = missing ? missing_hash : detail::mix64(seed ^ static_cast<std::uint64_t>(v));
    const auto [g, added] = table.insert(h, [&](std::uint64_t seen) {
      return missing ? seen == missing_group : seen != missing_group && key_of[seen] == v;
    });
    if (!added) continue;
    if (missing) missing_group = g;
    key_of.push_back(v);
  }
  const std::size_t rows = probe_keys.num_rows();
  std::vector<std::int64_t> out(rows);
  std::array<std::uint64_t, k_batch> hashes{};
  std::array<std::int64_t, k_batch> values{};
  std::array<bool, k_batch> absent{};
  for (std::size_t begin = 0; begin < rows; begin += k_batch) {
    const std::size_t n = std::min(k_batch, rows - begin);
    for (std::size_t i = 0; i < n; ++i) {
      absent[i] = !probe.read(begin + i, values[i]);
      hashes[i] = absent[i] ? missing_hash : detail::mix64(seed ^ static_cast<std::uint64_t>(values[i]));
      table.prefetch(hashes[i]);
    }
    for (std::size_t i = 0; i < n; ++i) {
      const std::int64_t v = values[i];
      const bool missing = absent[i];
      const std::uint64_t g = table.find(hashes[i], [&](std::uint64_t seen) {
        return missing ? seen == missing_group : seen != missing_group && key_of[seen] == v;
      });
      out[begin + i] = g == detail::HashGroups::k_none ? -1 : static_cast<std::int64_t>(g);
    }
  }
  return out;
}

}  // namespace

namespace detail {

MergeKeys merge_keys(const Frame& left, const Frame& right, const MergeOptions& options) {
  const auto [left_names, right_names] = key_names(options);
  const bool by_on = !options.on.empty();
  check_keys(left, left_names, "left", by_on ? "on" : "left_on");
  check_keys(right, right_names, "right", by_on ? "on" : "right_on");
  Frame left_keys = left.select(left_names);
  Frame right_keys = right.select(right_names);
  for (std::size_t k = 0; k < left_names.size(); ++k) {
    const ColumnType a = left_keys.column(k).type();
    const ColumnType b = right_keys.column(k).type();
    // Numbers merge with numbers; a string, bool or datetime key only with its own type (pandas
    // refuses datetime64 with int64, and mpp a bool with a number).
    if (a != b && !(is_number(a) && is_number(b))) {
      throw_frame_invalid(k_where, "key column '" + left_names[k] + "' of left is " + to_string(a) +
                                       " and key column '" + right_names[k] + "' of right is " +
                                       to_string(b) + ": a " + key_kind(a) + " key cannot be merged with a " +
                                       key_kind(b) + " key");
    }
  }
  if (options.how == MergeHow::right) return {std::move(right_keys), std::move(left_keys)};
  return {std::move(left_keys), std::move(right_keys)};
}

std::vector<std::int64_t> merge_probe(const MergeProbe& part) {
  if (one_int64_key(part.probe) && one_int64_key(part.build)) return probe_int64(part.probe, part.build);
  const MergeKeySide build(part.build);
  const MergeKeySide probe(part.probe);
  MergeTable table(build.rows());
  for (std::size_t b = 0; b < build.rows(); ++b) table.insert(build, b);
  std::vector<std::int64_t> out(probe.rows());
  for (std::size_t p = 0; p < probe.rows(); ++p) out[p] = table.find(probe, p);
  return out;
}

Frame merge_finish(const Frame& left, const Frame& right, const MergeOptions& options, const MergeKeys& keys,
                   std::vector<std::vector<std::int64_t>> found) {
  MergePairs pairs = pair_rows(keys, concatenate(std::move(found)), options.how);
  const bool swapped = options.how == MergeHow::right;
  const std::vector<std::int64_t>& left_rows = swapped ? pairs.build : pairs.probe;
  const std::vector<std::int64_t>& right_rows = swapped ? pairs.probe : pairs.build;

  // Keys of one name on both sides are one column, where left has it.
  const auto [left_names, right_names] = key_names(options);
  std::unordered_set<std::string> shared_keys;
  for (std::size_t k = 0; k < left_names.size(); ++k) {
    if (left_names[k] == right_names[k]) shared_keys.insert(left_names[k]);
  }
  std::unordered_set<std::string> left_others;
  for (const Column& c : left.columns()) {
    if (shared_keys.count(c.name()) == 0) left_others.insert(c.name());
  }
  std::unordered_set<std::string> right_others;
  for (const Column& c : right.columns()) {
    if (shared_keys.count(c.name()) == 0) right_others.insert(c.name());
  }
  const bool from_left_only = options.how == MergeHow::inner || options.how == MergeHow::left;

  std::vector<Column> out;
  const FrameNames right_names_index(right);
  for (const Column& c : left.columns()) {
    if (shared_keys.count(c.name()) != 0) {
      const Column& r = right.column(right_names_index.at(c.name(), k_where));
      const ColumnType type = c.type() == r.type() || from_left_only ? c.type() : ColumnType::float64;
      out.push_back(gather_as(type, c.name(), c, left_rows, &r, &right_rows));
      continue;
    }
    const std::string name = right_others.count(c.name()) != 0 ? c.name() + options.left_suffix : c.name();
    out.push_back(gather_as(c.type(), name, c, left_rows));
  }
  for (const Column& c : right.columns()) {
    if (shared_keys.count(c.name()) != 0) continue;
    const std::string name = left_others.count(c.name()) != 0 ? c.name() + options.right_suffix : c.name();
    out.push_back(gather_as(c.type(), name, c, right_rows));
  }
  return Frame(std::move(out));
}

}  // namespace detail

Frame merge(const Frame& left, const Frame& right, const MergeOptions& options) {
  if (left.num_rows() + right.num_rows() >= detail::k_pool_rows) {
    return merge(detail::frame_pool(), left, right, options);
  }
  const detail::MergeKeys keys = detail::merge_keys(left, right, options);
  std::vector<std::vector<std::int64_t>> groups;
  groups.push_back(detail::merge_probe({keys.probe, keys.build}));
  return detail::merge_finish(left, right, options, keys, std::move(groups));
}

}  // namespace mpp
