// Robust mutexes for <mpp/synchronize.hpp> (robust_mutex.hpp).
#include "robust_mutex.hpp"

#include <time.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <system_error>

#include "mpp/errors.hpp"

namespace mpp::detail::sync {
namespace {

[[noreturn]] void fail(int error, const char* who, const char* what) {
  throw std::system_error(error, std::generic_category(), std::string(who) + ": " + what);
}

// The deadline on the wall clock, for pthread_mutex_timedlock: ThreadSanitizer does not know
// pthread_mutex_clocklock and would miss the lock. A clock step only stretches the wait.
timespec wall_clock(Deadline deadline) {
  const auto left = deadline - Clock::now();
  const auto until = std::chrono::system_clock::now().time_since_epoch() +
                     std::chrono::duration_cast<std::chrono::system_clock::duration>(left);
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(until);
  return {static_cast<time_t>(seconds.count()),
          static_cast<long>(std::chrono::nanoseconds(until - seconds).count())};
}

}  // namespace

void init_robust_mutex(pthread_mutex_t& mutex, int type, const char* who) {
  pthread_mutexattr_t attributes;
  int rc = pthread_mutexattr_init(&attributes);
  if (rc != 0) fail(rc, who, "pthread_mutexattr_init");
  rc = pthread_mutexattr_setpshared(&attributes, PTHREAD_PROCESS_SHARED);
  if (rc == 0) rc = pthread_mutexattr_setrobust(&attributes, PTHREAD_MUTEX_ROBUST);
  if (rc == 0) rc = pthread_mutexattr_settype(&attributes, type);
  if (rc == 0) rc = pthread_mutex_init(&mutex, &attributes);
  pthread_mutexattr_destroy(&attributes);
  if (rc != 0) fail(rc, who, "cannot make a process-shared robust mutex");
}

Locked lock_robust(pthread_mutex_t& mutex, Deadline deadline, const char* who, bool recursive) {
  int rc = 0;
  if (deadline == k_no_deadline) {
    rc = pthread_mutex_lock(&mutex);
  } else if (rc = pthread_mutex_trylock(&mutex); rc == EBUSY && deadline > Clock::now()) {
    // Held (trylock took a free or abandoned mutex at once, which timedlock under ThreadSanitizer
    // does not see): wait for it.
    const timespec at = wall_clock(deadline);
    rc = pthread_mutex_timedlock(&mutex, &at);
  }
  switch (rc) {
    case 0:
      return Locked::yes;
    case EBUSY:
    case ETIMEDOUT:
      return Locked::timed_out;
    case EOWNERDEAD:
      rc = pthread_mutex_consistent(&mutex);
      if (rc != 0) fail(rc, who, "pthread_mutex_consistent");
      return Locked::owner_died;
    case EDEADLK:
      if (recursive) return Locked::held_already;
      fail(rc, who, "acquire: this thread holds the lock already (it is not recursive)");
    default:
      fail(rc, who, "acquire");
  }
}

void unlock_robust(pthread_mutex_t& mutex, const char* who) {
  const int rc = pthread_mutex_unlock(&mutex);
  if (rc == EPERM) fail(rc, who, "release: this thread does not hold the lock");
  if (rc != 0) fail(rc, who, "release");
}

bool held_here(pthread_mutex_t& mutex) {
  const int rc = pthread_mutex_trylock(&mutex);
  if (rc == EDEADLK) return true;
  if (rc == EOWNERDEAD) pthread_mutex_consistent(&mutex);
  if (rc == 0 || rc == EOWNERDEAD) pthread_mutex_unlock(&mutex);
  return false;
}

void throw_not_held(const char* who, const char* what) {
  fail(EPERM, who, (std::string(what) + ": this thread does not hold the lock").c_str());
}

void throw_owner_died(const char* who, bool held) {
  const std::string what =
      std::string(who) + ": the process that held this lock died holding it; " +
      (held ? "this thread holds the lock again, and what it guards may be half-updated: "
              "check and repair that"
            : "the lock is free again, and what it guards may be half-updated: acquire "
              "it, check and repair that, then release it");
  throw LockOwnerDied(what);
}

StateGuard::StateGuard(pthread_mutex_t& mutex, const char* who) : mutex_(mutex) {
  (void)lock_robust(mutex, k_no_deadline, who);
}

StateGuard::~StateGuard() { pthread_mutex_unlock(&mutex_); }

}  // namespace mpp::detail::sync
