// ProcessPool::map with a capturing lambda: a lambda's captures cannot reach a worker process.
#include <vector>

#include "mpp/process_pool.hpp"

int main() {
  mpp::ProcessPool pool(1);
  const std::vector<int> items{1, 2, 3};
#ifdef MPP_EXPECT_FAILURE
  const int offset = 10;
  auto results = pool.map([offset](int x) { return x + offset; }, items);
#else
  auto results = pool.map([](int x) { return x + 10; }, items);
#endif
  return results.size() == 3 ? 0 : 1;
}
