// A function whose result cannot come back from a worker process.
#include <string>

#include "mpp/process_pool.hpp"

struct Answer {
  std::string text;
#ifndef MPP_EXPECT_FAILURE
  template <class Archive>
  void serialize(Archive& archive) {
    archive(text);
  }
#endif
};

Answer answer(int x) { return Answer{std::to_string(x)}; }

int main() {
  mpp::ProcessPool pool(1);
  return pool.apply(answer, 42).text == "42" ? 0 : 1;
}
