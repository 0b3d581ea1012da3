// mpp::Timestamp: one value of a datetime column (pandas' Timestamp, datetime64[ns], naive): the
// nanoseconds since 1970-01-01 00:00:00 UTC, which is how the column stores it (in int64 storage).
#pragma once

#include <compare>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

namespace mpp {

/// A point in time to the nanosecond, from 1677-09-21 00:12:43.145224192 to 2262-04-11
/// 23:47:16.854775807 (int64 nanoseconds, as pandas' datetime64[ns]). Explicit, so that a Scalar
/// of `0` stays an int64.
struct Timestamp {
  std::int64_t ns = 0;  ///< nanoseconds since the Unix epoch, UTC

  constexpr Timestamp() = default;
  constexpr explicit Timestamp(std::int64_t nanoseconds) noexcept : ns(nanoseconds) {}

  /// ISO 8601 as pandas' to_datetime reads it: `2024-01-02`, `2024-01-02 03:04:05`,
  /// `2024-01-02T03:04:05.123456789`, `2024-01-02T03:04`, and with an offset (`Z`, `+02:00`,
  /// `-0530`), which is converted to UTC. Throws std::invalid_argument for anything else: an
  /// invalid date (2023-02-29), hour 24, second 60 (a leap second), more than 9 fraction digits,
  /// or a time out of datetime64[ns]'s range (pandas' OutOfBoundsDatetime).
  [[nodiscard]] static Timestamp parse(std::string_view text);

  friend constexpr auto operator<=>(const Timestamp&, const Timestamp&) = default;
};

/// As pandas writes it: `2024-01-02 03:04:05`, with the fraction only when it is not zero, to as
/// many digits as it needs in groups of three (`.5` is `.500`, 1 ns `.000000001`). pandas' str(ts)
/// differs there: it writes 6 digits unless 9 are needed (`.500000`).
[[nodiscard]] std::string to_string(Timestamp time);
std::ostream& operator<<(std::ostream& out, Timestamp time);

}  // namespace mpp
