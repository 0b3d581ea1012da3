// Uses the installed package as a user would: the umbrella header and mpp::mpp.
#include <cstdio>
#include <mpp/mpp.hpp>
#include <vector>

int main() {
  mpp::Pool pool(2);
  auto squares = pool.map([](int x) { return x * x; }, std::vector<int>{1, 2, 3});
  if (squares != std::vector<int>{1, 4, 9}) {
    std::fprintf(stderr, "mpp-consumer: pool.map gave wrong results\n");
    return 1;
  }
  if (mpp::cpu_count() == 0) {
    std::fprintf(stderr, "mpp-consumer: cpu_count() returned 0\n");
    return 1;
  }
  std::printf("mpp-consumer: ok (%u CPUs)\n", mpp::cpu_count());
  return 0;
}
