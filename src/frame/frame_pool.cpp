// The frame members' default thread pool (frame_pool.hpp).
#include "frame/frame_pool.hpp"

#include <unistd.h>

#include <mutex>

#include "mpp/pool.hpp"

namespace mpp::detail {

Pool& frame_pool() {
  static std::mutex mutex;
  static Pool* pool = nullptr;
  static pid_t owner = 0;
  const std::scoped_lock lock(mutex);
  // Never destroyed: a member may run from another static's destructor. A forked child (a
  // ProcessPool worker) has none of its parent's threads, so it starts a pool of its own.
  if (pool == nullptr || owner != ::getpid()) {
    pool = new Pool();  // NOLINT(cppcoreguidelines-owning-memory): lives as long as the process
    owner = ::getpid();
  }
  return *pool;
}

}  // namespace mpp::detail
