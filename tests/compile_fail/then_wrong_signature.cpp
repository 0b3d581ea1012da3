// AsyncResult::then with an on_result that cannot take the result.
#include <string>

#include "mpp/pool.hpp"

int identity(int x) { return x; }

int main() {
  mpp::Pool pool(1);
  auto result = pool.apply_async(identity, 1);
#ifdef MPP_EXPECT_FAILURE
  result.then([](const std::string& s) { (void)s; });
#else
  result.then([](int v) { (void)v; });
#endif
  return result.get() == 1 ? 0 : 1;
}
