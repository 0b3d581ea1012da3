#include "frame/frame_take.hpp"

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "frame/frame_ranges.hpp"
#include "frame/fresh_array.hpp"

namespace mpp::detail {
namespace {

// The gather loop stores nothing but the values (no bookkeeping the compiler must assume aliases
// them); each range says whether it met a missing row, and only such ranges are read again for the
// null flags, so a result without any costs no flag array.
template <class T>
Column gather(const Column& column, std::span<const std::size_t> rows) {
  const T* values = column.values<T>().data();
  const bool has_nulls = column.null_count() != 0;
  std::vector<T> out;
  size_in_ranges(out, rows.size());
  const auto missing = [&](std::size_t row) { return row == k_no_row || (has_nulls && column.is_null(row)); };
  const std::size_t parts = range_count(rows.size());
  std::vector<std::uint8_t> met(parts, 0);
  // Numbers of a column without nulls, the common case: a loop without branches (k_no_row reads
  // row 0, then gets the placeholder), as tight as a plain gather.
  const bool plain = std::is_arithmetic_v<T> && !has_nulls && column.size() != 0;
  for_ranges(rows.size(), parts, [&](std::size_t part, std::size_t begin, std::size_t end) {
    T* to = out.data();
    const std::size_t* from = rows.data();
    bool any = false;
    if (plain) {
      for (std::size_t i = begin; i < end; ++i) {
        const bool none = from[i] == k_no_row;
        to[i] = values[none ? 0 : from[i]];
        any |= none;
      }
      for (std::size_t i = begin; any && i < end; ++i) {
        if (from[i] == k_no_row) to[i] = null_placeholder<T>();
      }
    } else {
      for (std::size_t i = begin; i < end; ++i) {
        if (missing(from[i])) {
          to[i] = null_placeholder<T>();
          any = true;
        } else {
          to[i] = values[from[i]];
        }
      }
    }
    met[part] = any ? 1 : 0;
  });
  std::vector<bool> nulls;
  for (std::size_t part = 0; part < met.size(); ++part) {
    if (met[part] == 0) continue;
    if (nulls.empty()) nulls.resize(rows.size(), false);
    for (std::size_t i = range_begin(rows.size(), met.size(), part);
         i < range_begin(rows.size(), met.size(), part + 1); ++i) {
      nulls[i] = missing(rows[i]);
    }
  }
  return FrameAccess::make(column.name(), ColumnValues(std::move(out)), nulls, column.type());
}

}  // namespace

Column take(const Column& column, std::span<const std::size_t> rows) {
  switch (stored_type(column)) {
    case ColumnType::int64:
    case ColumnType::boolean:  // int64 storage
    case ColumnType::datetime:
      return gather<std::int64_t>(column, rows);
    case ColumnType::float64:
      return gather<double>(column, rows);
    case ColumnType::string:
      break;
  }
  return gather<std::string>(column, rows);
}

}  // namespace mpp::detail
