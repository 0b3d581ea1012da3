// Robust, process-shared pthread mutexes, as every primitive of <mpp/synchronize.hpp> uses them: a
// holder's death hands the next locker EOWNERDEAD instead of leaving the mutex locked forever.
#pragma once

#include <pthread.h>

#include "mpp/detail/core/wait.hpp"

namespace mpp::detail::sync {

/// Initialises `mutex` in shared memory: process-shared, robust, of `type` (PTHREAD_MUTEX_*).
void init_robust_mutex(pthread_mutex_t& mutex, int type, const char* who);

enum class Locked { yes, timed_out, owner_died, held_already };

/// Locks the error-checking `mutex` by `deadline`. owner_died: held now and marked consistent, its
/// last holder died holding it. held_already: this thread held it before, when `recursive` (else
/// std::system_error EDEADLK). Other failures throw std::system_error prefixed by `who`.
Locked lock_robust(pthread_mutex_t& mutex, Deadline deadline, const char* who, bool recursive = false);
/// EPERM (not held by this thread) and other failures throw std::system_error.
void unlock_robust(pthread_mutex_t& mutex, const char* who);

/// Whether this thread holds the error-checking `mutex` (its trylock says EDEADLK). Probing a free
/// mutex takes and gives it back; an abandoned one is made consistent and given back, untold.
bool held_here(pthread_mutex_t& mutex);
/// std::system_error (EPERM): `what` needs the lock held by this thread.
[[noreturn]] void throw_not_held(const char* who, const char* what);

/// Throws mpp::LockOwnerDied for the primitive `who`, saying whether the caller holds the lock now.
[[noreturn]] void throw_owner_died(const char* who, bool held);

/// Holds a primitive's own mutex around a short update of its state. Every update leaves the state
/// consistent at each step, so a holder's death needs no repair: the next holder goes on.
class StateGuard {
 public:
  StateGuard(pthread_mutex_t& mutex, const char* who);
  ~StateGuard();
  StateGuard(const StateGuard&) = delete;
  StateGuard& operator=(const StateGuard&) = delete;

 private:
  pthread_mutex_t& mutex_;
};

}  // namespace mpp::detail::sync
