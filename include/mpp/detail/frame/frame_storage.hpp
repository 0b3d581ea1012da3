// A Frame column's storage: the values of one column, built once and then only read, shared by every
// Column and Frame that views it (slices included).
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "mpp/detail/process/shared_range.hpp"

namespace mpp::detail {

class WireOutputArchive;  // the codec's archives (detail/remote/codec.hpp): a column in shared
class WireInputArchive;   // memory crosses through them as its ranges

/// The element types a column can hold, in the order of mpp::ColumnType.
template <class T>
concept ColumnElement =
    std::same_as<T, std::int64_t> || std::same_as<T, double> || std::same_as<T, std::string>;

/// Index 0: int64, 1: float64, 2: string (mpp::ColumnType's values).
using ColumnValues = std::variant<std::vector<std::int64_t>, std::vector<double>, std::vector<std::string>>;

/// Where an int64 or float64 column's values (and null flags) are when they live in shared memory
/// (Frame::share(), or such a column received from another process): mapped, and named so that
/// the column crosses to another process on this machine as these ranges.
struct SharedColumnStorage {
  std::shared_ptr<const void> keep;  // the segment (or this process's mappings of it)
  const void* values = nullptr;
  const std::uint8_t* nulls = nullptr;  // nullptr: no value is null
  std::size_t size = 0;
  SharedRange values_range;
  SharedRange nulls_range;  // size 0: no nulls
};

/// One column. Never changed after it is built, so views on any number of threads read it without
/// synchronisation (the shared_ptr that holds it publishes it).
struct ColumnData {
  std::string name;
  /// The values; for a column in shared memory, an empty vector that gives the type, the values
  /// being in `shared`.
  ColumnValues values;
  /// Empty when no value is null (or the column is in shared memory); otherwise one byte per
  /// value, 1 for a null. The value stored under a null is the type's placeholder (0, NaN, "").
  std::vector<std::uint8_t> nulls;
  std::optional<SharedColumnStorage> shared;
  /// mpp::ColumnType's value for a type kept in another type's storage (bool and datetime in int64
  /// storage: 0/1 and nanoseconds), else 0: the type is the storage's, values.index().
  std::uint8_t stored_as = 0;

  /// The column's mpp::ColumnType, as its number.
  std::uint8_t type_code() const noexcept {
    return stored_as != 0 ? stored_as : static_cast<std::uint8_t>(values.index());
  }

  /// The values of a column of type T.
  template <ColumnElement T>
  const T* data() const noexcept {
    if (shared) return static_cast<const T*>(shared->values);
    return std::get_if<std::vector<T>>(&values)->data();
  }
  std::size_t size() const noexcept {
    if (shared) return shared->size;
    return std::visit([](const auto& v) { return v.size(); }, values);
  }
  /// One flag per value (1: null), or nullptr when no value is null.
  const std::uint8_t* null_flags() const noexcept {
    if (shared) return shared->nulls;
    return nulls.empty() ? nullptr : nulls.data();
  }
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
