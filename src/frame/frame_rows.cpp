// Row selection and missing values: Column comparisons into a Mask, Column/Frame::filter, isna,
// notna, fillna and dropna, as pandas' boolean indexing and NA handling.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "frame/frame_names.hpp"
#include "frame/frame_ranges.hpp"
#include "frame/fresh_array.hpp"
#include "mpp/frame.hpp"

namespace mpp {
namespace {

const char* scalar_type(const Scalar& value) {
  constexpr const char* k_names[] = {"a number", "a number", "a string", "a bool", "a datetime"};
  return k_names[value.index()];
}

// What a column compares with: numbers with numbers, and each other type with its own.
int kind_of(ColumnType type) {
  switch (type) {
    case ColumnType::int64:
    case ColumnType::float64:
      return 0;
    case ColumnType::string:
      return 2;
    case ColumnType::boolean:
      return 3;
    case ColumnType::datetime:
      return 4;
  }
  return -1;
}
int kind_of(const Scalar& value) { return value.index() == 1 ? 0 : static_cast<int>(value.index()); }

// A bool or a datetime as its int64 storage holds it (0/1, nanoseconds).
std::int64_t stored(const Scalar& value) {
  if (const auto* b = std::get_if<bool>(&value)) return *b ? 1 : 0;
  return std::get<Timestamp>(value).ns;
}

enum class Op { eq, ne, lt, le, gt, ge };

template <Op op, class A, class B>
bool holds(A a, B b) noexcept {
  if constexpr (op == Op::eq) return a == b;
  if constexpr (op == Op::ne) return a != b;
  if constexpr (op == Op::lt) return a < b;
  if constexpr (op == Op::le) return a <= b;
  if constexpr (op == Op::gt) return a > b;
  if constexpr (op == Op::ge) return a >= b;
}

// int64 `v` against double `x` (not NaN), exactly: -1, 0 or 1 (a conversion of either to the
// other's type would round).
int compare_exact(std::int64_t v, double x) noexcept {
  constexpr double k_two_63 = 9223372036854775808.0;
  if (x >= k_two_63) return -1;
  if (x < -k_two_63) return 1;
  const double whole = std::trunc(x);
  const auto w = static_cast<std::int64_t>(whole);
  if (v != w) return v < w ? -1 : 1;
  const double rest = x - whole;
  return rest > 0 ? -1 : (rest < 0 ? 1 : 0);
}

// Flags [begin, end) of `out`: the comparison of each value with `x`. `cmp(value)` is the flag of a
// value that is not null; a null's is `op == Op::ne` (as pandas: a missing value equals nothing).
template <Op op, class T, class Cmp>
void compare_range(const T* v, const std::uint8_t* nulls, std::uint8_t* out, std::size_t begin,
                   std::size_t end, Cmp cmp) {
  for (std::size_t i = begin; i < end; ++i) out[i] = cmp(v[i]) ? 1 : 0;
  if (nulls == nullptr) return;
  for (std::size_t i = begin; i < end; ++i) {
    if (nulls[i] != 0) out[i] = op == Op::ne ? 1 : 0;
  }
}

// One flag per value: the comparison `op` of the value with `value` (a NaN on either side compares
// as IEEE does: unequal to everything), in parallel for a large column.
template <Op op>
Mask compare(const Column& column, const Scalar& value, const char* name) {
  if (kind_of(column.type()) != kind_of(value)) {
    const std::string where = std::string("mpp::Column::operator") + name;
    detail::throw_frame_invalid(where.c_str(), "column '" + column.name() + "' holds " +
                                                   to_string(column.type()) + " values, compared with " +
                                                   scalar_type(value));
  }
  const detail::ColumnData& data = detail::FrameAccess::data(column);
  const std::size_t offset = detail::FrameAccess::offset(column);
  const std::uint8_t* nulls = data.null_flags() == nullptr ? nullptr : data.null_flags() + offset;
  std::vector<std::uint8_t> out;
  detail::size_in_ranges(out, column.size());
  const auto run = [&]<class T>(const T* v, auto cmp) {
    detail::for_ranges(out.size(), [&](std::size_t, std::size_t begin, std::size_t end) {
      compare_range<op>(v, nulls, out.data(), begin, end, cmp);
    });
  };
  const auto exact = [](int sign) { return holds<op>(sign, 0); };
  switch (column.type()) {
    case ColumnType::boolean:
    case ColumnType::datetime:
      run(data.data<std::int64_t>() + offset,
          [x = stored(value)](std::int64_t v) { return holds<op>(v, x); });
      break;
    case ColumnType::string: {
      const std::string_view x = std::get<std::string>(value);
      run(data.data<std::string>() + offset,
          [x](const std::string& v) { return holds<op>(std::string_view(v), x); });
      break;
    }
    case ColumnType::int64:
      if (const auto* x = std::get_if<std::int64_t>(&value)) {
        run(data.data<std::int64_t>() + offset, [x = *x](std::int64_t v) { return holds<op>(v, x); });
      } else if (const double d = std::get<double>(value); std::isnan(d)) {
        run(data.data<std::int64_t>() + offset, [](std::int64_t) { return op == Op::ne; });
      } else {
        run(data.data<std::int64_t>() + offset,
            [d, exact](std::int64_t v) { return exact(compare_exact(v, d)); });
      }
      break;
    case ColumnType::float64:
      if (const auto* x = std::get_if<double>(&value)) {
        run(data.data<double>() + offset, [x = *x](double v) { return holds<op>(v, x); });
      } else if (const std::int64_t i = std::get<std::int64_t>(value);
                 i >= -(std::int64_t{1} << 53) && i <= (std::int64_t{1} << 53)) {
        // Exact as a double.
        run(data.data<double>() + offset, [d = static_cast<double>(i)](double v) { return holds<op>(v, d); });
      } else {
        run(data.data<double>() + offset,
            [i, exact](double v) { return std::isnan(v) ? op == Op::ne : exact(-compare_exact(i, v)); });
      }
      break;
  }
  return detail::MaskAccess::from_normalised(std::move(out));  // compare_range writes 0 or 1
}

// Missing as pandas counts it: a null, or a NaN in a float64 column.
bool missing(const Column& column, std::size_t i) {
  if (column.is_null(i)) return true;
  return column.type() == ColumnType::float64 && std::isnan(column.values<double>()[i]);
}

void check_mask(std::size_t rows, const Mask& mask, const char* where) {
  if (mask.size() != rows) {
    detail::throw_frame_invalid(where, "a mask of " + std::to_string(mask.size()) + " flags for " +
                                           std::to_string(rows) + " rows: it must have one per row");
  }
}

}  // namespace

Mask operator==(const Column& c, const Scalar& v) { return compare<Op::eq>(c, v, "=="); }
Mask operator!=(const Column& c, const Scalar& v) { return compare<Op::ne>(c, v, "!="); }
Mask operator<(const Column& c, const Scalar& v) { return compare<Op::lt>(c, v, "<"); }
Mask operator<=(const Column& c, const Scalar& v) { return compare<Op::le>(c, v, "<="); }
Mask operator>(const Column& c, const Scalar& v) { return compare<Op::gt>(c, v, ">"); }
Mask operator>=(const Column& c, const Scalar& v) { return compare<Op::ge>(c, v, ">="); }

Mask Column::isna() const {
  Mask out(size_);
  for (std::size_t i = 0; i < size_; ++i) out.set(i, missing(*this, i));
  return out;
}

Mask Column::notna() const { return ~isna(); }

Column Column::fillna(const Scalar& value) const {
  const auto break_type = [&] {
    detail::throw_frame_invalid("mpp::Column::fillna", "column '" + name() + "' holds " + to_string(type()) +
                                                           " values, filled with " + scalar_type(value));
  };
  // The value is checked before looking for missing values, so a wrong one is refused even when
  // this column happens to have nothing to fill.
  const Mask fill_at = isna();
  return std::visit(
      [&](const auto& all) {
        using T = typename std::decay_t<decltype(all)>::value_type;
        T fill{};
        if constexpr (std::is_same_v<T, std::string>) {
          if (!std::holds_alternative<std::string>(value)) break_type();
          fill = std::get<std::string>(value);
        } else if constexpr (std::is_same_v<T, double>) {
          if (kind_of(value) != 0) break_type();
          fill = std::holds_alternative<double>(value) ? std::get<double>(value)
                                                       : static_cast<double>(std::get<std::int64_t>(value));
        } else if (type() == ColumnType::int64) {
          if (!std::holds_alternative<std::int64_t>(value)) break_type();
          fill = std::get<std::int64_t>(value);
        } else {  // bool or datetime: a value of its own type
          if (kind_of(type()) != kind_of(value)) break_type();
          fill = stored(value);
          // Filling with the lowest int64, pandas' NaT, fills nothing (frame.md).
          if (type() == ColumnType::datetime && fill == std::numeric_limits<std::int64_t>::min())
            return *this;
        }
        if (!fill_at.any()) return *this;
        const std::span<const T> v = values<T>();
        std::vector<T> out(v.begin(), v.end());
        for (std::size_t i = 0; i < size_; ++i) {
          if (fill_at[i]) out[i] = fill;
        }
        return Column(name(), detail::ColumnValues(std::move(out)), {}, type());
      },
      data_->values);
}

namespace {

// The values of `columns` at the rows `mask` keeps, as new columns: the rows cut into ranges (one
// per thread for a large frame), each range's kept rows counted, then copied to their place, every
// column in one pass over the ranges.
std::vector<Column> gather(const std::vector<const Column*>& columns, const Mask& mask) {
  const std::size_t rows = mask.size();
  const std::uint8_t* keep = mask.flags().data();
  const std::size_t parts = detail::range_count(rows);
  std::vector<std::size_t> starts(parts + 1, 0);  // where each range's rows go in the result
  detail::for_ranges(rows, parts, [&](std::size_t part, std::size_t begin, std::size_t end) {
    std::size_t kept = 0;
    for (std::size_t i = begin; i < end; ++i) kept += keep[i];
    starts[part + 1] = kept;
  });
  for (std::size_t part = 0; part < parts; ++part) starts[part + 1] += starts[part];
  const std::size_t total = starts[parts];
  struct Gathered {
    const detail::ColumnData* data;
    std::size_t offset;
    const std::uint8_t* nulls;
    std::shared_ptr<detail::ColumnData> result;
  };
  std::vector<Gathered> gathered;
  gathered.reserve(columns.size());
  for (const Column* column : columns) {
    const detail::ColumnData& data = detail::FrameAccess::data(*column);
    const std::size_t offset = detail::FrameAccess::offset(*column);
    auto result = std::make_shared<detail::ColumnData>();
    result->name = column->name();
    const std::uint8_t* nulls = data.null_flags() == nullptr ? nullptr : data.null_flags() + offset;
    result->stored_as = data.stored_as;
    if (nulls != nullptr) detail::size_in_ranges(result->nulls, total);
    std::visit(
        [&](const auto& all) {
          std::decay_t<decltype(all)> values;
          detail::size_in_ranges(values, total);
          result->values = std::move(values);
        },
        data.values);
    gathered.push_back({&data, offset, nulls, std::move(result)});
  }
  detail::for_ranges(rows, parts, [&](std::size_t part, std::size_t begin, std::size_t end) {
    if (starts[part + 1] == starts[part]) return;
    // Up to the range's last kept row, every row is written at the next place and the place moves
    // on only for a kept one: no branch on the flags, which a filter keeps at random. Each write
    // stays below the place of the range's last kept row, inside the range's share of the result.
    std::size_t last = end - 1;
    while (keep[last] == 0) --last;
    for (Gathered& g : gathered) {
      std::visit(
          [&](auto& values) {
            using T = typename std::decay_t<decltype(values)>::value_type;
            const T* v = g.data->data<T>() + g.offset;
            T* out = values.data();
            std::size_t at = starts[part];
            for (std::size_t i = begin; i <= last; ++i) {
              if constexpr (std::is_same_v<T, std::string>) {
                if (keep[i] != 0) out[at++] = v[i];
              } else {
                out[at] = v[i];
                at += keep[i];
              }
            }
            if (g.nulls == nullptr) return;
            std::uint8_t* nulls_out = g.result->nulls.data();
            at = starts[part];
            for (std::size_t i = begin; i <= last; ++i) {
              nulls_out[at] = g.nulls[i];
              at += keep[i];
            }
          },
          g.result->values);
    }
  });
  std::vector<Column> out;
  out.reserve(gathered.size());
  for (Gathered& g : gathered) {
    std::vector<std::uint8_t>& nulls = g.result->nulls;
    if (std::find(nulls.begin(), nulls.end(), std::uint8_t{1}) == nulls.end()) nulls.clear();
    out.push_back(detail::FrameAccess::column(std::move(g.result)));
  }
  return out;
}

}  // namespace

Column Column::filter(const Mask& mask) const {
  check_mask(size_, mask, "mpp::Column::filter");
  return std::move(gather({this}, mask).front());
}

Mask Column::as_mask() const {
  if (type() != ColumnType::boolean) {
    detail::throw_frame_invalid("mpp::Column::as_mask",
                                "column '" + name() + "' holds " + to_string(type()) + " values, not bool");
  }
  const std::int64_t* v = values<std::int64_t>().data();
  const std::uint8_t* nulls = data_->null_flags() == nullptr ? nullptr : data_->null_flags() + offset_;
  std::vector<std::uint8_t> flags;
  detail::size_in_ranges(flags, size_);
  // In parallel for a large column; a null is false.
  detail::for_ranges(size_, [&](std::size_t, std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) flags[i] = v[i] != 0 ? 1 : 0;
    if (nulls == nullptr) return;
    for (std::size_t i = begin; i < end; ++i) flags[i] &= static_cast<std::uint8_t>(nulls[i] == 0);
  });
  return detail::MaskAccess::from_normalised(std::move(flags));
}

Frame Frame::filter(const Column& flags) const { return filter(flags.as_mask()); }

Frame Frame::filter(const Mask& mask) const {
  check_mask(rows_, mask, "mpp::Frame::filter");
  std::vector<const Column*> columns;
  columns.reserve(columns_.size());
  for (const Column& column : columns_) columns.push_back(&column);
  return Frame(gather(columns, mask));
}

Frame Frame::dropna(How how, const std::vector<std::string>& subset) const {
  const detail::FrameNames names(*this);
  std::vector<const Column*> looked;
  for (const std::string& name : subset) looked.push_back(&columns_[names.at(name, "mpp::Frame::dropna")]);
  if (subset.empty()) {
    for (const Column& c : columns_) looked.push_back(&c);
  }
  Mask keep(rows_);
  for (std::size_t i = 0; i < rows_; ++i) {
    std::size_t nulls = 0;
    for (const Column* c : looked) nulls += missing(*c, i) ? 1 : 0;
    keep.set(i, how == How::any ? nulls == 0 : nulls < looked.size() || looked.empty());
  }
  return filter(keep);
}

Frame Frame::fillna(const std::vector<std::pair<std::string, Scalar>>& values) const {
  const detail::FrameNames names(*this);
  std::vector<Column> out = columns_;
  for (const auto& [name, value] : values) {
    const std::size_t at = names.at(name, "mpp::Frame::fillna");
    out[at] = out[at].fillna(value);
  }
  return detail::FrameAccess::frame(std::move(out), index_start_);
}

}  // namespace mpp
