// mpp::Lock and mpp::RLock (include/mpp/synchronize.hpp): a robust, process-shared pthread mutex,
// error-checking, with a depth beside it for RLock.
#include <pthread.h>

#include <cstdint>
#include <new>

#include "mpp/synchronize.hpp"
#include "robust_mutex.hpp"

namespace mpp {
namespace {

constexpr const char* k_lock = "mpp::Lock";
constexpr const char* k_rlock = "mpp::RLock";

// An error-checking mutex, held once however deep the holder went: the depth is counted beside it,
// by the holder only, so Condition can let go of every level at once and take them back.
struct RLockState {
  pthread_mutex_t mutex;
  std::uint32_t depth;
};

}  // namespace

Lock::Lock() : SyncHandle(detail::SyncKind::lock, sizeof(pthread_mutex_t)) {
  detail::sync::init_robust_mutex(*new (&state<pthread_mutex_t>()) pthread_mutex_t, PTHREAD_MUTEX_ERRORCHECK,
                                  k_lock);
}

bool Lock::acquire_until(detail::Deadline deadline) {
  pthread_mutex_t& mutex = state<pthread_mutex_t>();
  switch (detail::sync::lock_robust(mutex, deadline, k_lock)) {
    case detail::sync::Locked::yes:
    case detail::sync::Locked::held_already:  // not asked for: EDEADLK is thrown instead
      return true;
    case detail::sync::Locked::timed_out:
      return false;
    case detail::sync::Locked::owner_died:
      // Give it back and tell this caller alone.
      detail::sync::unlock_robust(mutex, k_lock);
      detail::sync::throw_owner_died(k_lock, false);
  }
  return false;
}

void Lock::release() { detail::sync::unlock_robust(state<pthread_mutex_t>(), k_lock); }

bool Lock::held() { return detail::sync::held_here(state<pthread_mutex_t>()); }

std::uint32_t Lock::release_all() {
  if (!detail::sync::held_here(state<pthread_mutex_t>()))
    detail::sync::throw_not_held("mpp::Condition", "wait");
  release();
  return 1;
}

void Lock::reacquire(std::uint32_t /*depth*/) {
  const detail::sync::Locked locked =
      detail::sync::lock_robust(state<pthread_mutex_t>(), detail::k_no_deadline, k_lock);
  if (locked == detail::sync::Locked::owner_died) detail::sync::throw_owner_died(k_lock, true);
}

RLock::RLock() : SyncHandle(detail::SyncKind::rlock, sizeof(RLockState)) {
  detail::sync::init_robust_mutex((new (&state<RLockState>()) RLockState{})->mutex, PTHREAD_MUTEX_ERRORCHECK,
                                  k_rlock);
}

bool RLock::acquire_until(detail::Deadline deadline) {
  auto& s = state<RLockState>();
  switch (detail::sync::lock_robust(s.mutex, deadline, k_rlock, true)) {
    case detail::sync::Locked::held_already:
      ++s.depth;
      return true;
    case detail::sync::Locked::yes:
      s.depth = 1;
      return true;
    case detail::sync::Locked::timed_out:
      return false;
    case detail::sync::Locked::owner_died:
      // Whatever depth the dead holder had: give it back, and tell this caller alone.
      s.depth = 0;
      detail::sync::unlock_robust(s.mutex, k_rlock);
      detail::sync::throw_owner_died(k_rlock, false);
  }
  return false;
}

void RLock::release() {
  auto& s = state<RLockState>();
  if (!detail::sync::held_here(s.mutex)) detail::sync::throw_not_held(k_rlock, "release");
  if (--s.depth == 0) detail::sync::unlock_robust(s.mutex, k_rlock);
}

bool RLock::held() { return detail::sync::held_here(state<RLockState>().mutex); }

std::uint32_t RLock::release_all() {
  auto& s = state<RLockState>();
  if (!detail::sync::held_here(s.mutex)) detail::sync::throw_not_held("mpp::Condition", "wait");
  const std::uint32_t depth = s.depth;
  s.depth = 0;
  detail::sync::unlock_robust(s.mutex, k_rlock);
  return depth;
}

void RLock::reacquire(std::uint32_t depth) {
  auto& s = state<RLockState>();
  const detail::sync::Locked locked = detail::sync::lock_robust(s.mutex, detail::k_no_deadline, k_rlock);
  s.depth = depth;
  if (locked == detail::sync::Locked::owner_died) detail::sync::throw_owner_died(k_rlock, true);
}

}  // namespace mpp
