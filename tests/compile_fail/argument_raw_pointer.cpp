// A raw pointer argument: trivially copyable, but an address means nothing in another process.
#include "mpp/process_pool.hpp"

#ifdef MPP_EXPECT_FAILURE
int twice(int* p) { return 2 * *p; }
#else
int twice(int p) { return 2 * p; }
#endif

int main() {
  mpp::ProcessPool pool(1);
  int x = 21;
#ifdef MPP_EXPECT_FAILURE
  return pool.apply(twice, &x) == 42 ? 0 : 1;
#else
  return pool.apply(twice, x) == 42 ? 0 : 1;
#endif
}
