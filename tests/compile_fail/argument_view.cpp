// A view argument (std::string_view, std::span): trivially copyable, but its bytes are an address
// in the caller's process; the worker would read its own memory there. The owning type travels.
#include <cstddef>
#include <string>
#include <string_view>

#include "mpp/process_pool.hpp"

std::size_t count_a(std::string_view text) {
  std::size_t n = 0;
  for (char c : text) n += c == 'a';
  return n;
}

int main() {
  mpp::ProcessPool pool(1);
  const std::string text(10, 'a');
#ifdef MPP_EXPECT_FAILURE
  return pool.apply(count_a, std::string_view(text)) == 10 ? 0 : 1;
#else
  return pool.apply(count_a, text) == 10 ? 0 : 1;  // the string travels; the worker makes the view
#endif
}
