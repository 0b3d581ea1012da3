// --header with --pipe and --pipepart: the input's first lines, given again at the start of every
// job's input, as GNU parallel repeats them.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mpp::detail::run {

/// Takes the first `lines` lines (each ending in a newline, whatever --recend says) off text as it
/// arrives. An input with fewer whole lines has no header (GNU parallel's: its --header pattern
/// never matched): it is all records. Each byte is looked at once. Not thread-safe.
class HeaderLines {
 public:
  explicit HeaderLines(std::size_t lines) : left_(lines) {}

  /// Whether the header is whole (at once when `lines` is 0).
  [[nodiscard]] bool done() const noexcept { return left_ == 0; }
  /// Takes text read; returns what of it follows the header (empty until the header is whole).
  [[nodiscard]] std::string_view add(std::string_view text);
  /// The header, once done().
  [[nodiscard]] const std::string& header() const noexcept { return held_; }
  /// At the input's end before done(): what was held, which is records, not a header; none is
  /// held after.
  [[nodiscard]] std::string give_back();

 private:
  std::size_t left_;  // lines still to come
  std::string held_;
};

}  // namespace mpp::detail::run
