// GroupBy: each partition aggregated apart (group_partial: its groups and per aggregation a state
// frame), then the partitions' states merged by the same per-group arithmetic, run over the
// concatenated states with each partial group's global number as its code.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "frame/frame_names.hpp"
#include "frame/frame_pool.hpp"
#include "frame/frame_take.hpp"
#include "group_codes.hpp"
#include "groupby_state.hpp"
#include "mpp/frame.hpp"
#include "mpp/pool.hpp"

namespace mpp {

const char* to_string(Agg agg) noexcept {
  switch (agg) {
    case Agg::sum:
      return "sum";
    case Agg::mean:
      return "mean";
    case Agg::min:
      return "min";
    case Agg::max:
      return "max";
    case Agg::count:
      return "count";
    case Agg::size:
      return "size";
    case Agg::std:
      return "std";
    case Agg::var:
      return "var";
    case Agg::first:
      return "first";
    case Agg::last:
      return "last";
    case Agg::nunique:
      return "nunique";
  }
  return "?";
}

namespace detail {
namespace {

// What pandas computes: sum, mean, std and var of numbers and bools (True counts 1), every
// aggregation that only picks or counts values (min, max, first, last, count, nunique) of any type.
bool allowed(Agg agg, ColumnType type) {
  const bool arithmetic = agg == Agg::sum || agg == Agg::mean || agg == Agg::std || agg == Agg::var;
  return !arithmetic || (type != ColumnType::string && type != ColumnType::datetime);
}

Column int_column(std::string name, std::vector<std::int64_t> values) {
  return {std::move(name), std::move(values)};
}
Column float_column(std::string name, std::vector<double> values) {
  return {std::move(name), std::move(values)};
}

std::vector<std::size_t> pick(const Column& column, Codes codes, std::size_t groups, Agg agg) {
  return pick_rows(column, codes, groups, agg == Agg::first, agg == Agg::last, agg == Agg::min ? -1 : 1);
}

// The distinct (group, value) pairs of a column whose values' groups are `groups` (null: none).
Frame distinct_pairs(const Column& groups, const Column& values) {
  const std::vector<Column> both{groups, values.rename("v")};
  const GroupCodes pairs = factorize(both, true);
  return Frame(std::vector<Column>{take(both[0], pairs.first), take(both[1], pairs.first)});
}

// Codes as an int64 column, null where a row is in no group.
Column code_column(Codes codes) {
  std::vector<std::int64_t> values(codes.size());
  std::vector<bool> nulls(codes.size());
  for (std::size_t i = 0; i < codes.size(); ++i) {
    values[i] = codes[i] == k_no_group ? 0 : codes[i];
    nulls[i] = codes[i] == k_no_group;
  }
  return {"g", std::move(values), nulls};
}

Frame partial_state(const Column& column, Agg agg, Codes codes, std::size_t groups) {
  switch (agg) {
    case Agg::size:
      return Frame{int_column("n", group_sizes(codes, groups))};
    case Agg::count:
      return Frame{int_column("n", group_counts(column, codes, groups))};
    case Agg::sum:
      if (stored_type(column) == ColumnType::int64)
        return Frame{int_column("s", int_sums(column, codes, groups))};
      [[fallthrough]];
    case Agg::mean: {
      KahanSums sums = float_sums(column, codes, groups);
      Frame state{float_column("s", std::move(sums.sum)), float_column("c", std::move(sums.compensation))};
      if (agg == Agg::sum) return state;
      return state.insert(0, int_column("n", group_counts(column, codes, groups)));
    }
    case Agg::std:
    case Agg::var: {
      Moments m = moments(column, codes, groups);
      return Frame{int_column("n", std::move(m.count)), float_column("m", std::move(m.mean)),
                   float_column("m2", std::move(m.m2))};
    }
    case Agg::nunique:
      return distinct_pairs(code_column(codes), column);
    default:
      return Frame{take(column, pick(column, codes, groups, agg)).rename("v")};
  }
}

// A float64 result with a null where `defined` is false.
Column nullable_float(const std::string& name, std::vector<double> values, const std::vector<bool>& defined) {
  std::vector<bool> nulls(values.size());
  bool any = false;
  for (std::size_t g = 0; g < values.size(); ++g) {
    nulls[g] = !defined[g];
    any = any || nulls[g];
  }
  if (!any) nulls.clear();
  return {name, std::move(values), nulls};
}

// The partitions' states of one aggregation (`state`, concatenated) merged into its result, one row
// per global group. `codes[r]` is the global group of partial group r; `offsets` where each
// partition's groups start among them.
Column merge_state(const Frame& state, const Column& input, Agg agg, Codes codes, std::size_t groups,
                   std::span<const std::size_t> offsets, std::span<const std::size_t> pair_counts,
                   const std::string& name) {
  switch (agg) {
    case Agg::size:
    case Agg::count:
      return int_column(name, int_sums(state.column("n"), codes, groups));
    case Agg::sum:
      if (stored_type(input) == ColumnType::int64)
        return int_column(name, int_sums(state.column("s"), codes, groups));
      [[fallthrough]];
    case Agg::mean: {
      const std::span<const double> s = state.column("s").values<double>();
      const std::span<const double> c = state.column("c").values<double>();
      KahanSums sums(groups);
      for (std::size_t r = 0; r < codes.size(); ++r) {
        sums.add(codes[r], s[r]);
        sums.add(codes[r], -c[r]);
      }
      if (agg == Agg::sum) return float_column(name, std::move(sums.sum));
      const std::vector<std::int64_t> n = int_sums(state.column("n"), codes, groups);
      std::vector<bool> defined(groups);
      for (std::size_t g = 0; g < groups; ++g) {
        defined[g] = n[g] > 0;
        sums.sum[g] = defined[g] ? sums.sum[g] / static_cast<double>(n[g]) : 0.0;
      }
      return nullable_float(name, std::move(sums.sum), defined);
    }
    case Agg::std:
    case Agg::var: {
      const std::span<const std::int64_t> n = state.column("n").values<std::int64_t>();
      const std::span<const double> mean = state.column("m").values<double>();
      const std::span<const double> m2 = state.column("m2").values<double>();
      Moments merged(groups);
      for (std::size_t r = 0; r < codes.size(); ++r) merged.merge(codes[r], n[r], mean[r], m2[r]);
      std::vector<double> out(groups);
      std::vector<bool> defined(groups);
      for (std::size_t g = 0; g < groups; ++g) {
        defined[g] = merged.count[g] > 1;
        const double var = defined[g] ? merged.m2[g] / static_cast<double>(merged.count[g] - 1) : 0.0;
        out[g] = agg == Agg::std ? std::sqrt(var) : var;
      }
      return nullable_float(name, std::move(out), defined);
    }
    case Agg::nunique: {
      // The pairs' partial groups made global, then the pairs distinct across partitions.
      const std::span<const std::int64_t> local = state.column("g").values<std::int64_t>();
      std::vector<std::uint32_t> global(local.size());
      std::size_t r = 0;
      for (std::size_t p = 0; p < pair_counts.size(); ++p) {
        for (std::size_t k = 0; k < pair_counts[p]; ++k, ++r) {
          global[r] = codes[offsets[p] + static_cast<std::size_t>(local[r])];
        }
      }
      const Frame distinct = distinct_pairs(code_column(global), state.column("v"));
      std::vector<std::int64_t> out(groups);
      for (const std::int64_t g : distinct.column("g").values<std::int64_t>())
        ++out[static_cast<std::size_t>(g)];
      return int_column(name, std::move(out));
    }
    default: {
      const Column& values = state.column("v");
      return take(values, pick(values, codes, groups, agg)).rename(name);
    }
  }
}

}  // namespace

GroupPartial group_partial(const GroupTask& task) {
  // Columns by name through one hash index: a partition of 100 000 columns costs linear time.
  const FrameNames names(task.part);
  std::vector<Column> keys;
  keys.reserve(task.keys.size());
  for (const std::string& key : task.keys) keys.push_back(task.part.column(names.at(key, "mpp::GroupBy")));
  const GroupCodes groups = factorize(keys, task.dropna);
  GroupPartial out;
  for (Column& key : keys) key = take(key, groups.first);
  out.keys = Frame(std::move(keys));
  for (std::size_t j = 0; j < task.aggs.size(); ++j) {
    out.states.push_back(partial_state(task.part.column(names.at(task.columns[j], "mpp::GroupBy")),
                                       static_cast<Agg>(task.aggs[j]), groups.code, groups.first.size()));
  }
  return out;
}

}  // namespace detail

GroupBy::GroupBy(Frame frame, std::vector<std::string> keys, GroupByOptions options,
                 detail::GroupRunner runner)
    : frame_(std::move(frame)), keys_(std::move(keys)), options_(options), runner_(std::move(runner)) {
  if (keys_.empty()) detail::throw_frame_invalid("mpp::Frame::groupby", "no key columns");
  // Hashed, not scanned: linear time however many columns and keys.
  const detail::FrameNames names(frame_);
  std::unordered_set<std::string_view> seen;
  for (const std::string& key : keys_) {
    (void)names.at(key, "mpp::Frame::groupby");
    if (!seen.insert(key).second) {
      detail::throw_frame_invalid("mpp::Frame::groupby", "key column '" + key + "' named twice");
    }
  }
}

Frame GroupBy::agg(const std::vector<std::pair<std::string, Agg>>& aggs) const {
  std::vector<std::string> columns;
  std::vector<std::uint8_t> ops;
  std::unordered_map<std::string, int> uses;
  std::unordered_set<std::string> done;
  const detail::FrameNames frame_names(frame_);
  const std::unordered_set<std::string_view> keys(keys_.begin(), keys_.end());
  for (const auto& [name, op] : aggs) {
    const Column& column = frame_.column(frame_names.at(name, "mpp::GroupBy::agg"));
    if (keys.count(name) != 0) {
      detail::throw_frame_invalid("mpp::GroupBy::agg", "'" + name + "' is a key column");
    }
    if (!detail::allowed(op, column.type())) {
      detail::throw_frame_invalid("mpp::GroupBy::agg", std::string("cannot take the ") + to_string(op) +
                                                           " of " + to_string(column.type()) + " column '" +
                                                           name + "'");
    }
    // The same aggregation of a column twice would make two result columns of one name (`x_sum`),
    // which a frame cannot hold.
    std::string pair = name;
    pair.push_back('\0');
    pair.push_back(static_cast<char>(op));
    if (!done.insert(std::move(pair)).second) {
      detail::throw_frame_invalid("mpp::GroupBy::agg",
                                  "column '" + name + "' is aggregated by " + to_string(op) + " twice");
    }
    columns.push_back(name);
    ops.push_back(static_cast<std::uint8_t>(op));
    ++uses[name];
  }
  std::vector<std::string> names;
  for (std::size_t j = 0; j < columns.size(); ++j) {
    names.push_back(uses[columns[j]] > 1 ? columns[j] + "_" + to_string(static_cast<Agg>(ops[j]))
                                         : columns[j]);
  }
  return run(columns, ops, names);
}

Frame GroupBy::all(Agg agg) const {
  std::vector<std::pair<std::string, Agg>> aggs;
  const std::unordered_set<std::string_view> keys(keys_.begin(), keys_.end());
  for (const Column& column : frame_.columns()) {
    if (keys.count(column.name()) != 0) continue;
    if (!detail::allowed(agg, column.type())) continue;
    aggs.emplace_back(column.name(), agg);
  }
  return this->agg(aggs);
}

Frame GroupBy::size() const {
  // The first key stands in for the column: size reads none.
  return run({keys_[0]}, {static_cast<std::uint8_t>(Agg::size)}, {"size"});
}

Frame GroupBy::run(const std::vector<std::string>& columns, const std::vector<std::uint8_t>& aggs,
                   const std::vector<std::string>& names) const {
  // Only the columns used travel to the workers.
  std::vector<std::string> used = keys_;
  std::unordered_set<std::string_view> in_used(keys_.begin(), keys_.end());
  for (const std::string& name : columns) {
    if (in_used.insert(name).second) used.push_back(name);
  }
  const Frame input = frame_.select(used);
  const detail::FrameNames input_names(input);
  detail::GroupRunner runner = runner_;
  std::size_t partitions = options_.partitions;
  if (!runner && partitions == 0 && input.num_rows() >= detail::k_pool_rows) {
    // A large frame grouped without a pool: mpp's frame pool, as the other members.
    Pool& pool = detail::frame_pool();
    partitions = pool.size();
    runner = [&pool](const std::vector<detail::GroupTask>& tasks) {
      return pool.map(&detail::group_partial, tasks, 1);
    };
  }
  std::vector<detail::GroupTask> tasks;
  for (Frame& part : array_split(input, std::max<std::size_t>(partitions, 1))) {
    tasks.push_back({std::move(part), keys_, columns, aggs, options_.dropna});
  }
  std::vector<detail::GroupPartial> partials;
  if (runner) {
    partials = runner(tasks);
  } else {
    for (const detail::GroupTask& task : tasks) partials.push_back(detail::group_partial(task));
  }

  // Each partition's groups numbered across partitions: the merge's codes.
  std::vector<Frame> key_frames;
  std::vector<std::size_t> offsets;
  std::size_t total = 0;
  for (const detail::GroupPartial& partial : partials) {
    offsets.push_back(total);
    total += partial.keys.num_rows();
    key_frames.push_back(partial.keys);
  }
  const Frame all_keys = concat(key_frames);
  const detail::GroupCodes groups = detail::factorize(all_keys.columns(), false);
  const std::size_t count = groups.first.size();

  std::vector<std::size_t> order(count);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::vector<Column> keys;
  for (const Column& key : all_keys.columns()) keys.push_back(detail::take(key, groups.first));
  if (options_.sort) {
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      for (const Column& key : keys) {
        if (const int c = detail::compare_rows(key, a, b); c != 0) return c < 0;
      }
      return false;
    });
  }
  std::vector<Column> out;
  for (const Column& key : keys) out.push_back(detail::take(key, order));
  for (std::size_t j = 0; j < aggs.size(); ++j) {
    std::vector<Frame> states;
    std::vector<std::size_t> pair_counts;
    for (const detail::GroupPartial& partial : partials) {
      states.push_back(partial.states[j]);
      pair_counts.push_back(partial.states[j].num_rows());
    }
    const Column merged =
        detail::merge_state(concat(states), input.column(input_names.at(columns[j], "mpp::GroupBy")),
                            static_cast<Agg>(aggs[j]), groups.code, count, offsets, pair_counts, names[j]);
    out.push_back(detail::take(merged, order));
  }
  return Frame(std::move(out));
}

GroupBy Frame::groupby(std::vector<std::string> keys) const { return {*this, std::move(keys)}; }
GroupBy Frame::groupby(std::vector<std::string> keys, const GroupByOptions& options) const {
  return {*this, std::move(keys), options};
}

}  // namespace mpp
