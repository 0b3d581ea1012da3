// mpp::AsyncResult<T>: the result of an `_async` call, as Python's AsyncResult.
#pragma once

#include <chrono>
#include <concepts>
#include <cstddef>
#include <exception>
#include <functional>
#include <type_traits>
#include <utility>
#include <vector>

#include "mpp/detail/core/ref.hpp"
#include "mpp/detail/core/result_state.hpp"
#include "mpp/detail/core/throw.hpp"
#include "mpp/detail/core/wait.hpp"

namespace mpp {

/// What AsyncResult::cancel() may stop.
enum class Cancel {
  /// Only what has not started (concurrent.futures' Future.cancel()).
  if_not_started,
  /// Also an apply_async call already running, on a pool that can stop it: a ProcessPool (or an
  /// MpiPool rank's local worker) is killed and replaced. Threads, and MPI ranks that run items
  /// themselves, finish the call.
  even_running,
};

namespace detail {

/// The argument on_result receives: the value, or nothing for AsyncResult<void>.
template <class T, class OnResult>
void call_on_result(OnResult& on_result, ResultState<T>& state) {
  if constexpr (std::is_same_v<std::decay_t<OnResult>, std::nullptr_t>) {
    return;
  } else if constexpr (std::is_void_v<T>) {
    std::invoke(on_result);
  } else {
    std::invoke(on_result, std::as_const(state).value());
  }
}

/// Whether `OnResult` can take the result: (const T&), or nothing for T = void; nullptr skips it.
template <class T, class OnResult>
consteval bool accepts_result() {
  if constexpr (std::is_same_v<OnResult, std::nullptr_t>) {
    return true;
  } else if constexpr (std::is_void_v<T>) {
    return std::is_invocable_v<OnResult&>;
  } else {
    return std::is_invocable_v<OnResult&, const T&>;
  }
}

/// Copy-constructible for real: std::vector<std::unique_ptr<int>> claims a copy constructor that
/// does not compile.
template <class T>
struct deep_copyable : std::is_copy_constructible<T> {};
template <class T, class A>
struct deep_copyable<std::vector<T, A>> : deep_copyable<T> {};

template <class T, class OnResult, class OnError>
class TypedCallback final : public Callback {
 public:
  TypedCallback(OnResult on_result, OnError on_error)
      : on_result_(std::move(on_result)), on_error_(std::move(on_error)) {}

  void invoke(StateBase& state) override {
    if (state.failed()) {
      if constexpr (!std::is_same_v<OnError, std::nullptr_t>) std::invoke(on_error_, state.error());
    } else {
      call_on_result<T>(on_result_, static_cast<ResultState<T>&>(state));
    }
  }

 private:
  OnResult on_result_;
  OnError on_error_;
};

}  // namespace detail

/// The result of `apply_async`, `map_async` or `starmap_async`: ready when the task finished.
///
/// Thread safety: every member may be called from any thread, concurrently; copies share one
/// result. Waiting members called from inside a task of the same pool run other tasks of the pool
/// while they wait, so they never deadlock the pool.
template <class T>
class AsyncResult {
 public:
  using value_type = T;

  /// A result that refers to no task; every member but valid() throws std::logic_error.
  AsyncResult() noexcept = default;
  explicit AsyncResult(detail::Ref<detail::ResultState<T>> state) noexcept : state_(std::move(state)) {}

  /// Whether this object refers to a task.
  [[nodiscard]] bool valid() const noexcept { return static_cast<bool>(state_); }

  /// Blocks until the task finished, then returns its result or rethrows its exception.
  /// May be called more than once: each call returns a copy. When T is move-only, the first call
  /// moves the result out and a later one throws std::logic_error.
  T get() {
    wait();
    return value("mpp::AsyncResult::get");
  }

  /// As get(), but throws mpp::TimeoutError when the task has not finished within `timeout`.
  template <class Rep, class Period>
  T get(std::chrono::duration<Rep, Period> timeout) {
    if (!wait(timeout)) detail::throw_timeout("mpp::AsyncResult", "get");
    return value("mpp::AsyncResult::get");
  }

  /// Blocks until the task finished (successfully or not). Never throws the task's exception.
  void wait() { state("mpp::AsyncResult::wait").wait_until(detail::k_no_deadline); }

  /// Blocks at most `timeout`; true when the task finished.
  template <class Rep, class Period>
  bool wait(std::chrono::duration<Rep, Period> timeout) {
    return state("mpp::AsyncResult::wait").wait_until(detail::deadline_after(timeout));
  }

  /// Whether the task finished. Non-blocking. Callbacks attached before completion have run when
  /// this returns true.
  [[nodiscard]] bool ready() const { return state("mpp::AsyncResult::ready").ready(); }

  /// Whether the task finished without an exception. Throws std::logic_error if not ready yet (as
  /// Python raises ValueError).
  [[nodiscard]] bool successful() const {
    const auto& s = state("mpp::AsyncResult::successful");
    if (!s.ready()) detail::throw_not_ready("mpp::AsyncResult::successful");
    return !s.failed();
  }

  /// Cancels what has not started, as concurrent.futures' Future.cancel(). True when it did:
  /// - `apply_async`: the call had not started (on a process pool: had not been sent to a
  ///   worker); it never runs, and the result completes at once with mpp::TaskCancelled (on_error
  ///   callbacks run, in this thread on a thread pool, on the pool's callback thread otherwise).
  ///   False when it had started or finished: a call that runs is left to finish, unless `how` is
  ///   Cancel::even_running and the pool can stop it (ProcessPool, MpiPool's local workers): then
  ///   this waits until the
  ///   pool has stopped it (its worker killed and replaced; true, the result is TaskCancelled) or
  ///   seen it end first (false, the result is the call's own).
  /// - `map_async`, `starmap_async`: no chunk starts any more; chunks already running finish (on
  ///   a process pool, a worker skips the items of its chunk not yet started), their results are
  ///   dropped, and then the result completes with mpp::TaskCancelled (the input is in use until
  ///   then). False when the map had finished, or had failed first (its result is that failure).
  bool cancel(Cancel how = Cancel::if_not_started) {
    return state("mpp::AsyncResult::cancel").cancel_request(how == Cancel::even_running);
  }

  /// Attaches callbacks: `on_result(const T&)` (no argument for T = void) when the task succeeds,
  /// `on_error(std::exception_ptr)` when it throws; either may be nullptr. Attached before the task
  /// finishes, they run (on the worker that finished it) before get(), wait() and ready() see the
  /// result; attached later, they run at once in the calling thread. They run exactly once, in the
  /// order attached, and never two of one pool at a time. An exception a callback throws is written
  /// to standard error, naming the pool, and dropped. May be called more than once.
  template <class OnResult, class OnError = std::nullptr_t>
  AsyncResult& then(OnResult on_result, OnError on_error = nullptr) {
    static_assert(detail::accepts_result<T, OnResult>(),
                  "mpp::AsyncResult::then: on_result must be callable with the result (const T&), or with "
                  "nothing for AsyncResult<void>");
    static_assert(
        std::is_same_v<OnError, std::nullptr_t> || std::is_invocable_v<OnError&, std::exception_ptr>,
        "mpp::AsyncResult::then: on_error must be callable with a std::exception_ptr");
    auto& s = state("mpp::AsyncResult::then");
    s.attach(new detail::TypedCallback<T, OnResult, OnError>(std::move(on_result), std::move(on_error)));
    return *this;
  }

 private:
  detail::ResultState<T>& state(const char* what) const {
    if (!state_) detail::throw_no_state(what);
    return *state_;
  }

  T value(const char* what) {
    auto& s = state(what);
    if (s.failed()) std::rethrow_exception(s.error());
    if constexpr (std::is_void_v<T>) {
      return;
    } else if constexpr (detail::deep_copyable<T>::value) {
      return s.value();
    } else {
      if (!s.claim_value()) detail::throw_value_taken(what);
      return s.take();
    }
  }

  detail::Ref<detail::ResultState<T>> state_;
};

}  // namespace mpp
