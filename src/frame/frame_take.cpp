#include "frame/frame_take.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "frame/frame_ranges.hpp"
#include "mpp/detail/core/memory_advice.hpp"

namespace mpp::detail {
namespace {

// Each range notes its nulls, so a result without any costs no flag array.
template <class T>
Column gather(const Column& column, std::span<const std::size_t> rows) {
  const std::span<const T> values = column.values<T>();
  const bool has_nulls = column.null_count() != 0;
  std::vector<T> out;
  reserve_on_huge_pages(out, rows.size());
  out.resize(rows.size());
  std::vector<std::vector<std::size_t>> null_rows(range_count(rows.size()));
  for_ranges(rows.size(), [&](std::size_t part, std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      if (rows[i] == k_no_row || (has_nulls && column.is_null(rows[i]))) {
        out[i] = null_placeholder<T>();
        null_rows[part].push_back(i);
      } else {
        out[i] = values[rows[i]];
      }
    }
  });
  std::vector<bool> nulls;
  for (const std::vector<std::size_t>& part : null_rows) {
    if (!part.empty() && nulls.empty()) nulls.resize(rows.size(), false);
    for (const std::size_t i : part) nulls[i] = true;
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
