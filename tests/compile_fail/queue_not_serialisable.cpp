// mpp::Queue<T> of a type that cannot cross processes.
#include <string>

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
  mpp::Queue<Message> q;
  q.put(Message{"hello"});
  return q.get().text == "hello" ? 0 : 1;
}
