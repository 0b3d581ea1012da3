// A function that returns a raw pointer, which means nothing in the caller's process.
#include <vector>

#include "mpp/process_pool.hpp"

#ifdef MPP_EXPECT_FAILURE
const char* name(int) { return "name"; }
#else
char name(int) { return 'n'; }
#endif

int main() {
  mpp::ProcessPool pool(1);
  const std::vector<int> items{1, 2};
  return pool.map(name, items).size() == 2 ? 0 : 1;
}
