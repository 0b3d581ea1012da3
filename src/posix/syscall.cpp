#include "posix/syscall.hpp"

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

}  // namespace mpp::detail::posix
