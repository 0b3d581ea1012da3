#include "groupby_state.hpp"

#include <cmath>
#include <string>
#include <string_view>

namespace mpp::detail {
namespace {

// `f(group, value)` for every row in a group whose value is not missing; int64 values as T.
template <class T, class F>
void for_each_value(const Column& column, Codes codes, F&& f) {
  const std::uint8_t* nulls = null_flags(column);
  const std::size_t n = codes.size();
  if (stored_type(column) == ColumnType::int64) {
    const std::int64_t* values = column.values<std::int64_t>().data();
    for (std::size_t i = 0; i < n; ++i) {
      if (codes[i] == k_no_group || (nulls != nullptr && nulls[i] != 0)) continue;
      f(codes[i], static_cast<T>(values[i]));
    }
  } else {
    const double* values = column.values<double>().data();
    for (std::size_t i = 0; i < n; ++i) {
      if (codes[i] == k_no_group || (nulls != nullptr && nulls[i] != 0) || std::isnan(values[i])) continue;
      f(codes[i], static_cast<T>(values[i]));
    }
  }
}

}  // namespace

std::vector<std::int64_t> group_sizes(Codes codes, std::size_t groups) {
  std::vector<std::int64_t> out(groups);
  for (const std::uint32_t code : codes) {
    if (code != k_no_group) ++out[code];
  }
  return out;
}

std::vector<std::int64_t> group_counts(const Column& column, Codes codes, std::size_t groups) {
  std::vector<std::int64_t> out(groups);
  if (stored_type(column) == ColumnType::string) {
    const std::uint8_t* nulls = null_flags(column);
    for (std::size_t i = 0; i < codes.size(); ++i) {
      if (codes[i] != k_no_group && (nulls == nullptr || nulls[i] == 0)) ++out[codes[i]];
    }
    return out;
  }
  for_each_value<double>(column, codes, [&](std::uint32_t g, double) { ++out[g]; });
  return out;
}

std::vector<std::int64_t> int_sums(const Column& column, Codes codes, std::size_t groups) {
  std::vector<std::uint64_t> sums(groups);  // unsigned: wraps where a signed sum would be undefined
  for_each_value<std::uint64_t>(column, codes, [&](std::uint32_t g, std::uint64_t v) { sums[g] += v; });
  return {sums.begin(), sums.end()};
}

KahanSums float_sums(const Column& column, Codes codes, std::size_t groups) {
  KahanSums out(groups);
  for_each_value<double>(column, codes, [&](std::uint32_t g, double v) { out.add(g, v); });
  return out;
}

void Moments::merge(std::size_t group, std::int64_t count_b, double mean_b, double m2_b) {
  if (count_b == 0) return;
  const std::int64_t count_a = count[group];
  if (count_a == 0) {
    count[group] = count_b;
    mean[group] = mean_b;
    m2[group] = m2_b;
    return;
  }
  const auto a = static_cast<double>(count_a);
  const auto b = static_cast<double>(count_b);
  const double n = a + b;
  const double delta = mean_b - mean[group];
  mean[group] += delta * b / n;
  m2[group] += m2_b + delta * delta * a * b / n;
  count[group] = count_a + count_b;
}

Moments moments(const Column& column, Codes codes, std::size_t groups) {
  Moments out(groups);
  for_each_value<double>(column, codes, [&](std::uint32_t g, double v) {
    const double n = static_cast<double>(++out.count[g]);
    const double delta = v - out.mean[g];
    out.mean[g] += delta / n;
    out.m2[g] += delta * (v - out.mean[g]);
  });
  return out;
}

std::vector<std::size_t> pick_rows(const Column& column, Codes codes, std::size_t groups, bool first,
                                   bool last, int sign) {
  std::vector<std::size_t> out(groups, k_no_row);
  auto scan = [&](auto less_at) {
    for (std::size_t i = 0; i < codes.size(); ++i) {
      const std::uint32_t g = codes[i];
      if (g == k_no_group || is_missing(column, i)) continue;
      std::size_t& best = out[g];
      if (best == k_no_row || last || (!first && less_at(i, best))) best = i;
    }
  };
  auto by = [&](auto values) {
    scan([&](std::size_t i, std::size_t j) {
      return sign < 0 ? values[i] < values[j] : values[j] < values[i];
    });
  };
  switch (stored_type(column)) {
    case ColumnType::int64:
    case ColumnType::boolean:  // int64 storage
    case ColumnType::datetime:
      by(column.values<std::int64_t>());
      break;
    case ColumnType::float64:
      by(column.values<double>());
      break;
    case ColumnType::string: {
      const std::span<const std::string> values = column.values<std::string>();
      scan([&](std::size_t i, std::size_t j) {
        const std::string_view a = values[i];
        const std::string_view b = values[j];
        return sign < 0 ? a < b : b < a;
      });
      break;
    }
  }
  return out;
}

}  // namespace mpp::detail
