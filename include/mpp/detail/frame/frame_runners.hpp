// What the Frame algorithms hand to a pool: a function run over every row of a partition, and the
// arithmetic of np.array_split. A worker process receives a partition whole, as one message, and
// sends its results back as one.
#pragma once

#include <concepts>
#include <cstddef>
#include <functional>
#include <iterator>
#include <type_traits>
#include <utility>
#include <vector>

namespace mpp::detail {

class ThreadExecutor;  // detail/thread/thread_executor.hpp

/// A pool whose workers are threads of this process (mpp::Pool): they can read a frame's rows in
/// place and write each result straight into the result vector.
template <class PoolType>
concept ThreadPool = std::same_as<typename PoolType::Executor, ThreadExecutor>;

/// Section `k` of `n` items cut into `sections` (np.array_split): the first n % sections sections
/// have one item more. Returns its first item.
constexpr std::size_t section_begin(std::size_t n, std::size_t sections, std::size_t k) noexcept {
  const std::size_t base = n / sections;
  const std::size_t extra = n % sections;
  return k * base + (k < extra ? k : extra);
}

/// map_rows's function over a partition: `f(row)` for each of its rows, results in row order.
/// Trivially copyable when F is (a function pointer, a captureless lambda), so it crosses to a
/// worker process as its bytes (remote.hpp's FunctionWrapper).
template <class F>
struct RowRunner {
  using wraps = F;
  F f;

  // A template so that Frame (complete only where map_rows is called) is a dependent type here.
  template <class Part>
  auto operator()(const Part& part) const {
    using R = std::decay_t<std::invoke_result_t<const F&, decltype(part.row(0))>>;
    const std::size_t n = part.num_rows();
    if constexpr (std::is_void_v<R>) {
      for (std::size_t i = 0; i < n; ++i) std::invoke(f, part.row(i));
    } else {
      std::vector<R> out;
      out.reserve(n);
      for (std::size_t i = 0; i < n; ++i) out.push_back(std::invoke(f, part.row(i)));
      return out;
    }
  }
};

/// The results of every partition, one vector, in order. Frees each part as it goes, so the peak
/// is the result plus one part.
template <class R>
std::vector<R> flatten(std::vector<std::vector<R>>&& parts, std::size_t total) {
  if (parts.size() == 1) return std::move(parts.front());
  std::vector<R> out;
  out.reserve(total);
  for (std::vector<R>& part : parts) {
    out.insert(out.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
    std::vector<R>().swap(part);
  }
  return out;
}

}  // namespace mpp::detail
