#include "posix/syscall.hpp"

#include <sys/mman.h>

#include <atomic>

namespace mpp::detail::posix {
namespace {
std::atomic<FaultHook> g_fault_hook{nullptr};
}  // namespace

void set_fault_hook(FaultHook hook) noexcept { g_fault_hook.store(hook, std::memory_order_release); }

int injected_fault(const char* what) noexcept {
  // Relaxed-cheap in production: the hook is null and the branch is never taken.
  FaultHook hook = g_fault_hook.load(std::memory_order_acquire);
  return hook != nullptr ? hook(what) : 0;
}

void throw_errno(const char* what, int error) {
  throw std::system_error(error, std::generic_category(), what);
}

void* checked_mmap(const char* what, void* address, std::size_t length, int protection, int flags, int fd,
                   long offset) {
  if (int error = injected_fault(what)) throw_errno(what, error);
  void* p = ::mmap(address, length, protection, flags, fd, static_cast<off_t>(offset));
  if (p == MAP_FAILED) throw_errno(what, errno);
  return p;
}

}  // namespace mpp::detail::posix
