// Datetime text (frame_datetime.hpp) and mpp::Timestamp. The calendar is std::chrono's (proleptic
// Gregorian, as numpy's datetime64); the range is int64 nanoseconds, pandas' datetime64[ns].
#include "frame/frame_datetime.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <limits>
#include <ostream>
#include <stdexcept>
#include <string>

#include "mpp/detail/frame/frame_number.hpp"
#include "mpp/timestamp.hpp"

namespace mpp::detail {
namespace {

constexpr std::int64_t k_ns_per_second = 1'000'000'000;
constexpr std::int64_t k_ns_per_day = 86'400 * k_ns_per_second;

// Floor division: a time before 1970 is in the day before, not the day after.
std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
  const std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

void append_digits(std::string& out, std::int64_t value, int width) {
  std::array<char, 20> buffer{};
  for (int i = width - 1; i >= 0; --i) {
    buffer[static_cast<std::size_t>(i)] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out.append(buffer.data(), static_cast<std::size_t>(width));
}

// The fraction digits `ns`'s sub-second part needs: 0, 3, 6 or 9.
int digits_needed(std::int64_t ns) noexcept {
  const std::int64_t fraction = ns - floor_div(ns, k_ns_per_second) * k_ns_per_second;
  if (fraction == 0) return 0;
  if (fraction % 1'000'000 == 0) return 3;
  if (fraction % 1'000 == 0) return 6;
  return 9;
}

// A cursor over the text: reads fixed-width numbers and single characters.
struct Reader {
  std::string_view text;
  std::size_t at = 0;

  bool done() const noexcept { return at == text.size(); }
  bool peek(char c) const noexcept { return at < text.size() && text[at] == c; }
  bool eat(char c) noexcept {
    if (!peek(c)) return false;
    ++at;
    return true;
  }
  // Exactly `width` digits.
  std::optional<int> digits(std::size_t width) noexcept {
    if (text.size() - at < width) return std::nullopt;
    int value = 0;
    for (std::size_t i = 0; i < width; ++i) {
      const char c = text[at + i];
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + (c - '0');
    }
    at += width;
    return value;
  }
};

}  // namespace

DatetimeFormat datetime_format(std::span<const std::int64_t> values, const std::uint8_t* nulls) {
  DatetimeFormat format;
  format.date_only = true;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (nulls != nullptr && nulls[i] != 0) continue;
    const std::int64_t ns = values[i];
    if (ns - floor_div(ns, k_ns_per_day) * k_ns_per_day != 0) format.date_only = false;
    const int digits = digits_needed(ns);
    if (digits > format.digits) format.digits = digits;
  }
  return format;
}

void append_datetime(std::string& out, std::int64_t ns, DatetimeFormat format) {
  const std::int64_t days = floor_div(ns, k_ns_per_day);
  const std::int64_t in_day = ns - days * k_ns_per_day;
  const std::chrono::year_month_day date{std::chrono::sys_days{std::chrono::days{days}}};
  append_digits(out, static_cast<int>(date.year()), 4);
  out += '-';
  append_digits(out, static_cast<unsigned>(date.month()), 2);
  out += '-';
  append_digits(out, static_cast<unsigned>(date.day()), 2);
  if (format.date_only) return;
  const std::int64_t seconds = in_day / k_ns_per_second;
  out += ' ';
  append_digits(out, seconds / 3600, 2);
  out += ':';
  append_digits(out, seconds / 60 % 60, 2);
  out += ':';
  append_digits(out, seconds % 60, 2);
  if (format.digits == 0) return;
  out += '.';
  std::int64_t fraction = in_day % k_ns_per_second;
  for (int d = format.digits; d < 9; ++d) fraction /= 10;
  append_digits(out, fraction, format.digits);
}

bool is_nat_text(std::string_view text) noexcept {
  text = trim_ascii_space(text);
  return text == "NaT" || text == "nat" || text == "NAT";
}

std::optional<std::int64_t> parse_datetime(std::string_view text, const char*& why) {
  why =
      "is not an ISO 8601 date-time (YYYY-MM-DD, then optionally a space or 'T' and HH:MM[:SS[.fraction]], "
      "then optionally 'Z' or an offset +HH:MM, +HHMM or +HH)";
  // White space around it goes, as pandas' to_datetime drops it.
  text = trim_ascii_space(text);
  Reader in{text};
  const auto year = in.digits(4);
  if (!year || !in.eat('-')) return std::nullopt;
  const auto month = in.digits(2);
  if (!month || !in.eat('-')) return std::nullopt;
  const auto day = in.digits(2);
  if (!day) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year{*year},
                                         std::chrono::month{static_cast<unsigned>(*month)},
                                         std::chrono::day{static_cast<unsigned>(*day)}};
  if (!date.ok()) {
    why = "is not a valid date";
    return std::nullopt;
  }
  // Seconds first (years 0000 to 9999 are far inside int64), then nanoseconds, checked.
  std::int64_t seconds = std::int64_t{std::chrono::sys_days{date}.time_since_epoch().count()} * 86'400;
  std::int64_t fraction = 0;
  if (!in.done()) {
    if (!in.eat(' ') && !in.eat('T')) return std::nullopt;
    const auto hour = in.digits(2);
    if (!hour || !in.eat(':')) return std::nullopt;
    const auto minute = in.digits(2);
    if (!minute) return std::nullopt;
    int second = 0;
    if (in.eat(':')) {
      const auto s = in.digits(2);
      if (!s) return std::nullopt;
      second = *s;
      if (in.eat('.')) {
        int count = 0;
        while (!in.done() && text[in.at] >= '0' && text[in.at] <= '9') {
          if (++count > 9) {
            why = "has more than 9 digits of fraction (nanoseconds are the finest)";
            return std::nullopt;
          }
          fraction = fraction * 10 + (text[in.at++] - '0');
        }
        if (count == 0) return std::nullopt;
        for (int d = count; d < 9; ++d) fraction *= 10;
      }
    }
    if (*hour > 23 || *minute > 59 || second > 59) {
      why = "is not a valid time of day (hours 00-23, minutes and seconds 00-59: no leap second)";
      return std::nullopt;
    }
    seconds += std::int64_t{*hour} * 3600 + *minute * 60 + second;
    // A time zone: the local time is UTC plus the offset, so UTC is the local time minus it.
    if (in.eat('Z')) {
    } else if (in.peek('+') || in.peek('-')) {
      const int sign = in.eat('+') ? 1 : (in.eat('-'), -1);
      const auto oh = in.digits(2);
      if (!oh) return std::nullopt;
      // Minutes are optional (`+02`, as pandas reads it); a colon must have them after it.
      std::optional<int> om = 0;
      if (in.eat(':') || !in.done()) om = in.digits(2);
      if (!om || *oh > 23 || *om > 59) return std::nullopt;
      seconds -= sign * (std::int64_t{*oh} * 3600 + *om * 60);
    }
  }
  if (!in.done()) return std::nullopt;
  // The lowest int64 is pandas' NaT, not a time.
  if (seconds < 0 && fraction > 0) {  // near the lowest time, seconds * 10^9 alone would overflow
    seconds += 1;
    fraction -= k_ns_per_second;
  }
  std::int64_t ns = 0;
  if (__builtin_mul_overflow(seconds, k_ns_per_second, &ns) || __builtin_add_overflow(ns, fraction, &ns) ||
      ns == std::numeric_limits<std::int64_t>::min()) {
    why =
        "is out of the range of datetime64[ns] (1677-09-21 00:12:43.145224193 to 2262-04-11 "
        "23:47:16.854775807)";
    return std::nullopt;
  }
  return ns;
}

std::optional<bool> parse_bool(std::string_view text) {
  if (text == "True" || text == "true" || text == "TRUE" || text == "1") return true;
  if (text == "False" || text == "false" || text == "FALSE" || text == "0") return false;
  return std::nullopt;
}

}  // namespace mpp::detail

namespace mpp {

Timestamp Timestamp::parse(std::string_view text) {
  const char* why = nullptr;
  const std::optional<std::int64_t> ns = detail::parse_datetime(text, why);
  if (!ns) throw std::invalid_argument("mpp::Timestamp::parse: '" + std::string(text) + "' " + why);
  return Timestamp(*ns);
}

std::string to_string(Timestamp time) {
  std::string out;
  detail::DatetimeFormat format;
  format.digits = detail::datetime_format(std::span<const std::int64_t>(&time.ns, 1), nullptr).digits;
  detail::append_datetime(out, time.ns, format);
  return out;
}

std::ostream& operator<<(std::ostream& out, Timestamp time) { return out << to_string(time); }

}  // namespace mpp
