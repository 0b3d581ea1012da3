#include <stdexcept>

#include "mpp/mpi.hpp"

namespace mpp {
namespace {
detail::MpiExecutorOptions executor_options(int* argc, char*** argv, const MpiPoolOptions& options) {
  detail::MpiExecutorOptions out;
  out.argc = argc;
  out.argv = argv;
  out.ranks = options.ranks;
  out.initializer = options.initializer;
  if (options.rank_timeout != std::chrono::milliseconds(0) &&
      options.rank_timeout < std::chrono::seconds(1)) {
    throw std::invalid_argument(
        "mpp::MpiPool: rank_timeout must be 0 (never) or at least 1 s (ranks say they "
        "live four times a second)");
  }
  out.rank_timeout = options.rank_timeout;
  out.name = detail::MpiBackend::k_name;
  if (options.task_timeout < std::chrono::nanoseconds(0))
    throw std::invalid_argument("mpp::MpiPool: task_timeout must not be negative");
  out.task_timeout = options.task_timeout;
  out.maxtasksperchild = options.maxtasksperchild;
  out.workers_per_rank = options.workers_per_rank;
  if (out.workers_per_rank == 0 && (options.task_timeout.count() != 0 || options.maxtasksperchild != 0))
    out.workers_per_rank = MpiPoolOptions::every_cpu;
  return out;
}
}  // namespace

MpiPool::MpiPool(int& argc, char**& argv) : MpiPool(argc, argv, MpiPoolOptions{}) {}

MpiPool::MpiPool(int& argc, char**& argv, const MpiPoolOptions& options)
    : PoolFront(executor_options(&argc, &argv, options)) {}

MpiPool::MpiPool() : MpiPool(MpiPoolOptions{}) {}

MpiPool::MpiPool(const MpiPoolOptions& options) : PoolFront(executor_options(nullptr, nullptr, options)) {}

void MpiPool::serve(int& argc, char**& argv) { detail::mpi_serve(&argc, &argv); }

void MpiPool::serve() { detail::mpi_serve(nullptr, nullptr); }

std::size_t MpiPool::available_ranks() { return detail::mpi_servers(nullptr, nullptr); }

}  // namespace mpp
