// map / map_async / starmap: items of a random-access range, results in input order.
#pragma once

#include <atomic>
#include <cstddef>
#include <exception>
#include <functional>
#include <ranges>
#include <type_traits>
#include <utility>
#include <vector>

#include "mpp/detail/core/outcome.hpp"
#include "mpp/detail/core/result_state.hpp"
#include "mpp/detail/front/chunking.hpp"
#include "mpp/detail/front/job.hpp"

namespace mpp::detail {

/// What map returns: std::vector<R>, or void for a void function.
template <class R>
using MapResult = std::conditional_t<std::is_void_v<R>, void, std::vector<R>>;

/// `f` applied to each item of `view` (a random-access, sized view the job owns or borrows).
/// Fails fast: after the first exception no new item starts, and that exception is the result.
template <class R, class F, class V>
class MapJob : public ResultState<MapResult<R>> {
 public:
  MapJob(Ref<PoolShared> pool, F f, V view, std::size_t items, ChunkPlan plan)
      : ResultState<MapResult<R>>(std::move(pool)),
        f_(std::move(f)),
        view_(std::move(view)),
        out_(items),
        remaining_(items) {
    const std::size_t count = ceil_div(items, plan.chunk);
    // push_back, not resize and assign: g++ 12 at -O3 warns falsely (-Wstringop-overflow) on that.
    tasks_.reserve(count);
    for (std::size_t c = 0; c < count; ++c) {
      tasks_.push_back(Task{this, c * plan.chunk, std::min(items, (c + 1) * plan.chunk), plan.grain, false});
    }
  }

  std::vector<Task>& tasks() noexcept { return tasks_; }

  void run(std::size_t begin, std::size_t end) noexcept override {
    // Relaxed: a stale "not failed" only runs a few more items of a map that already failed.
    if (!failed_.load(std::memory_order_relaxed)) {
      try {
        auto first = std::ranges::begin(view_);
        for (std::size_t i = begin; i < end; ++i) {
          if constexpr (std::is_void_v<R>) {
            std::invoke(std::as_const(f_), first[static_cast<std::ranges::range_difference_t<V>>(i)]);
          } else {
            out_.set(
                i, std::invoke(std::as_const(f_), first[static_cast<std::ranges::range_difference_t<V>>(i)]));
          }
        }
      } catch (...) {
        record_failure(std::current_exception());
      }
    }
    items_done(end - begin);
  }

  /// AsyncResult::cancel(): no item starts any more (as after a failure); the result completes
  /// with TaskCancelled once the runs under way end (the input stays in use until then). False
  /// when the map had finished, or failed first (then its result is that failure).
  bool cancel_request(bool /*stop_running*/) noexcept override {
    // Hold the job open meanwhile: no completion can start until the failure is written.
    std::size_t left = remaining_.load(std::memory_order_acquire);
    do {
      if (left == 0) return false;  // finished, or finishing
    } while (!remaining_.compare_exchange_weak(left, left + 1, std::memory_order_acq_rel));
    bool expected = false;
    const bool won = failed_.compare_exchange_strong(expected, true, std::memory_order_acq_rel);
    if (won) {
      first_error_ = this->cancelled_by_caller(
          "the map was cancelled (AsyncResult::cancel); its items not started did not run");
    }
    items_done(1);  // the hold
    return won;
  }

  /// Called by the pool when no item will run (an empty map).
  void complete() noexcept {
    if (!this->claim()) return;
    if (failed_.load(std::memory_order_acquire)) {
      this->set_error(first_error_);
    } else {
      try {
        if constexpr (std::is_void_v<R>) {
          this->set_value();
        } else {
          this->set_value(out_.finish());
        }
      } catch (...) {
        this->set_error(std::current_exception());
      }
    }
    this->finish();
  }

 protected:
  void record_failure(std::exception_ptr error) noexcept {
    bool expected = false;
    if (failed_.compare_exchange_strong(expected, true, std::memory_order_acq_rel)) {
      // Only the winner writes; complete() reads it after the acq_rel countdown.
      first_error_ = std::move(error);
    }
  }
  bool any_item_failed() const noexcept { return failed_.load(std::memory_order_relaxed); }
  /// `count` more items have their outcome; the last ones complete the job.
  void items_done(std::size_t count) noexcept {
    // acq_rel: whoever finishes the last items sees every other worker's results.
    if (remaining_.fetch_sub(count, std::memory_order_acq_rel) == count) complete();
  }

  F f_;
  V view_;
  MapStorage<R> out_;

 private:
  std::atomic<std::size_t> remaining_;
  std::atomic<bool> failed_{false};
  std::exception_ptr first_error_;
  std::vector<Task> tasks_;
};

}  // namespace mpp::detail
