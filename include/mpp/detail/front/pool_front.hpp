// The pool algorithms, written once for every back end: argument handling, chunking, ordering,
// the imap window, AsyncResult and callbacks, close/join/terminate. A back end supplies an
// executor (threads, processes, MPI ranks) and the job types that run on it.
#pragma once

#include <algorithm>
#include <cstddef>
#include <functional>
#include <memory>
#include <ranges>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "mpp/async_result.hpp"
#include "mpp/detail/core/ref.hpp"
#include "mpp/detail/core/result_state.hpp"
#include "mpp/detail/core/throw.hpp"
#include "mpp/detail/front/apply_job.hpp"
#include "mpp/detail/front/chunking.hpp"
#include "mpp/detail/front/executor.hpp"
#include "mpp/detail/front/imap_job.hpp"
#include "mpp/detail/front/map_job.hpp"
#include "mpp/detail/front/unpack.hpp"
#include "mpp/imap_range.hpp"

namespace mpp::detail {

/// A random-access, sized view of `range`: the range itself when it is one (borrowed when an
/// lvalue, moved in when a temporary), else its elements copied into a vector (as Python's map
/// does with an iterable); that reading happens here, so the range's exceptions reach the caller.
template <class Range>
auto random_access_view(Range&& range) {
  using All = std::views::all_t<Range>;
  if constexpr (std::ranges::random_access_range<All> && std::ranges::sized_range<All>) {
    return std::views::all(std::forward<Range>(range));
  } else {
    std::vector<std::ranges::range_value_t<Range>> items;
    if constexpr (std::ranges::sized_range<Range>) items.reserve(std::ranges::size(range));
    for (auto&& item : range) items.push_back(std::forward<decltype(item)>(item));
    return std::views::all(std::move(items));
  }
}

/// The element type a map's function receives.
template <class V>
using map_argument_t = std::ranges::range_reference_t<V>;

template <class F, class V>
using map_result_t = std::decay_t<std::invoke_result_t<const std::decay_t<F>&, map_argument_t<V>>>;

template <class Range>
using map_view_t = decltype(random_access_view(std::declval<Range>()));

/// What map returns for `f` over `Range`.
template <class F, class Range>
using map_value_t = MapResult<map_result_t<F, map_view_t<Range>>>;

template <class F, class Range>
using imap_result_t = std::decay_t<
    std::invoke_result_t<const std::decay_t<F>&, std::ranges::range_value_t<std::views::all_t<Range>>&&>>;

template <class Backend>
class PoolFront {
 public:
  using Executor = typename Backend::Executor;
  static_assert(PoolExecutor<Executor>, "a back end's executor must satisfy PoolExecutor (executor.hpp)");

  PoolFront(const PoolFront&) = delete;
  PoolFront& operator=(const PoolFront&) = delete;

  /// Number of workers. Thread-safe, non-blocking.
  [[nodiscard]] std::size_t size() const noexcept { return executor_.size(); }

  /// Calls `f(args...)` on a worker and returns its result; rethrows its exception. Blocks; from a
  /// task of the same pool, runs other tasks while it waits. Arguments are copied or moved into
  /// the task as std::async does. Throws mpp::PoolNotRunning after close() or terminate().
  template <class F, class... Args>
  apply_result_t<F, Args...> apply(F&& f, Args&&... args) {
    auto job = start_apply("apply", true, std::forward<F>(f), std::forward<Args>(args)...);
    return wait_and_take(std::move(job));
  }

  /// As apply(), without blocking: returns at once with an AsyncResult (see its then() for the
  /// callback and error callback of Python's apply_async).
  template <class F, class... Args>
  [[nodiscard]] AsyncResult<apply_result_t<F, Args...>> apply_async(F&& f, Args&&... args) {
    return AsyncResult<apply_result_t<F, Args...>>(
        start_apply("apply_async", false, std::forward<F>(f), std::forward<Args>(args)...));
  }

  /// `f(item)` for every item of `range`, in parallel; results in input order. Blocks (from a task
  /// of the same pool, runs other tasks meanwhile). `chunksize` items go to a task; 0 chooses
  /// automatically and balances uneven items. An empty range returns an empty vector at once.
  /// Rethrows the first exception a task threw (after which no new item starts). Returns void
  /// for a void `f`. Throws mpp::PoolNotRunning after close() or terminate(), even for an empty range.
  template <class F, std::ranges::input_range Range>
  auto map(F&& f, Range&& range, std::size_t chunksize = 0) {
    return wait_and_take(start_map("map", std::forward<F>(f), std::forward<Range>(range), chunksize));
  }

  /// As map(), without blocking. A temporary range is moved in and kept alive; an lvalue range is
  /// borrowed and must outlive the result.
  template <class F, std::ranges::input_range Range>
  [[nodiscard]] AsyncResult<map_value_t<F, Range>> map_async(F&& f, Range&& range,
                                                             std::size_t chunksize = 0) {
    return AsyncResult<map_value_t<F, Range>>(
        start_map("map_async", std::forward<F>(f), std::forward<Range>(range), chunksize));
  }

  /// `std::apply(f, element)` for every tuple-like element (std::tuple, std::pair, std::array), as
  /// map() otherwise. Other elements (a std::vector per item) are refused at compile time by a
  /// static_assert that names starmap.
  template <class F, std::ranges::input_range Range>
  auto starmap(F&& f, Range&& range, std::size_t chunksize = 0) {
    if constexpr (check_starmap_item<std::ranges::range_value_t<Range>>()) {
      return map(Unpack<std::decay_t<F>>{std::forward<F>(f)}, std::forward<Range>(range), chunksize);
    }
  }

  /// As starmap(), without blocking.
  template <class F, std::ranges::input_range Range>
  [[nodiscard]] auto starmap_async(F&& f, Range&& range, std::size_t chunksize = 0) {
    if constexpr (check_starmap_item<std::ranges::range_value_t<Range>>()) {
      return map_async(Unpack<std::decay_t<F>>{std::forward<F>(f)}, std::forward<Range>(range), chunksize);
    }
  }

  /// Lazy, ordered map: returns at once an ImapRange whose elements are the results in input
  /// order. Input is read only as results are taken (never more than a small multiple of
  /// size() × chunksize items ahead), so a range of any length, even unbounded, works. A chunksize
  /// of 0 means 1.
  template <class F, std::ranges::input_range Range>
  [[nodiscard]] ImapRange<imap_result_t<F, Range>> imap(F&& f, Range&& range, std::size_t chunksize = 1) {
    return start_imap("imap", std::forward<F>(f), std::forward<Range>(range), chunksize, true);
  }

  /// As imap(), with results in the order they complete.
  template <class F, std::ranges::input_range Range>
  [[nodiscard]] ImapRange<imap_result_t<F, Range>> imap_unordered(F&& f, Range&& range,
                                                                  std::size_t chunksize = 1) {
    return start_imap("imap_unordered", std::forward<F>(f), std::forward<Range>(range), chunksize, false);
  }

  /// No new work is accepted; queued work still runs. Non-blocking; thread-safe; idempotent.
  void close() noexcept { executor_.close(); }

  /// Stops now: every task not finished completes at once with mpp::TaskCancelled. A task already
  /// running on a thread finishes in the background and its result is discarded; join() waits
  /// for it. Thread-safe; idempotent.
  void terminate() noexcept { executor_.terminate(); }

  /// Waits until the workers have exited (after the work queued before close() is done, and every
  /// callback has run). Throws mpp::PoolRunning unless close() or terminate() came first; throws
  /// std::logic_error from a task of this pool. Idempotent. An imap that still has unread input
  /// reads all of it now, as Python's imap does at once.
  void join() {
    if (executor_.accepting()) throw_pool_running(Backend::k_name, "join");
    executor_.check_join(Backend::k_name);
    shared_->drain_all();
    executor_.join(Backend::k_name);
  }

 protected:
  template <class... ExecutorArgs>
  explicit PoolFront(ExecutorArgs&&... args)
      : shared_(Ref<PoolShared>::adopt(new PoolShared(Backend::k_name, nullptr))),
        executor_(std::forward<ExecutorArgs>(args)...) {
    shared_->set_executor(executor_.tag(), executor_.driver(), executor_.callback_runner(),
                          executor_.stopper());
  }

  /// As Python's `with` block ends, but gentler: close() then join(), so all submitted work
  /// finishes and every callback has run before the pool is gone. From one of its own tasks or
  /// callbacks, which cannot wait for themselves, it closes and returns at once: the work already
  /// submitted still runs, callbacks included, and the workers free the rest when they end.
  ~PoolFront() {
    close();
    try {
      join();
    } catch (const std::logic_error&) {  // on its own thread: the executor's destructor leaves it running
      shared_->keep_alive(executor_.shared_state());
    } catch (...) {
    }
  }

  Executor& executor() noexcept { return executor_; }

 private:
  // What chunks are planned for: the items the executor runs at once, where that is more than its
  // workers (an MPI pool whose ranks run local workers).
  std::size_t parallelism() const noexcept {
    if constexpr (requires { executor_.parallelism(); }) {
      return executor_.parallelism();
    } else {
      return executor_.size();
    }
  }

  void check_running(const char* what) const {
    if (!executor_.accepting()) throw_pool_not_running(Backend::k_name, what);
  }

  template <class F, class... Args>
  auto start_apply(const char* what, bool caller_waits, F&& f, Args&&... args) {
    using R = apply_result_t<F, Args...>;
    Backend::template check_apply<std::decay_t<F>, R, std::decay_t<Args>...>();
    using JobType = typename Backend::template Apply<R, std::decay_t<F>, std::decay_t<Args>...>;
    check_running(what);
    auto job = Ref<JobType>::adopt(new JobType(shared_, std::forward<F>(f), std::forward<Args>(args)...));
    job->add_ref();  // the queued task's
    // apply() waits right away: it drives the pool itself where it can, so needs no wake-up call.
    if (!executor_.submit_call(job->task(), caller_waits)) {
      job->release();
      throw_pool_not_running(Backend::k_name, what);
    }
    return Ref<ResultState<R>>(std::move(job));
  }

  template <class F, class Range>
  auto start_map(const char* what, F&& f, Range&& range, std::size_t chunksize) {
    check_running(what);
    auto view = random_access_view(std::forward<Range>(range));
    using V = decltype(view);
    using Fn = std::decay_t<F>;
    static_assert(std::is_invocable_v<const Fn&, map_argument_t<V>>,
                  "mpp pool map: f must be callable as a const object with one element of the range "
                  "(workers call it concurrently)");
    using R = map_result_t<F, V>;
    Backend::template check_map<Fn, R, V>();
    using JobType = typename Backend::template Map<R, Fn, V>;
    const std::size_t n = static_cast<std::size_t>(std::ranges::size(view));
    const ChunkPlan plan = plan_chunks(n, parallelism(), chunksize, Backend::k_splittable);
    auto job = Ref<JobType>::adopt(new JobType(shared_, std::forward<F>(f), std::move(view), n, plan));
    if (n == 0) {
      job->complete();
      return job;
    }
    if (!executor_.open_call()) throw_pool_not_running(Backend::k_name, what);
    auto& tasks = job->tasks();
    job->add_ref(static_cast<std::uint32_t>(tasks.size()));  // each queued task's
    executor_.submit_batch(tasks.data(), tasks.size());
    executor_.close_call();
    return job;
  }

  template <class F, class Range>
  auto start_imap(const char* what, F&& f, Range&& range, std::size_t chunksize, bool ordered) {
    using R = imap_result_t<F, Range>;
    using V = std::views::all_t<Range>;
    Backend::template check_imap<std::decay_t<F>, R, V>();
    using JobType = typename Backend::template Imap<R, std::decay_t<F>, V>;
    check_running(what);
    auto view = std::views::all(std::forward<Range>(range));
    if (!executor_.open_call()) throw_pool_not_running(Backend::k_name, what);
    JobType* job = nullptr;
    try {
      job = new JobType(shared_, executor_, std::forward<F>(f), std::move(view),
                        chunksize == 0 ? 1 : chunksize, std::max<std::size_t>(2, 2 * parallelism()), ordered);
    } catch (...) {
      executor_.close_call();
      throw;
    }
    ImapRange<R> result(Ref<ImapJobBase<R>>::adopt(job));
    job->refill();  // start the workers now, not at the first next()
    return result;
  }

  template <class State>
  static auto wait_and_take(Ref<State> state) {
    state->wait_until(k_no_deadline);
    if (state->failed()) std::rethrow_exception(state->error());
    if constexpr (!std::is_void_v<typename State::Result>) return state->take();
  }

  Ref<PoolShared> shared_;
  Executor executor_;
};

}  // namespace mpp::detail
