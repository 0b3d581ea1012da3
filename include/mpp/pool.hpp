// mpp::Pool: Python's multiprocessing.Pool on threads, the fast default in C++.
#pragma once

#include <cstddef>
#include <functional>

#include "mpp/async_result.hpp"
#include "mpp/detail/front/apply_job.hpp"
#include "mpp/detail/front/imap_job.hpp"
#include "mpp/detail/front/map_job.hpp"
#include "mpp/detail/front/pool_front.hpp"
#include "mpp/detail/thread/thread_executor.hpp"
#include "mpp/imap_range.hpp"

namespace mpp {

struct PoolOptions {
  /// Number of worker threads; 0 = usable_cpu_count().
  std::size_t processes = 0;
  /// Runs once in each worker before it takes tasks. Its exception stops the pool's construction
  /// and is rethrown by the constructor.
  std::function<void()> initializer;
};

namespace detail {
struct ThreadBackend {
  static constexpr const char* k_name = "mpp::Pool";
  static constexpr bool k_splittable = true;  // idle workers steal halves of automatic chunks
  using Executor = ThreadExecutor;
  template <class R, class F, class... Args>
  using Apply = ApplyJob<R, F, Args...>;
  template <class R, class F, class V>
  using Map = MapJob<R, F, V>;
  template <class R, class F, class V>
  using Imap = ImapJob<R, F, V, ThreadExecutor>;
  // Threads share memory: any callable, any argument.
  template <class F, class R, class... Args>
  static constexpr void check_apply() {}
  template <class F, class R, class V>
  static constexpr void check_map() {}
  template <class F, class R, class V>
  static constexpr void check_imap() {}
};
}  // namespace detail

/// A pool of worker threads with the interface of Python's multiprocessing.Pool (see
/// detail::PoolFront for every member). Workers start in the constructor; the destructor closes the
/// pool and waits for all submitted work. Any callable works, capturing lambdas included; map's
/// function is called concurrently as a const object.
///
/// Thread safety: every member may be called from any thread, and from inside the pool's own tasks
/// (a nested map runs other tasks while it waits, so it never deadlocks), except join() from
/// inside a task. Not copyable, not movable.
class Pool : public detail::PoolFront<detail::ThreadBackend> {
 public:
  /// usable_cpu_count() workers.
  Pool();
  /// `processes` workers (0 = usable_cpu_count()).
  explicit Pool(std::size_t processes);
  explicit Pool(PoolOptions options);
  ~Pool() = default;
};

}  // namespace mpp
