// Frame's column operations (select, drop, rename, with_column, insert, astype) and Column::rename
// and Column::astype: pandas' everyday column work.
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "frame/double_text.hpp"
#include "frame/frame_datetime.hpp"
#include "frame/frame_names.hpp"
#include "frame/name_index.hpp"
#include "mpp/frame.hpp"

namespace mpp {
namespace {

using Names = detail::FrameNames;

Frame with_columns(const Frame& frame, std::vector<Column> columns) {
  return detail::FrameAccess::frame(std::move(columns), frame.index_start());
}

// As with_columns, first refusing two columns of one name in the words of `where`, the call that
// made them (the Frame constructor would only say "mpp::Frame").
Frame with_unique_columns(const Frame& frame, std::vector<Column> columns, const char* where) {
  const detail::NameIndex index(columns.size(),
                                [&](std::size_t i) { return std::string_view(columns[i].name()); });
  if (const auto repeat = index.repeated(); repeat.first != detail::NameIndex::k_npos) {
    detail::throw_frame_invalid(where, "two columns would be named '" + columns[repeat.second].name() + "'");
  }
  return with_columns(frame, std::move(columns));
}

void check_length(const Frame& frame, const Column& column, const char* where) {
  if (frame.num_columns() != 0 && column.size() != frame.num_rows()) {
    detail::throw_frame_invalid(where, "column '" + column.name() + "' has " + std::to_string(column.size()) +
                                           " values but the frame has " + std::to_string(frame.num_rows()) +
                                           " rows");
  }
}

std::string value_text(std::int64_t v) { return std::to_string(v); }

// As Python's str(), which pandas' astype(str) uses: 1.0, not 1; 100000.0, not 1e+05.
std::string value_text(double v) {
  std::string text;
  detail::append_double_text(text, v);
  return text;
}

// `text` as T, spaces around it allowed; nullopt when it is not one whole T.
template <class T>
std::optional<T> parse(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  T value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

[[noreturn]] void throw_cast(const Column& column, std::size_t i, const std::string& value, ColumnType to) {
  detail::throw_frame_invalid("mpp::Column::astype", "column '" + column.name() + "', value " +
                                                         std::to_string(i) + " (" + value + ") cannot be " +
                                                         to_string(to));
}

// Value i of `column` (not null) as To.
template <class To, class From>
To cast(const Column& column, std::size_t i, const From& v, ColumnType to) {
  if constexpr (std::is_same_v<To, From>) {
    return v;
  } else if constexpr (std::is_same_v<To, std::string>) {
    return value_text(v);
  } else if constexpr (std::is_same_v<From, std::string>) {
    const auto parsed = parse<To>(v);
    if (!parsed) throw_cast(column, i, "'" + v + "'", to);
    return *parsed;
  } else if constexpr (std::is_same_v<To, double>) {
    return static_cast<double>(v);
  } else {  // double to int64: toward zero, as numpy's astype; 2^63 is the first double past the range
    if (!std::isfinite(v) || v >= 0x1p63 || v < -0x1p63) throw_cast(column, i, value_text(v), to);
    return static_cast<std::int64_t>(v);
  }
}

// A string as a bool (True/False spellings: pandas would make any non-empty string True) or a
// datetime (ISO 8601), for astype.
std::int64_t parse_as(const Column& column, std::size_t i, const std::string& v, ColumnType to) {
  if (to == ColumnType::boolean) {
    if (const auto b = detail::parse_bool(v)) return *b ? 1 : 0;
  } else if (const char* why = nullptr; const auto ns = detail::parse_datetime(v, why)) {
    return *ns;
  }
  throw_cast(column, i, "'" + v + "'", to);
}

// A bool or datetime column's values as text, as pandas' astype(str): True/False, and datetimes
// in the column's format (write_csv's).
std::vector<std::string> text_values(const Column& column) {
  const std::span<const std::int64_t> v = column.values<std::int64_t>();
  std::vector<std::string> out(v.size());
  const detail::ColumnData& data = detail::FrameAccess::data(column);
  const std::uint8_t* nulls =
      data.null_flags() == nullptr ? nullptr : data.null_flags() + detail::FrameAccess::offset(column);
  const detail::DatetimeFormat format = detail::datetime_format(v, nulls);
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (nulls != nullptr && nulls[i] != 0) continue;
    if (column.type() == ColumnType::boolean) {
      out[i] = v[i] != 0 ? "True" : "False";
    } else {
      detail::append_datetime(out[i], v[i], format);
    }
  }
  return out;
}

}  // namespace

// A column's name is part of its storage, so the values are copied (this view's only); a column
// in shared memory keeps its segment.
Column Column::rename(std::string name) const {
  if (data_->shared) {
    auto data = std::make_shared<detail::ColumnData>(*data_);
    data->name = std::move(name);
    return Column(std::move(data), offset_, size_);
  }
  std::vector<bool> nulls(size_);
  for (std::size_t i = 0; i < size_; ++i) nulls[i] = null_at(i);
  return std::visit(
      [&](const auto& all) {
        using T = typename std::decay_t<decltype(all)>::value_type;
        const std::span<const T> v = values<T>();
        return Column(std::move(name), detail::ColumnValues(std::vector<T>(v.begin(), v.end())), nulls,
                      type());
      },
      data_->values);
}

Column Column::astype(ColumnType type) const {
  const ColumnType from = this->type();
  if (type == from) return *this;
  const auto is = [](ColumnType t, ColumnType a, ColumnType b) { return t == a || t == b; };
  // pandas refuses a datetime to or from a float64 or a bool (a number of nanoseconds is int64).
  if ((from == ColumnType::datetime && is(type, ColumnType::float64, ColumnType::boolean)) ||
      (type == ColumnType::datetime && is(from, ColumnType::float64, ColumnType::boolean))) {
    detail::throw_frame_invalid("mpp::Column::astype", "column '" + name() + "' holds " + to_string(from) +
                                                           " values, which cannot become " + to_string(type) +
                                                           " (int64 nanoseconds can)");
  }
  std::vector<bool> nulls(size_);
  for (std::size_t i = 0; i < size_; ++i) nulls[i] = null_at(i);
  if (type == ColumnType::string && from != ColumnType::float64 && from != ColumnType::int64)
    return Column(name(), text_values(*this), nulls);
  const auto convert = [&]<class To>(std::vector<To> out) {
    out.reserve(size_);
    std::visit(
        [&](const auto& all) {
          using From = typename std::decay_t<decltype(all)>::value_type;
          const std::span<const From> v = values<From>();
          for (std::size_t i = 0; i < size_; ++i) {
            if (nulls[i]) {
              out.push_back(detail::null_placeholder<To>());
            } else if constexpr (std::is_same_v<From, std::string> && std::is_same_v<To, std::int64_t>) {
              if (type == ColumnType::datetime && detail::is_nat_text(v[i])) {
                nulls[i] = true;  // pandas' missing time
                out.push_back(detail::null_placeholder<To>());
              } else {
                out.push_back(type == ColumnType::int64 ? cast<To>(*this, i, v[i], type)
                                                        : parse_as(*this, i, v[i], type));
              }
            } else if constexpr (std::is_same_v<From, std::int64_t> && std::is_same_v<To, std::int64_t>) {
              // int64 nanoseconds to datetime as they are, but the lowest int64, which is pandas' NaT.
              if (type == ColumnType::datetime && v[i] == std::numeric_limits<std::int64_t>::min()) {
                nulls[i] = true;
                out.push_back(detail::null_placeholder<To>());
              } else {
                out.push_back(type == ColumnType::boolean ? static_cast<std::int64_t>(v[i] != 0) : v[i]);
              }
            } else if constexpr (std::is_arithmetic_v<From> && std::is_same_v<To, std::int64_t>) {
              // To bool: nonzero is true (a NaN too, as numpy).
              out.push_back(type == ColumnType::boolean ? static_cast<std::int64_t>(v[i] != 0)
                                                        : cast<To>(*this, i, v[i], type));
            } else {
              out.push_back(cast<To>(*this, i, v[i], type));
            }
          }
        },
        data_->values);
    return Column(name(), detail::ColumnValues(std::move(out)), nulls, type);
  };
  switch (type) {
    case ColumnType::int64:
    case ColumnType::boolean:
    case ColumnType::datetime:
      return convert(std::vector<std::int64_t>{});
    case ColumnType::float64:
      return convert(std::vector<double>{});
    case ColumnType::string:
      return convert(std::vector<std::string>{});
  }
  detail::throw_frame_invalid("mpp::Column::astype", "unknown column type");
}

Frame Frame::select(const std::vector<std::string>& names) const {
  const Names index(*this);
  std::vector<Column> out;
  out.reserve(names.size());
  for (const std::string& name : names) out.push_back(columns_[index.at(name, "mpp::Frame::select")]);
  return with_unique_columns(*this, std::move(out), "mpp::Frame::select");
}

Frame Frame::select_at(const std::vector<std::size_t>& positions) const {
  std::vector<Column> out;
  out.reserve(positions.size());
  for (const std::size_t p : positions) {
    if (p >= columns_.size()) detail::throw_frame_index("mpp::Frame::select_at", p, columns_.size());
    out.push_back(columns_[p]);
  }
  return with_unique_columns(*this, std::move(out), "mpp::Frame::select_at");
}

Frame Frame::drop(const std::vector<std::string>& names) const {
  const Names index(*this);
  std::vector<bool> dropped(columns_.size());
  for (const std::string& name : names) dropped[index.at(name, "mpp::Frame::drop")] = true;
  std::vector<Column> out;
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    if (!dropped[i]) out.push_back(columns_[i]);
  }
  return with_columns(*this, std::move(out));
}

Frame Frame::rename(const std::vector<std::pair<std::string, std::string>>& names) const {
  const Names index(*this);
  std::vector<Column> out = columns_;
  for (const auto& [from, to] : names) {
    const std::size_t i = index.at(from, "mpp::Frame::rename");
    out[i] = out[i].rename(to);
  }
  return with_unique_columns(*this, std::move(out), "mpp::Frame::rename");
}

Frame Frame::with_column(Column column) const {
  check_length(*this, column, "mpp::Frame::with_column");
  std::vector<Column> out = columns_;
  if (const auto at = find_column(column.name())) {
    out[*at] = std::move(column);
  } else {
    out.push_back(std::move(column));
  }
  return with_columns(*this, std::move(out));
}

Frame Frame::insert(std::size_t position, Column column) const {
  check_length(*this, column, "mpp::Frame::insert");
  if (position > columns_.size())
    detail::throw_frame_index("mpp::Frame::insert", position, columns_.size() + 1);
  std::vector<Column> out = columns_;
  out.insert(out.begin() + static_cast<std::ptrdiff_t>(position), std::move(column));
  return with_unique_columns(*this, std::move(out), "mpp::Frame::insert");
}

Frame Frame::astype(const std::vector<std::pair<std::string, ColumnType>>& types) const {
  const Names index(*this);
  std::vector<Column> out = columns_;
  for (const auto& [name, type] : types) {
    const std::size_t i = index.at(name, "mpp::Frame::astype");
    out[i] = out[i].astype(type);
  }
  return with_columns(*this, std::move(out));
}

}  // namespace mpp
