// A ProcessPool argument that holds a std::mutex: it can be neither copied nor serialised.
#include <mutex>

#include "mpp/process_pool.hpp"

struct Guarded {
  int value = 0;
#ifdef MPP_EXPECT_FAILURE
  std::mutex mutex;
#endif
};

int value_of(const Guarded& g) { return g.value; }

int main() {
  mpp::ProcessPool pool(1);
  return pool.apply(value_of, Guarded{}) == 0 ? 0 : 1;
}
