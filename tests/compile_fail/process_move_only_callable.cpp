// Must compile: mpp::Process takes "any callable, capturing lambdas too" (API.md), so a lambda that
// owns a move-only value (as std::thread and std::jthread accept). Checked with MPP_EXPECT_FAILURE
// undefined only.
#include <memory>

#include "mpp/process.hpp"

int main() {
  auto owned = std::make_unique<int>(3);
  mpp::Process p([owned = std::move(owned)] { (void)*owned; });
  p.start();
  p.join();
  return p.exitcode() == 0 ? 0 : 1;
}
