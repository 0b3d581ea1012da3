// A ProcessPool argument of a class type that is neither trivially copyable nor has a cereal
// serialize function.
#include <string>

#include "mpp/process_pool.hpp"

struct Named {
  std::string name;
#ifndef MPP_EXPECT_FAILURE
  template <class Archive>
  void serialize(Archive& archive) {
    archive(name);
  }
#endif
};

std::size_t length(Named n) { return n.name.size(); }

int main() {
  mpp::ProcessPool pool(1);
  return pool.apply(length, Named{"abc"}) == 3 ? 0 : 1;
}
