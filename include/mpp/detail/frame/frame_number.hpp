// How CSV text reads as a number: the one definition read_csv infers types with and write_csv
// quotes by (a string that would read back as a number is quoted).
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>
#include <system_error>

namespace mpp::detail {

/// What a field's text is.
enum class NumberForm : std::uint8_t {
  text,     ///< not a number
  integer,  ///< [+-]?[0-9]+
  real,     ///< any other number std::from_chars reads (1.5, .5, 1e-3, inf, nan), after an optional '+'
};

struct ParsedNumber {
  NumberForm form = NumberForm::text;
  /// An integer outside int64's range (`integer` is then unset).
  bool integer_out_of_range = false;
  /// A number whose magnitude is too large for a double (`real` is then ±infinity). One too small
  /// reads as ±0, as strtod rounds it, and is not out of range.
  bool real_out_of_range = false;
  /// The text starts with '-' (so "-0" is negative zero as a double).
  bool negative = false;
  std::int64_t integer = 0;
  double real = 0;

  /// The number as a double: `real`, or for an integer the nearest double (std::from_chars and
  /// the conversion both round to nearest), keeping the sign of a negative zero ("-0", "-000").
  [[nodiscard]] double as_double() const noexcept {
    if (form != NumberForm::integer || integer_out_of_range) return real;
    if (integer == 0 && negative) return -0.0;
    return static_cast<double>(integer);
  }
};

/// Whether `text` is [+-]?[0-9]+.
constexpr bool is_integer_form(std::string_view text) noexcept {
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
  if (i == text.size()) return false;
  for (; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  return true;
}

/// Whether a decimal literal that std::from_chars found out of range is too large rather than too
/// small: whether its magnitude is at least 1, from the power of ten of its first nonzero digit.
inline bool overflows(std::string_view text) noexcept {
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
  long long integer_digits = 0;  // before the point
  long long index = 0;           // of the digit at hand, the point not counted
  long long lead = -1;           // index of the first nonzero digit
  bool after_point = false;
  for (; i < text.size() && text[i] != 'e' && text[i] != 'E'; ++i) {
    if (text[i] == '.') {
      after_point = true;
      continue;
    }
    if (lead < 0 && text[i] != '0') lead = index;
    ++index;
    if (!after_point) ++integer_digits;
  }
  if (lead < 0) return false;  // zero
  long long exponent = 0;
  bool negative = false;
  if (i < text.size()) {
    ++i;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
    for (; i < text.size(); ++i) {
      if (exponent < 1'000'000'000) exponent = exponent * 10 + (text[i] - '0');
    }
  }
  return integer_digits - 1 - lead + (negative ? -exponent : exponent) >= 0;
}

/// Whether `c` is ASCII white space, as pandas' parser counts it.
constexpr bool is_ascii_space(char c) noexcept {
  return c == ' ' || (c >= '\t' && c <= '\r');  // \t \n \v \f \r
}

/// `text` without the ASCII white space at its ends.
constexpr std::string_view trim_ascii_space(std::string_view text) noexcept {
  while (!text.empty() && is_ascii_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_ascii_space(text.back())) text.remove_suffix(1);
  return text;
}

/// `text` without the ASCII white space around a number written in digits (" 12", "1.5\t"), which
/// pandas' parser skips; the words (" inf", "nan ") and text keep theirs, and so stay text.
constexpr std::string_view trim_number(std::string_view text) noexcept {
  const std::string_view inner = trim_ascii_space(text);
  if (inner.size() == text.size()) return text;
  std::size_t lead = 0;  // the first character after a sign
  if (lead < inner.size() && (inner[lead] == '+' || inner[lead] == '-')) ++lead;
  const bool digits =
      lead < inner.size() && ((inner[lead] >= '0' && inner[lead] <= '9') || inner[lead] == '.');
  return digits ? inner : text;
}

/// Reads `text`, with no white space around it, as a number.
inline ParsedNumber parse_bare_number(std::string_view text) noexcept {
  ParsedNumber out;
  std::string_view digits = text;
  // std::from_chars takes no '+': allow one in front of a number that has no sign of its own.
  if (!digits.empty() && digits.front() == '+') {
    digits.remove_prefix(1);
    if (digits.empty() || digits.front() == '-' || digits.front() == '+') return out;
  }
  if (digits.empty()) return out;
  out.negative = digits.front() == '-';
  const char* const first = digits.data();
  const char* const last = first + digits.size();
  if (is_integer_form(digits)) {
    out.form = NumberForm::integer;
    const auto [end, error] = std::from_chars(first, last, out.integer);
    if (error == std::errc() && end == last) return out;
    out.integer = 0;
    out.integer_out_of_range = true;
  }
  double value = 0;
  const auto [end, error] = std::from_chars(first, last, value, std::chars_format::general);
  if (end != last || (error != std::errc() && error != std::errc::result_out_of_range)) return out;
  if (out.form == NumberForm::text) out.form = NumberForm::real;
  if (error == std::errc::result_out_of_range) {
    if (overflows(digits)) {
      out.real_out_of_range = true;
      value =
          out.negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    } else {
      value = out.negative ? -0.0 : 0.0;
    }
  }
  out.real = value;
  return out;
}

/// Reads `text` as a number, as read_csv does for an unquoted field. White space around it is
/// looked for only when the text is no number as it stands, so numbers pay nothing for it.
inline ParsedNumber parse_number(std::string_view text) noexcept {
  const ParsedNumber out = parse_bare_number(text);
  if (out.form != NumberForm::text || text.empty() ||
      !(is_ascii_space(text.front()) || is_ascii_space(text.back()))) {
    return out;
  }
  const std::string_view trimmed = trim_number(text);
  return trimmed.size() == text.size() ? out : parse_bare_number(trimmed);
}

}  // namespace mpp::detail
