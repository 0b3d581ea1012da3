// apply / apply_async: one call, one task, one allocation (the job is its own result state).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

#include "mpp/detail/core/result_state.hpp"
#include "mpp/detail/front/job.hpp"
#include "mpp/errors.hpp"

namespace mpp::detail {

/// The result of calling `F` with `Args` as std::async does: both decayed, invoked as rvalues.
template <class F, class... Args>
using apply_result_t = std::decay_t<std::invoke_result_t<std::decay_t<F>, std::decay_t<Args>...>>;

template <class R, class F, class... Args>
class ApplyJob : public ResultState<R> {
 public:
  template <class G, class... A>
  ApplyJob(Ref<PoolShared> pool, G&& f, A&&... args)
      : ResultState<R>(std::move(pool)), call_(std::in_place, std::forward<G>(f), std::forward<A>(args)...) {
    task_.job = this;
    task_.begin = 0;
    task_.end = 1;
  }

  /// The job's only task. Queue it with a reference added for it.
  Task* task() noexcept { return &task_; }

  void run(std::size_t /*begin*/, std::size_t /*end*/) noexcept override {
    if (!start()) return;  // cancelled: already complete
    try {
      if constexpr (std::is_void_v<R>) {
        std::apply(std::move(call_->f), std::move(call_->args));
        release_call();
        complete([this] { this->set_value(); });
      } else {
        R value = std::apply(std::move(call_->f), std::move(call_->args));
        release_call();
        complete([&] { this->set_value(std::move(value)); });
      }
    } catch (...) {
      release_call();
      this->fail(std::current_exception());
    }
  }

 protected:
  // Computed outside claim(): terminate() may complete the job meanwhile, and then wins.
  template <class Store>
  void complete(Store store) noexcept {
    if (!this->claim()) return;
    try {
      store();
    } catch (...) {  // the result's move constructor threw
      this->set_error(std::current_exception());
    }
    this->finish();
  }

  /// The function and its arguments, until the call has run.
  const std::decay_t<F>& function() const noexcept { return call_->f; }
  const std::tuple<std::decay_t<Args>...>& arguments() const noexcept { return call_->args; }

  /// Queued -> started; false when AsyncResult::cancel() came first (the job is complete then, and
  /// its function and arguments are gone). Executors call it once, as the call starts (threads) or
  /// is sent to a worker (processes, ranks).
  bool start() noexcept {
    std::uint8_t expected = k_queued;
    return phase_.compare_exchange_strong(expected, k_started, std::memory_order_acq_rel) ||
           expected == k_started;
  }
  bool cancelled_before_start() const noexcept {
    return phase_.load(std::memory_order_acquire) == k_cancelled;
  }
  /// AsyncResult::cancel(Cancel::even_running) asked to stop the call while it runs.
  bool stop_asked() const noexcept { return stop_requested_.load(std::memory_order_acquire); }

 public:
  bool cancel_request(bool stop_running) override {
    std::uint8_t expected = k_queued;
    if (phase_.compare_exchange_strong(expected, k_cancelled, std::memory_order_acq_rel)) {
      release_call();                    // never runs: the function and arguments go now, as after a run
      if (!this->claim()) return false;  // terminate() cancelled it first
      this->set_error(
          this->cancelled_by_caller("the task was cancelled (AsyncResult::cancel) before it started"));
      this->finish();
      return true;
    }
    RunningStopper* stopper = this->pool().stopper();
    if (!stop_running || expected != k_started || stopper == nullptr || this->ready()) return false;
    // The pool skips the call if its worker has not started it yet, or kills the worker running
    // it; either way the result is a TaskCancelled, unless the call ended first.
    stop_requested_.store(true, std::memory_order_release);
    stopper->stop_requested();
    this->wait_until(k_no_deadline);
    if (!this->failed()) return false;
    try {
      std::rethrow_exception(this->error());
    } catch (const TaskCancelled&) {
      return true;
    } catch (...) {
      return false;
    }
  }

 protected:
  /// Destroys the function and the arguments once the call has run (before the result completes),
  /// as Python drops a task: an AsyncResult kept alive does not keep its arguments alive.
  void release_call() noexcept { call_.reset(); }

 private:
  struct Call {
    template <class G, class... A>
    explicit Call(G&& g, A&&... a) : f(std::forward<G>(g)), args(std::forward<A>(a)...) {}
    std::decay_t<F> f;
    std::tuple<std::decay_t<Args>...> args;
  };
  static constexpr std::uint8_t k_queued = 0;
  static constexpr std::uint8_t k_started = 1;
  static constexpr std::uint8_t k_cancelled = 2;
  std::optional<Call> call_;
  std::atomic<std::uint8_t> phase_{k_queued};
  std::atomic<bool> stop_requested_{false};
  Task task_;
};

}  // namespace mpp::detail
