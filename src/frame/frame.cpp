#include "mpp/frame.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "frame/name_index.hpp"
#include "mpp/detail/frame/frame_storage.hpp"
#include "mpp/detail/frame/frame_throw.hpp"

namespace mpp {

namespace detail {

void throw_frame_index(const char* where, std::size_t index, std::size_t size) {
  throw std::out_of_range(std::string(where) + ": position " + std::to_string(index) +
                          " is out of range (size " + std::to_string(size) + ")");
}
void throw_frame_no_column(const char* where, std::string_view name) {
  throw std::out_of_range(std::string(where) + ": no column is named '" + std::string(name) + "'");
}
void throw_frame_type(const char* where, const std::string& column, int actual_type, const char* wanted) {
  throw std::invalid_argument(std::string(where) + ": column '" + column + "' holds " +
                              to_string(static_cast<ColumnType>(actual_type)) +
                              " values, which do not give a " + wanted);
}
void throw_frame_null(const char* where, const std::string& column, std::size_t index) {
  throw std::invalid_argument(std::string(where) + ": value " + std::to_string(index) + " of column '" +
                              column + "' is null (use get_optional() or is_null())");
}
void throw_frame_row_null(const char* where, const std::string& column, std::size_t label) {
  throw std::invalid_argument(std::string(where) + ": the value of column '" + column + "' in row " +
                              std::to_string(label) +
                              " (its index label) is null (use get_optional() or is_null())");
}
void throw_frame_invalid(const char* where, const std::string& what) {
  throw std::invalid_argument(std::string(where) + ": " + what);
}

namespace {

std::size_t size_of(const ColumnValues& values) noexcept {
  return std::visit([](const auto& v) { return v.size(); }, values);
}

// Doubles are equal when they have the same bits, or are both NaN: a frame equals itself, and
// -0.0 read back from CSV is told apart from 0.0.
bool same_double(double a, double b) noexcept {
  return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b) ||
         (std::isnan(a) && std::isnan(b));
}

}  // namespace

Frame FrameAccess::frame(std::vector<Column> columns, std::size_t index_start) {
  Frame frame(std::move(columns));
  frame.index_start_ = index_start;
  return frame;
}

}  // namespace detail

const char* to_string(ColumnType type) noexcept {
  switch (type) {
    case ColumnType::int64:
      return "int64";
    case ColumnType::float64:
      return "float64";
    case ColumnType::string:
      return "string";
    case ColumnType::boolean:
      return "bool";
    case ColumnType::datetime:
      return "datetime64[ns]";
  }
  return "unknown";
}

// -- Column ---------------------------------------------------------------------------------------

Column::Column() : data_(std::make_shared<const detail::ColumnData>()) {}

Column::Column(std::string name, detail::ColumnValues values, const std::vector<bool>& nulls,
               ColumnType stored_as) {
  const std::size_t size = detail::size_of(values);
  if (!nulls.empty() && nulls.size() != size) {
    detail::throw_frame_invalid("mpp::Column", "column '" + name + "' has " + std::to_string(size) +
                                                   " values but " + std::to_string(nulls.size()) +
                                                   " null flags");
  }
  auto data = std::make_shared<detail::ColumnData>();
  data->name = std::move(name);
  data->values = std::move(values);
  if (stored_as == ColumnType::boolean || stored_as == ColumnType::datetime)
    data->stored_as = static_cast<std::uint8_t>(stored_as);
  if (std::find(nulls.begin(), nulls.end(), true) != nulls.end()) {
    data->nulls.resize(size);
    std::visit(
        [&](auto& v) {
          using T = typename std::decay_t<decltype(v)>::value_type;
          for (std::size_t i = 0; i < size; ++i) {
            if (nulls[i]) {
              data->nulls[i] = 1;
              v[i] = detail::null_placeholder<T>();
            }
          }
        },
        data->values);
  }
  data_ = std::move(data);
  size_ = size;
}

namespace {

template <class T>
std::vector<T> values_or(const std::vector<std::optional<T>>& values, T placeholder) {
  std::vector<T> out;
  out.reserve(values.size());
  for (const auto& v : values) out.push_back(v.value_or(placeholder));
  return out;
}

std::vector<std::int64_t> bits_of(const std::vector<bool>& values) { return {values.begin(), values.end()}; }
std::vector<std::int64_t> nanoseconds_of(const std::vector<Timestamp>& values) {
  std::vector<std::int64_t> out;
  out.reserve(values.size());
  for (const Timestamp t : values) out.push_back(t.ns);
  return out;
}

// `nulls`, and a null wherever a value is the lowest int64: pandas' NaT, not a time.
std::vector<bool> nat_as_null(const std::vector<Timestamp>& values, const std::vector<bool>& nulls) {
  constexpr std::int64_t nat = std::numeric_limits<std::int64_t>::min();
  const bool any = std::any_of(values.begin(), values.end(), [](Timestamp t) { return t.ns == nat; });
  if (!any || (!nulls.empty() && nulls.size() != values.size())) return nulls;  // a size the column refuses
  std::vector<bool> out = nulls.empty() ? std::vector<bool>(values.size()) : nulls;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (values[i].ns == nat) out[i] = true;
  }
  return out;
}

}  // namespace

Column::Column(std::string name, const std::vector<bool>& values, const std::vector<bool>& nulls)
    : Column(std::move(name), detail::ColumnValues(bits_of(values)), nulls, ColumnType::boolean) {}
Column::Column(std::string name, const std::vector<std::optional<bool>>& values)
    : Column(std::move(name), values_or(values, false), null_flags(values)) {}
Column::Column(std::string name, const std::vector<Timestamp>& values, const std::vector<bool>& nulls)
    : Column(std::move(name), detail::ColumnValues(nanoseconds_of(values)), nat_as_null(values, nulls),
             ColumnType::datetime) {}
Column::Column(std::string name, const std::vector<std::optional<Timestamp>>& values)
    : Column(std::move(name), values_or(values, Timestamp()), null_flags(values)) {}

std::size_t Column::null_count() const noexcept {
  const std::uint8_t* flags = data_->null_flags();
  if (flags == nullptr) return 0;
  return static_cast<std::size_t>(
      std::count_if(flags + offset_, flags + offset_ + size_, [](std::uint8_t flag) { return flag != 0; }));
}

Column Column::slice(std::size_t begin, std::size_t end) const {
  if (end > size_) detail::throw_frame_index("mpp::Column::slice", end, size_);
  if (begin > end) detail::throw_frame_index("mpp::Column::slice", begin, end);
  return Column(data_, offset_ + begin, end - begin);
}

bool operator==(const Column& a, const Column& b) {
  if (a.name() != b.name() || a.type() != b.type() || a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a.is_null(i) != b.is_null(i)) return false;
  }
  return std::visit(
      [&](const auto& values_a) {
        using T = typename std::decay_t<decltype(values_a)>::value_type;
        const std::span<const T> x = a.values<T>();
        const std::span<const T> y = b.values<T>();
        for (std::size_t i = 0; i < x.size(); ++i) {
          if (a.is_null(i)) continue;
          if constexpr (std::is_same_v<T, double>) {
            if (!detail::same_double(x[i], y[i])) return false;
          } else {
            if (x[i] != y[i]) return false;
          }
        }
        return true;
      },
      detail::FrameAccess::data(a).values);
}

// -- Frame ----------------------------------------------------------------------------------------

Frame::Frame(std::initializer_list<Column> columns) : Frame(std::vector<Column>(columns)) {}

Frame::Frame(std::vector<Column> columns) : columns_(std::move(columns)) {
  if (columns_.empty()) return;
  rows_ = columns_.front().size();
  for (const Column& column : columns_) {
    if (column.size() != rows_) {
      detail::throw_frame_invalid("mpp::Frame",
                                  "column '" + column.name() + "' has " + std::to_string(column.size()) +
                                      " values but column '" + columns_.front().name() + "' has " +
                                      std::to_string(rows_) + ": every column must have as many");
    }
  }
  const detail::NameIndex index(columns_.size(),
                                [this](std::size_t i) { return std::string_view(columns_[i].name()); });
  if (const auto repeat = index.repeated(); repeat.first != detail::NameIndex::k_npos) {
    detail::throw_frame_invalid("mpp::Frame",
                                "two columns are named '" + columns_[repeat.second].name() + "'");
  }
}

const Column& Frame::column(std::string_view name) const {
  const auto position = find_column(name);
  if (!position) detail::throw_frame_no_column("mpp::Frame::column", name);
  return columns_[*position];
}

std::optional<std::size_t> Frame::find_column(std::string_view name) const noexcept {
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    if (columns_[i].name() == name) return i;
  }
  return std::nullopt;
}

std::vector<std::string> Frame::column_names() const {
  std::vector<std::string> names;
  names.reserve(columns_.size());
  for (const Column& column : columns_) names.push_back(column.name());
  return names;
}

Frame Frame::slice(std::size_t begin, std::size_t end) const {
  if (end > rows_) detail::throw_frame_index("mpp::Frame::slice", end, rows_);
  if (begin > end) detail::throw_frame_index("mpp::Frame::slice", begin, end);
  Frame part;
  part.columns_.reserve(columns_.size());
  for (const Column& column : columns_) part.columns_.push_back(column.slice(begin, end));
  part.rows_ = end - begin;
  part.index_start_ = index_start_ + begin;
  return part;
}

bool operator==(const Frame& a, const Frame& b) {
  return a.num_rows() == b.num_rows() && a.columns() == b.columns();
}

// -- partitions -----------------------------------------------------------------------------------

std::vector<Frame> array_split(const Frame& frame, std::size_t sections) {
  if (sections == 0)
    detail::throw_frame_invalid("mpp::array_split", "the number of sections must be at least 1");
  std::vector<Frame> parts;
  parts.reserve(sections);
  const std::size_t rows = frame.num_rows();
  for (std::size_t k = 0; k < sections; ++k) {
    parts.push_back(
        frame.slice(detail::section_begin(rows, sections, k), detail::section_begin(rows, sections, k + 1)));
  }
  return parts;
}

namespace {

std::string describe_columns(const Frame& frame) {
  std::string out = "[";
  for (std::size_t c = 0; c < frame.num_columns(); ++c) {
    if (c > 0) out += ", ";
    out += frame.column(c).name() + ": " + to_string(frame.column(c).type());
  }
  return out + "]";
}

// Whether column `c` of the frames is one run of the same storage, slice after slice.
bool contiguous(std::span<const Frame> frames, std::size_t c) {
  const Column& first = frames.front().column(c);
  const detail::ColumnData* storage = &detail::FrameAccess::data(first);
  std::size_t next = detail::FrameAccess::offset(first) + first.size();
  for (std::size_t f = 1; f < frames.size(); ++f) {
    const Column& column = frames[f].column(c);
    if (&detail::FrameAccess::data(column) != storage || detail::FrameAccess::offset(column) != next)
      return false;
    next += column.size();
  }
  return true;
}

Column concat_column(std::span<const Frame> frames, std::size_t c, std::size_t rows) {
  const Column& first = frames.front().column(c);
  auto data = std::make_shared<detail::ColumnData>();
  data->name = first.name();
  data->stored_as = detail::FrameAccess::data(first).stored_as;
  bool any_null = false;
  for (const Frame& frame : frames) any_null = any_null || frame.column(c).null_count() != 0;
  std::visit(
      [&](const auto& like) {
        using T = typename std::decay_t<decltype(like)>::value_type;
        std::vector<T> values;
        values.reserve(rows);
        for (const Frame& frame : frames) {
          const auto part = frame.column(c).values<T>();
          values.insert(values.end(), part.begin(), part.end());
        }
        data->values = std::move(values);
      },
      detail::FrameAccess::data(first).values);
  if (any_null) {
    data->nulls.reserve(rows);
    for (const Frame& frame : frames) {
      const Column& column = frame.column(c);
      for (std::size_t i = 0; i < column.size(); ++i) data->nulls.push_back(column.is_null(i) ? 1 : 0);
    }
  }
  return detail::FrameAccess::column(std::move(data));
}

}  // namespace

Frame concat(std::span<const Frame> frames) {
  if (frames.empty()) return Frame();
  const Frame& first = frames.front();
  std::size_t rows = 0;
  for (std::size_t f = 0; f < frames.size(); ++f) {
    const Frame& frame = frames[f];
    bool same = frame.num_columns() == first.num_columns();
    for (std::size_t c = 0; same && c < first.num_columns(); ++c) {
      same = frame.column(c).name() == first.column(c).name() &&
             frame.column(c).type() == first.column(c).type();
    }
    if (!same) {
      detail::throw_frame_invalid("mpp::concat", "frame " + std::to_string(f) + " has columns " +
                                                     describe_columns(frame) + " but frame 0 has " +
                                                     describe_columns(first));
    }
    rows += frame.num_rows();
  }
  std::vector<Column> columns;
  columns.reserve(first.num_columns());
  for (std::size_t c = 0; c < first.num_columns(); ++c) {
    if (contiguous(frames, c)) {
      // One view over the whole run: the first slice's start, every slice's rows.
      const Column& head = first.column(c);
      columns.push_back(detail::FrameAccess::view(head, detail::FrameAccess::offset(head), rows));
    } else {
      columns.push_back(concat_column(frames, c, rows));
    }
  }
  return detail::FrameAccess::frame(std::move(columns), first.index_start());
}

}  // namespace mpp
