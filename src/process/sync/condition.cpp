// mpp::Condition (include/mpp/synchronize.hpp): a futex word bumped by every notify, over a Lock or
// an RLock. A waiter reads the word holding the lock, so a notify (made holding it too) after the
// waiter let go of the lock changes the word, and the futex does not sleep through it. No count of
// waiters is kept beyond "someone may sleep", so a waiter that dies leaves nothing to repair.
#include <atomic>
#include <cstdint>
#include <new>
#include <stdexcept>
#include <string>
#include <variant>

#include "mpp/synchronize.hpp"
#include "robust_mutex.hpp"

namespace mpp {
namespace {

struct ConditionState {
  std::atomic<std::uint32_t> notifies{0};  // the futex word
  std::atomic<std::uint32_t> sleepers{0};  // how many may sleep on it
};

}  // namespace

Condition::Condition() : Condition(RLock()) {}

Condition::Condition(Lock lock)
    : SyncHandle(detail::SyncKind::condition, sizeof(ConditionState)), lock_(std::move(lock)) {
  new (&state<ConditionState>()) ConditionState{};
}

Condition::Condition(RLock lock)
    : SyncHandle(detail::SyncKind::condition, sizeof(ConditionState)), lock_(std::move(lock)) {
  new (&state<ConditionState>()) ConditionState{};
}

Condition::Condition(detail::DecodeTag tag) noexcept
    : SyncHandle(detail::SyncKind::condition), lock_(Lock(tag)) {}

void Condition::acquire() {
  std::visit([](auto& lock) { lock.acquire(); }, lock_);
}

void Condition::release() {
  std::visit([](auto& lock) { lock.release(); }, lock_);
}

bool Condition::wait_until(detail::Deadline deadline) {
  auto& s = state<ConditionState>();
  const std::uint32_t seen = s.notifies.load();
  const std::uint32_t depth = std::visit([](auto& lock) { return lock.release_all(); }, lock_);
  s.sleepers.fetch_add(1);
  const bool in_time = detail::futex_wait(s.notifies, seen, deadline, detail::FutexScope::shared);
  s.sleepers.fetch_sub(1);
  std::visit([depth](auto& lock) { lock.reacquire(depth); }, lock_);
  return in_time || s.notifies.load() != seen;
}

void Condition::notify(std::uint32_t n) {
  if (!std::visit([](auto& lock) { return lock.held(); }, lock_)) {
    detail::sync::throw_not_held("mpp::Condition", "notify");
  }
  auto& s = state<ConditionState>();
  s.notifies.fetch_add(1);
  if (n != 0 && s.sleepers.load() != 0) detail::futex_wake_some(s.notifies, n, detail::FutexScope::shared);
}

void Condition::notify_all() { notify(UINT32_MAX); }

const std::string& Condition::lock_name() const {
  return std::visit([](const auto& lock) -> const std::string& { return lock.name(); }, lock_);
}

void Condition::attach_with_lock(const std::string& name, std::uint32_t kind, const std::string& lock_name) {
  attach(name);
  if (kind == 0) {
    Lock lock{detail::DecodeTag{}};
    lock.attach(lock_name);
    lock_ = std::move(lock);
  } else if (kind == 1) {
    RLock lock{detail::DecodeTag{}};
    lock.attach(lock_name);
    lock_ = std::move(lock);
  } else {
    throw std::invalid_argument("mpp::Condition: the lock sent with it is of an unknown kind");
  }
}

}  // namespace mpp
