#include "frame/frame_ranges.hpp"

#include <algorithm>
#include <exception>
#include <thread>
#include <vector>

#include "mpp/cpu.hpp"

namespace mpp::detail {

std::size_t range_count(std::size_t n) noexcept {
  if (n < k_frame_parallel_rows) return 1;
  return std::clamp<std::size_t>(usable_cpu_count(), 1, n / (k_frame_parallel_rows / 2));
}

void for_ranges(std::size_t n, const std::function<void(std::size_t, std::size_t, std::size_t)>& fn) {
  const std::size_t parts = range_count(n);
  std::vector<std::exception_ptr> errors(parts);
  const auto run = [&](std::size_t part) {
    try {
      fn(part, range_begin(n, parts, part), range_begin(n, parts, part + 1));
    } catch (...) {
      errors[part] = std::current_exception();
    }
  };
  {
    std::vector<std::jthread> threads;
    threads.reserve(parts - 1);
    for (std::size_t part = 1; part < parts; ++part) threads.emplace_back(run, part);
    run(0);
  }
  for (const std::exception_ptr& error : errors) {
    if (error) std::rethrow_exception(error);
  }
}

}  // namespace mpp::detail
