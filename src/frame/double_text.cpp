// Python's str() of a double (double_text.hpp), from std::to_chars' shortest round-trip digits.
#include "frame/double_text.hpp"

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <string_view>
#include <system_error>

namespace mpp::detail {

void append_double_text(std::string& out, double value) {
  char buffer[40];
  if (!std::isfinite(value)) {
    const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
    out.append(buffer, end);
    return;
  }
  // Scientific notation gives the shortest round-trip digits and the exponent apart:
  // [-]d[.ddd]e±XX.
  const auto [end, error] =
      std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  const std::string_view text(buffer, static_cast<std::size_t>(end - buffer));
  const bool negative = text.front() == '-';
  const std::size_t e = text.find('e');
  // At most 17 significant digits; a local array, as write_csv calls this once per value.
  char digit_buffer[24];
  std::size_t digit_count = 0;
  for (std::size_t i = negative ? 1 : 0; i < e; ++i) {
    if (text[i] != '.') digit_buffer[digit_count++] = text[i];
  }
  const std::string_view digits(digit_buffer, digit_count);
  int exponent = 0;
  const std::string_view exponent_text = text.substr(e + 1);
  std::from_chars(exponent_text.data() + (exponent_text.front() == '+' ? 1 : 0),
                  exponent_text.data() + exponent_text.size(), exponent);
  // Python's rule (float_repr_style 'short'): with the value 0.d1d2... × 10^point, exponent
  // notation when point <= -4 or point > 16.
  const int point = exponent + 1;
  const auto count = static_cast<int>(digits.size());
  if (negative) out.push_back('-');
  if (point <= -4 || point > 16) {
    out.push_back(digits[0]);
    if (count > 1) {
      out.push_back('.');
      out.append(digits.substr(1));
    }
    out.push_back('e');
    out.push_back(exponent < 0 ? '-' : '+');
    const int magnitude = std::abs(exponent);
    if (magnitude < 10) out.push_back('0');
    const auto [exponent_end, exponent_error] = std::to_chars(buffer, buffer + sizeof buffer, magnitude);
    out.append(buffer, exponent_end);
  } else if (point <= 0) {
    out.append("0.");
    out.append(static_cast<std::size_t>(-point), '0');
    out.append(digits);
  } else if (point >= count) {
    out.append(digits);
    out.append(static_cast<std::size_t>(point - count), '0');
    out.append(".0");
  } else {
    out.append(digits.substr(0, static_cast<std::size_t>(point)));
    out.push_back('.');
    out.append(digits.substr(static_cast<std::size_t>(point)));
  }
}

}  // namespace mpp::detail
