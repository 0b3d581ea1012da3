// mpp::ProcessPool: the Pool interface on persistent worker processes, for isolation.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>

#include "mpp/async_result.hpp"
#include "mpp/detail/front/pool_front.hpp"
#include "mpp/detail/process/process_executor.hpp"
#include "mpp/detail/remote/remote_backend.hpp"
#include "mpp/imap_range.hpp"
#include "mpp/start_method.hpp"

namespace mpp {

struct ProcessPoolOptions {
  /// Number of worker processes; 0 = usable_cpu_count().
  std::size_t processes = 0;
  /// Runs once in each worker process when it starts (replacements too). If it throws while the
  /// pool is being built, the constructor rethrows it.
  void (*initializer)() = nullptr;
  /// A worker exits after this many tasks (one apply_async, or one chunk of a map) and is
  /// replaced; 0 = never.
  std::size_t maxtasksperchild = 0;
  /// An item running longer fails with mpp::TimeoutError and its worker is killed and replaced;
  /// zero = no limit. Applies to each item, also inside a map's chunk.
  std::chrono::nanoseconds task_timeout{0};
  /// How workers (and their replacements) are started; empty: the program's default,
  /// mpp::get_start_method() when the pool is constructed. StartMethod::spawn and forkserver need
  /// mpp::freeze_support(argc, argv) at the top of main() (<mpp/start_method.hpp>).
  std::optional<StartMethod> start_method{};
};

namespace detail {

struct ProcessBackend : RemoteBackend<ProcessExecutor> {
  static constexpr const char* k_name = "mpp::ProcessPool";
};

}  // namespace detail

/// A pool of worker processes with exactly the interface of mpp::Pool (see detail::PoolFront for
/// every member), for code that may crash, leak, or keep global state that is not thread-safe.
/// Workers are started in the constructor (forked, spawned, or forked by the fork server:
/// ProcessPoolOptions::start_method)
/// and reused. A worker that dies fails only the item it was
/// running (mpp::WorkerLost) and is replaced; the pool never hangs on a dead worker. Functions must
/// be function pointers or stateless lambdas and arguments and results serialisable: both are
/// checked at compile time.
///
/// Thread safety: as mpp::Pool. Callbacks run on the pool's dispatcher thread, one at a time.
class ProcessPool : public detail::PoolFront<detail::ProcessBackend> {
 public:
  /// usable_cpu_count() workers.
  ProcessPool();
  /// `processes` workers (0 = usable_cpu_count()).
  explicit ProcessPool(std::size_t processes);
  /// Throws std::logic_error when the start method is spawn or forkserver and main() did not call
  /// mpp::freeze_support().
  explicit ProcessPool(const ProcessPoolOptions& options);
  ~ProcessPool() = default;
};

}  // namespace mpp
