#include "frame/frame_ranges.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <vector>

#include "frame/frame_pool.hpp"
#include "mpp/cpu.hpp"

namespace mpp::detail {

namespace {

// One call's ranges, shared with the pool tasks that help run them: a task that starts after the
// call returned finds every range taken and touches nothing else.
struct Ranges {
  Ranges(std::size_t rows, std::size_t count,
         const std::function<void(std::size_t, std::size_t, std::size_t)>& f)
      : n(rows), parts(count), fn(&f), errors(count) {}

  // Runs ranges until none is left untaken.
  void run() {
    for (std::size_t part = next.fetch_add(1); part < parts; part = next.fetch_add(1)) {
      try {
        (*fn)(part, range_begin(n, parts, part), range_begin(n, parts, part + 1));
      } catch (...) {
        errors[part] = std::current_exception();
      }
      {
        const std::scoped_lock lock(mutex);
        ++done;
      }
      finished.notify_all();
    }
  }

  const std::size_t n;
  const std::size_t parts;
  const std::function<void(std::size_t, std::size_t, std::size_t)>* fn;
  std::vector<std::exception_ptr> errors;  // one per range, each written by the thread that ran it
  std::atomic<std::size_t> next{0};
  std::mutex mutex;
  std::condition_variable finished;
  std::size_t done = 0;  // guarded by mutex
};

}  // namespace

std::size_t range_count(std::size_t n) noexcept {
  if (n < k_frame_parallel_rows) return 1;
  return std::clamp<std::size_t>(usable_cpu_count(), 1, n / (k_frame_parallel_rows / 2));
}

void for_ranges(std::size_t n, const std::function<void(std::size_t, std::size_t, std::size_t)>& fn) {
  for_ranges(n, range_count(n), fn);
}

void for_ranges(std::size_t n, std::size_t parts,
                const std::function<void(std::size_t, std::size_t, std::size_t)>& fn) {
  parts = std::max<std::size_t>(parts, 1);
  if (parts == 1) {
    fn(0, 0, n);
    return;
  }
  const auto ranges = std::make_shared<Ranges>(n, parts, fn);
  for (std::size_t helper = 1; helper < parts; ++helper) {
    (void)frame_pool().apply_async([ranges] { ranges->run(); });
  }
  ranges->run();
  {
    std::unique_lock lock(ranges->mutex);
    ranges->finished.wait(lock, [&] { return ranges->done == parts; });
  }
  for (const std::exception_ptr& error : ranges->errors) {
    if (error) std::rethrow_exception(error);
  }
}

}  // namespace mpp::detail
