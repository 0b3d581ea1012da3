// starmap over items that are not tuple-like (Python's list of lists): one static_assert that names
// starmap and what it needs, not a page of std::apply internals.
#include <tuple>
#include <vector>

#include "mpp/pool.hpp"

int add(int a, int b) { return a + b; }

int main() {
  mpp::Pool pool(1);
#ifdef MPP_EXPECT_FAILURE
  const std::vector<std::vector<int>> items{{1, 2}, {3, 4}};
#else
  const std::vector<std::tuple<int, int>> items{{1, 2}, {3, 4}};
#endif
  const std::vector<int> sums = pool.starmap(add, items);
  auto later = pool.starmap_async(add, items);
  return sums == std::vector<int>{3, 7} && later.get() == sums ? 0 : 1;
}
