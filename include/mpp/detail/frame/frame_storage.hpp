// A Frame column's storage: the values of one column, built once and then only read, shared by every
// Column and Frame that views it (slices included).
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <variant>
#include <vector>

namespace mpp::detail {

/// The element types a column can hold, in the order of mpp::ColumnType.
template <class T>
concept ColumnElement =
    std::same_as<T, std::int64_t> || std::same_as<T, double> || std::same_as<T, std::string>;

/// Index 0: int64, 1: float64, 2: string (mpp::ColumnType's values).
using ColumnValues = std::variant<std::vector<std::int64_t>, std::vector<double>, std::vector<std::string>>;

/// One column. Never changed after it is built, so views on any number of threads read it without
/// synchronisation (the shared_ptr that holds it publishes it).
struct ColumnData {
  std::string name;
  ColumnValues values;
  /// Empty when no value is null; otherwise one byte per value, 1 for a null. The value stored
  /// under a null is the type's placeholder (0, NaN, "").
  std::vector<std::uint8_t> nulls;
};

/// What a null slot holds, so that equal columns have equal storage under their nulls too.
template <ColumnElement T>
T null_placeholder() {
  if constexpr (std::same_as<T, double>) {
    return std::numeric_limits<double>::quiet_NaN();
  } else {
    return T{};
  }
}

}  // namespace mpp::detail
