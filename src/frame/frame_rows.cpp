// Row selection and missing values: Column comparisons into a Mask, Column/Frame::filter, isna,
// notna, fillna and dropna, as pandas' boolean indexing and NA handling.
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "frame/frame_names.hpp"
#include "mpp/frame.hpp"

namespace mpp {
namespace {

const char* scalar_type(const Scalar& value) {
  return std::holds_alternative<std::string>(value) ? "a string" : "a number";
}

// A number of the column (T: int64 or double) against a number, exactly: long double holds every
// int64 and every double.
template <class T>
int compare_numbers(T v, const Scalar& value) {
  const long double x = static_cast<long double>(v);
  const long double y = std::holds_alternative<std::int64_t>(value)
                            ? static_cast<long double>(std::get<std::int64_t>(value))
                            : static_cast<long double>(std::get<double>(value));
  return x < y ? -1 : (x > y ? 1 : 0);
}

// One flag per value: `keep(sign)` of the comparison of the value with `value`; `unordered` for a
// null and for a NaN on either side.
Mask compare(const Column& column, const Scalar& value, const char* op, bool unordered,
             const std::function<bool(int)>& keep) {
  const bool text = std::holds_alternative<std::string>(value);
  if (text != (column.type() == ColumnType::string)) {
    const std::string where = std::string("mpp::Column::operator") + op;
    detail::throw_frame_invalid(where.c_str(), "column '" + column.name() + "' holds " +
                                                   to_string(column.type()) + " values, compared with " +
                                                   scalar_type(value));
  }
  const bool nan = std::holds_alternative<double>(value) && std::isnan(std::get<double>(value));
  Mask out(column.size());
  std::visit(
      [&](const auto& all) {
        using T = typename std::decay_t<decltype(all)>::value_type;
        const std::span<const T> v = column.values<T>();
        for (std::size_t i = 0; i < v.size(); ++i) {
          bool flag = unordered;
          if constexpr (std::is_same_v<T, std::string>) {
            if (!column.is_null(i)) flag = keep(v[i].compare(std::get<std::string>(value)));
          } else {
            bool is_nan = false;
            if constexpr (std::is_same_v<T, double>) is_nan = std::isnan(v[i]);
            if (!column.is_null(i) && !is_nan && !nan) flag = keep(compare_numbers(v[i], value));
          }
          out.set(i, flag);
        }
      },
      detail::FrameAccess::data(column).values);
  return out;
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

Mask operator==(const Column& c, const Scalar& v) {
  return compare(c, v, "==", false, [](int s) { return s == 0; });
}
Mask operator!=(const Column& c, const Scalar& v) {
  return compare(c, v, "!=", true, [](int s) { return s != 0; });
}
Mask operator<(const Column& c, const Scalar& v) {
  return compare(c, v, "<", false, [](int s) { return s < 0; });
}
Mask operator<=(const Column& c, const Scalar& v) {
  return compare(c, v, "<=", false, [](int s) { return s <= 0; });
}
Mask operator>(const Column& c, const Scalar& v) {
  return compare(c, v, ">", false, [](int s) { return s > 0; });
}
Mask operator>=(const Column& c, const Scalar& v) {
  return compare(c, v, ">=", false, [](int s) { return s >= 0; });
}

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
  const Mask fill_at = isna();
  if (!fill_at.any()) return *this;
  return std::visit(
      [&](const auto& all) {
        using T = typename std::decay_t<decltype(all)>::value_type;
        T fill{};
        if constexpr (std::is_same_v<T, std::string>) {
          if (!std::holds_alternative<std::string>(value)) break_type();
          fill = std::get<std::string>(value);
        } else if constexpr (std::is_same_v<T, double>) {
          if (std::holds_alternative<std::string>(value)) break_type();
          fill = std::holds_alternative<double>(value) ? std::get<double>(value)
                                                       : static_cast<double>(std::get<std::int64_t>(value));
        } else {
          if (!std::holds_alternative<std::int64_t>(value)) break_type();
          fill = std::get<std::int64_t>(value);
        }
        const std::span<const T> v = values<T>();
        std::vector<T> out(v.begin(), v.end());
        for (std::size_t i = 0; i < size_; ++i) {
          if (fill_at[i]) out[i] = fill;
        }
        return Column(name(), std::move(out));
      },
      data_->values);
}

Column Column::filter(const Mask& mask) const {
  check_mask(size_, mask, "mpp::Column::filter");
  std::vector<bool> nulls;
  nulls.reserve(mask.count());
  for (std::size_t i = 0; i < size_; ++i) {
    if (mask[i]) nulls.push_back(null_at(i));
  }
  return std::visit(
      [&](const auto& all) {
        using T = typename std::decay_t<decltype(all)>::value_type;
        const std::span<const T> v = values<T>();
        std::vector<T> out;
        out.reserve(nulls.size());
        for (std::size_t i = 0; i < size_; ++i) {
          if (mask[i]) out.push_back(v[i]);
        }
        return Column(name(), std::move(out), nulls);
      },
      data_->values);
}

Frame Frame::filter(const Mask& mask) const {
  check_mask(rows_, mask, "mpp::Frame::filter");
  std::vector<Column> out;
  out.reserve(columns_.size());
  for (const Column& column : columns_) out.push_back(column.filter(mask));
  return Frame(std::move(out));
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
