// The order of a merge's row pairs, pandas 1.5.3's, worked out in ranges of the probe rows on mpp's
// frame pool (frame_merge_pairs.hpp).
#include "frame/frame_merge_pairs.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "frame/frame_merge_keys.hpp"
#include "frame/frame_ranges.hpp"
#include "frame/fresh_array.hpp"

namespace mpp::detail {
namespace {

std::size_t add_rows(std::size_t total, std::size_t more) {
  std::size_t sum = 0;
  if (__builtin_add_overflow(total, more, &sum)) {
    throw std::length_error(std::string("mpp::merge") +
                            ": the result has more rows than std::size_t can count");
  }
  return sum;
}

std::size_t times_rows(std::size_t rows, std::size_t each) {
  std::size_t product = 0;
  if (__builtin_mul_overflow(rows, each, &product)) return add_rows(SIZE_MAX, 1);  // throws
  return product;
}

// The build side's rows by group, in order within a group: rows[begin[g]] to rows[begin[g + 1]].
struct BuildGroups {
  std::vector<std::size_t> begin;
  std::vector<std::int64_t> rows;

  BuildGroups(MergeTable& table, const MergeKeySide& build) {
    std::vector<std::int64_t> group(build.rows());
    for (std::size_t b = 0; b < build.rows(); ++b) group[b] = table.insert(build, b);
    begin.assign(table.groups() + 1, 0);
    for (const std::int64_t g : group) ++begin[static_cast<std::size_t>(g) + 1];
    for (std::size_t g = 1; g < begin.size(); ++g) begin[g] += begin[g - 1];
    rows.resize(build.rows());
    std::vector<std::size_t> at(begin.begin(), begin.end() - 1);
    for (std::size_t b = 0; b < group.size(); ++b)
      rows[at[static_cast<std::size_t>(group[b])]++] = static_cast<std::int64_t>(b);
  }
  // How many build rows group `g` has (0 for none, -1, or a key only the probe side has).
  [[nodiscard]] std::size_t size_of(std::int64_t g) const {
    const auto k = static_cast<std::size_t>(g);
    return g >= 0 && k + 1 < begin.size() ? begin[k + 1] - begin[k] : 0;
  }
  // Probe row `p`'s pairs from `at` on: one per build row of group `g`, or (p, -1) when it has none.
  std::size_t write(MergePairs& out, std::size_t at, std::size_t p, std::int64_t g) const {
    const auto probe = static_cast<std::int64_t>(p);
    const std::size_t n = size_of(g);
    if (n == 0) {
      out.probe[at] = probe;
      out.build[at] = -1;
      return at + 1;
    }
    const std::int64_t* rows_of = rows.data() + begin[static_cast<std::size_t>(g)];
    for (std::size_t i = 0; i < n; ++i, ++at) {
      out.probe[at] = probe;
      out.build[at] = rows_of[i];
    }
    return at;
  }
};

// left and right merges: each probe row in order, with its build rows or alone. Ranges of probe rows
// count their pairs, then write them at their place.
MergePairs pair_in_probe_order(const BuildGroups& groups, const std::vector<std::int64_t>& groups_of) {
  const std::size_t rows = groups_of.size();
  const std::size_t parts = range_count(rows);
  std::vector<std::size_t> starts(parts + 1, 0);
  for_ranges(rows, parts, [&](std::size_t part, std::size_t begin, std::size_t end) {
    std::size_t n = 0;
    for (std::size_t p = begin; p < end; ++p)
      n = add_rows(n, std::max<std::size_t>(1, groups.size_of(groups_of[p])));
    starts[part + 1] = n;
  });
  for (std::size_t part = 0; part < parts; ++part)
    starts[part + 1] = add_rows(starts[part + 1], starts[part]);
  MergePairs out;
  size_in_ranges(out.probe, starts[parts]);
  size_in_ranges(out.build, starts[parts]);
  for_ranges(rows, parts, [&](std::size_t part, std::size_t begin, std::size_t end) {
    std::size_t at = starts[part];
    for (std::size_t p = begin; p < end; ++p) at = groups.write(out, at, p, groups_of[p]);
  });
  return out;
}

// inner and outer merges: grouped by key, keys in the order they first appear in the probe side,
// probe rows in order within a key; an outer merge then adds the build side's keys the probe side
// lacks, in the build side's order. A stable counting sort by key rank: each range of probe rows
// counts its rows per group and notes the groups it meets first; the ranks and each (group, range)'s
// place follow from those in one pass over the groups; then each range writes its pairs there.
// Each range holds a count per group, so with more groups than probe rows per range it runs as one.
MergePairs pair_by_key(const BuildGroups& groups, const std::vector<std::int64_t>& groups_of,
                       std::size_t all_groups, bool outer) {
  const std::size_t rows = groups_of.size();
  std::size_t parts = range_count(rows);
  if (parts > 1 && all_groups > rows / parts) parts = 1;
  std::vector<std::vector<std::size_t>> place(parts);  // per range: count, then where it writes
  std::vector<std::vector<std::int64_t>> met(parts);   // per range: groups in first appearance
  for_ranges(rows, parts, [&](std::size_t part, std::size_t begin, std::size_t end) {
    std::vector<std::size_t>& count = place[part];
    count.assign(all_groups, 0);
    for (std::size_t p = begin; p < end; ++p) {
      const std::int64_t g = groups_of[p];
      if (g >= 0 && count[static_cast<std::size_t>(g)]++ == 0) met[part].push_back(g);
    }
  });
  std::vector<std::uint8_t> ranked(all_groups, 0);
  std::size_t at = 0;
  for (const std::vector<std::int64_t>& groups_met : met) {
    for (const std::int64_t g : groups_met) {
      const auto k = static_cast<std::size_t>(g);
      if (ranked[k] != 0) continue;
      ranked[k] = 1;
      const std::size_t each = std::max<std::size_t>(1, groups.size_of(g));
      for (std::vector<std::size_t>& counts : place) {
        const std::size_t n = std::exchange(counts[k], at);
        at = add_rows(at, times_rows(n, each));
      }
    }
  }
  std::size_t total = at;
  const std::size_t build_groups = groups.begin.size() - 1;
  if (outer) {
    for (std::size_t g = 0; g < build_groups; ++g) {
      if (ranked[g] == 0) total = add_rows(total, groups.begin[g + 1] - groups.begin[g]);
    }
  }
  MergePairs out;
  size_in_ranges(out.probe, total);
  size_in_ranges(out.build, total);
  for_ranges(rows, parts, [&](std::size_t part, std::size_t begin, std::size_t end) {
    std::vector<std::size_t>& where = place[part];
    for (std::size_t p = begin; p < end; ++p) {
      const std::int64_t g = groups_of[p];
      if (g < 0) continue;
      std::size_t& w = where[static_cast<std::size_t>(g)];
      w = groups.write(out, w, p, g);
    }
  });
  if (outer) {
    for (std::size_t g = 0; g < build_groups; ++g) {
      if (ranked[g] != 0) continue;
      for (std::size_t i = groups.begin[g]; i < groups.begin[g + 1]; ++i, ++at) {
        out.probe[at] = -1;
        out.build[at] = groups.rows[i];
      }
    }
  }
  return out;
}

}  // namespace

MergePairs pair_rows(const MergeKeys& keys, std::vector<std::int64_t> groups_of, MergeHow how) {
  const MergeKeySide probe(keys.probe);
  const MergeKeySide build(keys.build);
  MergeTable table(build.rows());  // an outer merge adds the probe side's other keys
  const BuildGroups groups(table, build);
  if (how == MergeHow::left || how == MergeHow::right) return pair_in_probe_order(groups, groups_of);
  const bool outer = how == MergeHow::outer;
  if (outer) {  // the keys the build side lacks are numbered too, after the build side's
    for (std::size_t p = 0; p < probe.rows(); ++p) {
      if (groups_of[p] < 0) groups_of[p] = table.insert(probe, p);
    }
  }
  return pair_by_key(groups, groups_of, table.groups(), outer);
}

}  // namespace mpp::detail
