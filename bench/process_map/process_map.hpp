// What the contenders of process_map share: the input, and how many items Python maps at each
// chunksize.
#pragma once

#include <cstddef>
#include <numeric>
#include <vector>

namespace mpp::bench {

/// ProcessPool maps a million ints at either chunksize, as does Python at its default chunksize.
inline constexpr std::size_t k_process_map_items = 1'000'000;
/// Python's map at chunksize 1 does about 60 000 items a second: a tenth of the items keeps it to
/// under two seconds a repetition. Its row is compared by rate (items per second), not time.
inline constexpr std::size_t k_process_map_python_chunksize_1_items = 100'000;

/// 0, 1, ... k_process_map_items - 1, built once (Python maps range(n)).
inline const std::vector<int>& process_map_input() {
  static const std::vector<int> input = [] {
    std::vector<int> v(k_process_map_items);
    std::iota(v.begin(), v.end(), 0);
    return v;
  }();
  return input;
}

}  // namespace mpp::bench
