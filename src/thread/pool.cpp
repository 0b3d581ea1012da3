#include "mpp/pool.hpp"

#include "mpp/cpu.hpp"

namespace mpp {

Pool::Pool() : Pool(PoolOptions{}) {}

Pool::Pool(std::size_t processes) : Pool(PoolOptions{.processes = processes, .initializer = {}}) {}

Pool::Pool(PoolOptions options)
    : PoolFront(options.processes != 0 ? options.processes : usable_cpu_count(), options.initializer) {}

}  // namespace mpp
