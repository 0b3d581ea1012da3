// describe(): per numeric column its count, mean, std, min, quartiles and max. The quartiles come
// from nth_element on a copy of the column's values (no sort), interpolated as numpy's linear
// percentile.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "frame/frame_pool.hpp"
#include "group_codes.hpp"
#include "mpp/detail/core/memory_advice.hpp"
#include "mpp/frame.hpp"
#include "mpp/pool.hpp"

namespace mpp::detail {
namespace {

// numpy's _lerp: a + (b - a) t, computed from b's side when t >= 0.5 so that t = 1 gives b exactly.
double lerp(double a, double b, double t) {
  const double diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

// numpy's sum of the float64 values value(0), ..., value(n - 1), which pandas' mean and std use:
// blocks of 8 192 values (numpy's buffer) added in order, each block summed pairwise as numpy's
// pairwise_sum sums it (eight accumulators up to 128 values, halves above). The same grouping gives
// pandas' bits, and an error that grows with log n where a running sum's grows with n.
template <class Value>
double pairwise_sum(const Value& value, std::size_t begin, std::size_t n) {
  if (n < 8) {
    double sum = 0.;
    for (std::size_t i = 0; i < n; ++i) sum += value(begin + i);
    return sum;
  }
  if (n <= 128) {
    std::array<double, 8> r{};
    for (std::size_t k = 0; k < 8; ++k) r[k] = value(begin + k);
    std::size_t i = 8;
    for (; i < n - n % 8; i += 8) {
      for (std::size_t k = 0; k < 8; ++k) r[k] += value(begin + i + k);
    }
    double sum = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) sum += value(begin + i);
    return sum;
  }
  std::size_t half = n / 2;
  half -= half % 8;
  return pairwise_sum(value, begin, half) + pairwise_sum(value, begin + half, n - half);
}

template <class Value>
double numpy_sum(const Value& value, std::size_t n) {
  constexpr std::size_t k_block = 8192;
  double sum = 0.;
  for (std::size_t begin = 0; begin < n; begin += k_block)
    sum += pairwise_sum(value, begin, std::min(k_block, n - begin));
  return sum;
}

// Quartiles of `values` (n > 0), reordering them: nth_element at the median, then at each outer
// quartile within its half. Every other position then lies between two placed ones, so the order
// statistic after a placed position k is the least value between k and the next placed position.
std::vector<double> quartiles(std::vector<double>& values) {
  const std::size_t n = values.size();
  const auto at = [&](std::size_t k) { return values.begin() + static_cast<std::ptrdiff_t>(k); };
  const auto position = [&](double q) { return q * static_cast<double>(n - 1); };
  const auto low = [&](double q) { return static_cast<std::size_t>(std::floor(position(q))); };
  const std::size_t placed[3] = {low(0.25), low(0.5), low(0.75)};
  std::nth_element(at(0), at(placed[1]), at(n));
  if (placed[0] < placed[1]) std::nth_element(at(0), at(placed[0]), at(placed[1]));
  if (placed[2] > placed[1]) std::nth_element(at(placed[1] + 1), at(placed[2]), at(n));
  std::vector<double> out;
  for (const double q : {0.25, 0.5, 0.75}) {
    const std::size_t k = low(q);
    const double t = position(q) - static_cast<double>(k);
    if (t == 0) {
      out.push_back(values[k]);
      continue;
    }
    std::size_t next = n - 1;
    for (const std::size_t p : placed) {
      if (p > k) next = std::min(next, p);
    }
    out.push_back(lerp(values[k], *std::min_element(at(k + 1), at(next + 1)), t));
  }
  return out;
}

}  // namespace

std::vector<Column> describe_inputs(const Frame& frame) {
  std::vector<Column> out;
  for (const Column& column : frame.columns()) {
    // Numbers only: pandas' describe() leaves bool and datetime columns out when there are numbers.
    if (column.type() == ColumnType::int64 || column.type() == ColumnType::float64) out.push_back(column);
  }
  if (out.empty())
    detail::throw_frame_invalid("mpp::Frame::describe", "no int64 or float64 column to describe");
  return out;
}

Column describe_column(const Column& column) {
  // The values that are not missing, as doubles, read from the column's storage in place, with
  // their least and greatest in the same pass. The copy gets huge pages: faulting in 80 MB of
  // fresh 4 KiB pages took longer than the pass itself.
  std::vector<double> values;
  reserve_on_huge_pages(values, column.size());
  values.reserve(column.size());
  const std::uint8_t* flags = null_flags(column);
  const bool ints = column.type() == ColumnType::int64;
  const std::int64_t* int_values = ints ? column.values<std::int64_t>().data() : nullptr;
  const double* double_values = ints ? nullptr : column.values<double>().data();
  const auto value = [&](std::size_t i) {
    return ints ? static_cast<double>(int_values[i]) : double_values[i];
  };
  const auto missing = [&](std::size_t i) {
    return (flags != nullptr && flags[i] != 0) || std::isnan(value(i));
  };
  const std::size_t rows = column.size();
  double least = std::numeric_limits<double>::infinity();
  double greatest = -std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < rows; ++i) {
    if (missing(i)) continue;
    const double v = value(i);
    values.push_back(v);
    if (v < least) least = v;           // the first least, as std::minmax_element
    if (!(v < greatest)) greatest = v;  // the last greatest, as std::minmax_element
  }
  const std::size_t n = values.size();
  // count, mean, std, min, 25%, 50%, 75%, max
  std::vector<double> stats(8, 0.0);
  std::vector<bool> nulls(8, true);
  stats[0] = static_cast<double>(n);
  nulls[0] = false;
  if (n > 0) {
    // pandas' nanmean and nanvar: the sum over the whole column, a missing value as 0 in its place,
    // then the squared deviations'. With nothing missing the copy holds every value in its place:
    // the same sums, without a branch per value.
    const double* all = n == rows ? values.data() : nullptr;
    const auto sum_of = [&](auto term) {
      return all != nullptr
                 ? numpy_sum([&](std::size_t i) { return term(all[i]); }, rows)
                 : numpy_sum([&](std::size_t i) { return missing(i) ? 0.0 : term(value(i)); }, rows);
    };
    const double mean = sum_of([](double v) { return v; }) / static_cast<double>(n);
    const double squares = sum_of([mean](double v) { return (mean - v) * (mean - v); });
    stats[1] = mean;
    stats[2] = n > 1 ? std::sqrt(squares / static_cast<double>(n - 1)) : 0.0;
    stats[3] = least;
    stats[7] = greatest;
    const std::vector<double> q = quartiles(values);
    std::copy(q.begin(), q.end(), stats.begin() + 4);
    for (std::size_t k = 1; k < 8; ++k) nulls[k] = k == 2 && n < 2;
  }
  return {column.name(), std::move(stats), nulls};
}

Frame describe_frame(std::vector<Column> stats) {
  stats.insert(stats.begin(), Column("statistic", std::vector<std::string>{"count", "mean", "std", "min",
                                                                           "25%", "50%", "75%", "max"}));
  return Frame(std::move(stats));
}

}  // namespace mpp::detail

namespace mpp {

Frame Frame::describe() const {
  if (rows_ >= detail::k_pool_rows) return mpp::describe(detail::frame_pool(), *this);
  std::vector<Column> stats;
  for (const Column& column : detail::describe_inputs(*this))
    stats.push_back(detail::describe_column(column));
  return detail::describe_frame(std::move(stats));
}

}  // namespace mpp
