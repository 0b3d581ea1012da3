// mpp::Queue<T*>: an address means nothing in another process.
#include "mpp/queue.hpp"

int main() {
#ifdef MPP_EXPECT_FAILURE
  mpp::Queue<int*> q;
  static int x = 1;
  q.put(&x);
  return *q.get();
#else
  mpp::Queue<int> q;
  q.put(1);
  return q.get() - 1;
#endif
}
