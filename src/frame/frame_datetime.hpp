// Datetime text: how a datetime column is written (write_csv, printing, astype to string), a
// column at a time as pandas formats it, and ISO 8601 read back (Timestamp::parse, read_csv).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace mpp::detail {

/// How a column's datetimes are written: pandas chooses once for the column, from its values.
struct DatetimeFormat {
  bool date_only = false;  // every value at midnight: `2024-01-02`
  int digits = 0;          // fraction digits otherwise: 0, 3, 6 or 9 (the most any value needs)
};

/// The format of the values whose flag in `nulls` is 0 (`nulls` may be nullptr: none null).
[[nodiscard]] DatetimeFormat datetime_format(std::span<const std::int64_t> values, const std::uint8_t* nulls);
/// Appends `ns` written in `format`.
void append_datetime(std::string& out, std::int64_t ns, DatetimeFormat format);

/// ISO 8601 (Timestamp::parse's forms), or std::nullopt with `why` set to the reason.
[[nodiscard]] std::optional<std::int64_t> parse_datetime(std::string_view text, const char*& why);

/// Whether `text` is pandas' missing time, `NaT` (or `nat`, `NAT`, white space around it allowed),
/// which a datetime column read or converted from text holds as a null.
[[nodiscard]] bool is_nat_text(std::string_view text) noexcept;

/// Bool text as pandas' read_csv takes it (dtype=bool): True/true/TRUE/1 and False/false/FALSE/0.
[[nodiscard]] std::optional<bool> parse_bool(std::string_view text);

}  // namespace mpp::detail
