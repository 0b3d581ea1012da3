#include "mpp/detail/core/wait.hpp"

#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <ctime>

#include "posix/syscall.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace mpp::detail {
namespace {

long futex(std::atomic<std::uint32_t>& word, int op, std::uint32_t value, const timespec* timeout) noexcept {
  // std::atomic<uint32_t> has the size and alignment of uint32_t, which is what the kernel reads.
  static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
  return posix::retried("futex", [&] {
    return ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), op, value, timeout, nullptr, 0);
  });
}

int op(int base, FutexScope scope) noexcept {
  return scope == FutexScope::process ? base | FUTEX_PRIVATE_FLAG : base;
}

}  // namespace

bool futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected, Deadline deadline,
                FutexScope scope) noexcept {
  if (deadline == k_no_deadline) {
    futex(word, op(FUTEX_WAIT, scope), expected, nullptr);
    return true;
  }
  const auto now = Clock::now();
  if (now >= deadline) return false;
  const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - now).count();
  timespec timeout{};
  timeout.tv_sec = static_cast<time_t>(left / 1'000'000'000);
  timeout.tv_nsec = static_cast<long>(left % 1'000'000'000);
  const long rc = futex(word, op(FUTEX_WAIT, scope), expected, &timeout);
  return rc != -ETIMEDOUT;
}

void futex_wake_all(std::atomic<std::uint32_t>& word, FutexScope scope) noexcept {
  futex(word, op(FUTEX_WAKE, scope), INT_MAX, nullptr);
}

void futex_wake_one(std::atomic<std::uint32_t>& word, FutexScope scope) noexcept {
  futex(word, op(FUTEX_WAKE, scope), 1, nullptr);
}

void futex_wake_some(std::atomic<std::uint32_t>& word, std::uint32_t count, FutexScope scope) noexcept {
  futex(word, op(FUTEX_WAKE, scope), count > INT_MAX ? INT_MAX : count, nullptr);
}

namespace {
thread_local Helper* t_helper = nullptr;
}  // namespace

void set_thread_helper(Helper* helper) noexcept { t_helper = helper; }

Helper::Helped help_pool(const void* executor, FunctionRef<bool()> done, Deadline deadline) noexcept {
  if (t_helper == nullptr || executor == nullptr) return Helper::Helped::nothing;
  return t_helper->help(executor, done, deadline);
}

void yield_cpu() noexcept { ::sched_yield(); }

void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace mpp::detail
