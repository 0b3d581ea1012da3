// ProcessPool::apply and apply_async with a capturing lambda.
#include <string>

#include "mpp/process_pool.hpp"

int main() {
  mpp::ProcessPool pool(1);
#ifdef MPP_EXPECT_FAILURE
  std::string prefix = "item ";
  auto result = pool.apply_async([&prefix](int x) { return prefix + std::to_string(x); }, 1);
#else
  auto result = pool.apply_async([](int x) { return "item " + std::to_string(x); }, 1);
#endif
  return result.get().empty() ? 1 : 0;
}
