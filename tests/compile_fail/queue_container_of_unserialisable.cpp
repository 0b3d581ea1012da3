// mpp::Queue<T> where T is a standard container of a type that cannot cross processes.
#include <string>
#include <vector>

#include "mpp/queue.hpp"

struct Message {
  std::string text;
#ifndef MPP_EXPECT_FAILURE
  template <class Archive>
  void serialize(Archive& archive) {
    archive(text);
  }
#endif
};

int main() {
  mpp::Queue<std::vector<Message>> q;
  q.put({Message{"hello"}});
  return q.get().size() == 1 ? 0 : 1;
}
