// The row pairs of a merge's result in pandas 1.5.3's order (see merge() in mpp/frame_merge.hpp),
// from the probe's groups. Used by src/frame/frame_merge.cpp only.
#pragma once

#include <cstdint>
#include <vector>

#include "mpp/frame_merge.hpp"

namespace mpp::detail {

/// Row pairs of the result: a probe row and a build row, -1 for none.
struct MergePairs {
  std::vector<std::int64_t> probe;
  std::vector<std::int64_t> build;
};

/// `groups_of[p]`: probe row p's group among the build side's keys (merge_probe()), -1 for none.
/// Inner and outer merges group the pairs by key, keys in the order the probe side first has them;
/// left and right merges keep the probe side's order.
MergePairs pair_rows(const MergeKeys& keys, std::vector<std::int64_t> groups_of, MergeHow how);

}  // namespace mpp::detail
