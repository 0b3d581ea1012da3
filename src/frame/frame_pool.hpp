// The thread pool that Frame's members run their parallel work on when the caller gives none.
#pragma once

#include <cstddef>
#include <vector>

#include "mpp/pool.hpp"

namespace mpp::detail {

/// Rows from which a Frame member that has a pool form (sort_values, groupby, merge, describe,
/// drop_duplicates, unique, nunique, value_counts) runs it on frame_pool(): below that, starting
/// tasks costs more than the threads save.
inline constexpr std::size_t k_pool_rows = 1'000'000;

/// usable_cpu_count() threads, started on first use and kept for the life of the program.
Pool& frame_pool();

/// The pool interface on the caller's thread, one worker: a pool form run on it for frames too
/// small to share out is the serial form.
struct Inline {
  [[nodiscard]] static std::size_t size() noexcept { return 1; }
  template <class F, class Item>
  static auto map(F f, const std::vector<Item>& items, std::size_t /*chunksize*/) {
    std::vector<decltype(f(items.front()))> out;
    for (const Item& item : items) out.push_back(f(item));
    return out;
  }
};

}  // namespace mpp::detail
