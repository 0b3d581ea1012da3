// mpp::Lock (include/mpp/synchronize.hpp): a robust, error-checking, process-shared pthread mutex
// at the start of a SharedMemory segment. Robust: a holder's death hands the next locker
// EOWNERDEAD instead of leaving the lock locked forever.
#include "mpp/synchronize.hpp"

#include <pthread.h>
#include <time.h>

#include <cerrno>
#include <chrono>
#include <new>
#include <string>
#include <system_error>

#include "mpp/errors.hpp"

namespace mpp {
namespace {

pthread_mutex_t* mutex_of(SharedMemory& memory) noexcept {
  return std::launder(reinterpret_cast<pthread_mutex_t*>(memory.data()));
}

[[noreturn]] void fail(int error, const char* what) {
  throw std::system_error(error, std::generic_category(), std::string("mpp::Lock: ") + what);
}

void check(int rc, const char* what) {
  if (rc != 0) fail(rc, what);
}

}  // namespace

Lock::Lock() : memory_(std::make_shared<SharedMemory>(sizeof(pthread_mutex_t))) {
  pthread_mutexattr_t attributes;
  check(pthread_mutexattr_init(&attributes), "pthread_mutexattr_init");
  int rc = pthread_mutexattr_setpshared(&attributes, PTHREAD_PROCESS_SHARED);
  if (rc == 0) rc = pthread_mutexattr_setrobust(&attributes, PTHREAD_MUTEX_ROBUST);
  if (rc == 0) rc = pthread_mutexattr_settype(&attributes, PTHREAD_MUTEX_ERRORCHECK);
  if (rc == 0) rc = pthread_mutex_init(new (memory_->data()) pthread_mutex_t, &attributes);
  pthread_mutexattr_destroy(&attributes);
  check(rc, "cannot make a process-shared robust mutex");
}

void Lock::attach(const std::string& name) {
  auto memory = std::make_shared<SharedMemory>(SharedMemory::attach(name));
  if (memory->size() < sizeof(pthread_mutex_t)) fail(EINVAL, "the segment is not a lock's");
  memory_ = std::move(memory);
}

void Lock::acquire() { (void)acquire_until(detail::k_no_deadline); }

bool Lock::acquire_until(detail::Deadline deadline) {
  pthread_mutex_t* mutex = mutex_of(*memory_);
  int rc = 0;
  if (deadline == detail::k_no_deadline) {
    rc = pthread_mutex_lock(mutex);
  } else if (rc = pthread_mutex_trylock(mutex); rc == EBUSY && deadline > detail::Clock::now()) {
    // Held (trylock took a free or abandoned lock at once): wait, with pthread_mutex_timedlock on
    // the wall clock, since ThreadSanitizer does not know pthread_mutex_clocklock and would miss
    // the lock. A clock step only stretches the wait. (Its timedlock does not see an abandoned lock
    // taken either, hence trylock first: only a holder dying during the wait goes unseen by it.)
    const auto left = deadline - detail::Clock::now();
    const auto until = std::chrono::system_clock::now().time_since_epoch() +
                       std::chrono::duration_cast<std::chrono::system_clock::duration>(left);
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(until);
    const timespec at{static_cast<time_t>(seconds.count()),
                      static_cast<long>(std::chrono::nanoseconds(until - seconds).count())};
    rc = pthread_mutex_timedlock(mutex, &at);
  }
  switch (rc) {
    case 0:
      return true;
    case EBUSY:
    case ETIMEDOUT:
      return false;
    case EOWNERDEAD:
      // We hold it: make it usable again, give it back, and tell this caller alone.
      check(pthread_mutex_consistent(mutex), "pthread_mutex_consistent");
      check(pthread_mutex_unlock(mutex), "pthread_mutex_unlock");
      throw LockOwnerDied(
          "mpp::Lock: the process that held this lock died holding it; the lock is free again, and what "
          "it guards may be half-updated: acquire it, check and repair that, then release it");
    case EDEADLK:
      fail(rc, "acquire: this thread holds the lock already (it is not recursive)");
    default:
      fail(rc, "acquire");
  }
}

void Lock::release() {
  const int rc = pthread_mutex_unlock(mutex_of(*memory_));
  if (rc == EPERM) fail(rc, "release: this thread does not hold the lock");
  check(rc, "release");
}

}  // namespace mpp
