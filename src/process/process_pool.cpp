#include "mpp/process_pool.hpp"

#include "mpp/cpu.hpp"
#include "mpp/detail/core/throw.hpp"
#include "process/spawn.hpp"

namespace mpp {
namespace {
detail::ProcessExecutorOptions executor_options(const ProcessPoolOptions& options) {
  detail::ProcessExecutorOptions out;
  out.workers = options.processes != 0 ? options.processes : usable_cpu_count();
  out.initializer = options.initializer;
  out.maxtasksperchild = options.maxtasksperchild;
  out.task_timeout = options.task_timeout;
  out.name = detail::ProcessBackend::k_name;
  out.start_method = options.start_method.value_or(get_start_method());
  if (out.start_method != StartMethod::fork && !detail::freeze_support_called()) {
    detail::throw_needs_freeze_support(out.name,
                                       out.start_method == StartMethod::spawn ? "spawn" : "forkserver");
  }
  return out;
}
}  // namespace

ProcessPool::ProcessPool() : ProcessPool(ProcessPoolOptions{}) {}

ProcessPool::ProcessPool(std::size_t processes) : ProcessPool(ProcessPoolOptions{.processes = processes}) {}

ProcessPool::ProcessPool(const ProcessPoolOptions& options) : PoolFront(executor_options(options)) {}

}  // namespace mpp
