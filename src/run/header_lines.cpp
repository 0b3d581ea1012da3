#include "run/header_lines.hpp"

#include <utility>

namespace mpp::detail::run {

std::string_view HeaderLines::add(std::string_view text) {
  std::size_t at = 0;
  while (left_ > 0) {
    const std::size_t end = text.find('\n', at);
    if (end == std::string_view::npos) {
      held_.append(text);
      return {};
    }
    at = end + 1;
    --left_;
  }
  held_.append(text.substr(0, at));
  return text.substr(at);
}

std::string HeaderLines::give_back() { return std::exchange(held_, {}); }

}  // namespace mpp::detail::run
