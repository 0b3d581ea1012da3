// A map over a range whose elements are standard containers of a type with no serialize function:
// the container is only as serialisable as its elements.
#include <string>
#include <vector>

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

std::size_t count(const std::vector<Named>& names) { return names.size(); }

int main() {
  mpp::ProcessPool pool(1);
  const std::vector<std::vector<Named>> items{{Named{"a"}}, {Named{"b"}, Named{"c"}}};
  return pool.map(count, items).size() == 2 ? 0 : 1;
}
