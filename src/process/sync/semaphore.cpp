// mpp::Semaphore and mpp::BoundedSemaphore (include/mpp/synchronize.hpp): a counter and a futex
// word in shared memory, no mutex. A process that dies anywhere leaves it consistent: every change
// is one atomic operation.
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <new>
#include <string>
#include <system_error>

#include "mpp/synchronize.hpp"

namespace mpp {
namespace {

struct SemaphoreState {
  std::atomic<std::uint32_t> value{0};     // the futex word: what is available
  std::atomic<std::uint32_t> sleepers{0};  // how many may sleep on it (a dead one: a spare wake-up)
  std::uint32_t bound = 0;                 // the most value may be; 0: no bound. Set before sharing
};

}  // namespace

Semaphore::Semaphore(std::uint32_t value) : Semaphore(detail::SyncKind::semaphore, value, 0) {}

Semaphore::Semaphore(detail::SyncKind kind, std::uint32_t value, std::uint32_t bound)
    : SyncHandle(kind, sizeof(SemaphoreState)) {
  auto& s = *new (&state<SemaphoreState>()) SemaphoreState{};
  s.value.store(value);
  s.bound = bound;
}

BoundedSemaphore::BoundedSemaphore(std::uint32_t value)
    : Semaphore(detail::SyncKind::bounded_semaphore, value, value) {}

void Semaphore::acquire() { (void)acquire_until(detail::k_no_deadline); }

bool Semaphore::acquire_until(detail::Deadline deadline) {
  auto& s = state<SemaphoreState>();
  for (;;) {
    std::uint32_t value = s.value.load();
    while (value > 0) {
      if (s.value.compare_exchange_weak(value, value - 1)) return true;
    }
    if (detail::Clock::now() >= deadline) return false;
    // Counted before the futex checks the value (seq_cst both): a release that raises it after
    // that check sees the sleeper and wakes it; one before makes the futex return at once.
    s.sleepers.fetch_add(1);
    (void)detail::futex_wait(s.value, 0, deadline, detail::FutexScope::shared);
    s.sleepers.fetch_sub(1);
  }
}

void Semaphore::release(std::uint32_t n) {
  auto& s = state<SemaphoreState>();
  if (n == 0) return;
  std::uint32_t value = s.value.load();
  for (;;) {
    const bool over = s.bound != 0 ? n > s.bound || value > s.bound - n : n > UINT32_MAX - value;
    if (over) {
      throw std::system_error(std::make_error_code(std::errc::value_too_large),
                              s.bound != 0 ? "mpp::BoundedSemaphore: released more times than acquired"
                                           : "mpp::Semaphore: release would overflow the counter");
    }
    if (s.value.compare_exchange_weak(value, value + n)) break;
  }
  if (s.sleepers.load() != 0) {
    if (n == 1) {
      detail::futex_wake_one(s.value, detail::FutexScope::shared);
    } else {
      detail::futex_wake_all(s.value, detail::FutexScope::shared);
    }
  }
}

std::uint32_t Semaphore::get_value() const noexcept { return state<SemaphoreState>().value.load(); }

}  // namespace mpp
