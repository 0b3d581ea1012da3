// A function returning a view (here std::span) into the worker's memory: meaningless in the caller.
#include <span>
#include <vector>

#include "mpp/process_pool.hpp"

const std::vector<int> g_table{1, 2, 3};

#ifdef MPP_EXPECT_FAILURE
std::span<const int> head(int n) { return std::span<const int>(g_table).first(static_cast<std::size_t>(n)); }
#else
std::vector<int> head(int n) { return {g_table.begin(), g_table.begin() + n}; }
#endif

int main() {
  mpp::ProcessPool pool(1);
  const std::vector<int> items{1, 2};
  return pool.map(head, items).size() == 2 ? 0 : 1;
}
