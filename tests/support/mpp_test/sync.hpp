// Test synchronisation that never relies on sleeping: counters and gates built on a condition
// variable. They are process-shared (PTHREAD_PROCESS_SHARED), so when placed in mpp_test::Shared
// memory before a pool forks they also work across ProcessPool workers.
#pragma once

#include <pthread.h>
#include <sys/mman.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <new>
#include <system_error>
#include <utility>

namespace mpp_test {

/// How long a wait may take before the test declares a deadlock. Only reached when the code under
/// test is broken; it turns a hang into a failure well inside the per-test timeout.
inline constexpr std::chrono::seconds k_deadlock_limit{20};

/// One T in anonymous shared memory: seen by this process's threads and, at the same address, by
/// processes forked after it was made.
template <class T>
class Shared {
 public:
  template <class... Args>
  explicit Shared(Args&&... args) {
    void* memory = ::mmap(nullptr, sizeof(T), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) throw std::bad_alloc();
    try {
      object_ = new (memory) T(std::forward<Args>(args)...);
    } catch (...) {
      ::munmap(memory, sizeof(T));
      throw;
    }
  }
  Shared(const Shared&) = delete;
  Shared& operator=(const Shared&) = delete;
  ~Shared() {
    object_->~T();
    ::munmap(object_, sizeof(T));
  }

  T* get() const noexcept { return object_; }
  T& operator*() const noexcept { return *object_; }
  T* operator->() const noexcept { return object_; }

 private:
  T* object_ = nullptr;
};

/// A number that threads add to and wait on (a reusable std::latch that counts up).
class Counter {
 public:
  Counter() {
    pthread_mutexattr_t mutex_attr;
    check(pthread_mutexattr_init(&mutex_attr), "pthread_mutexattr_init");
    check(pthread_mutexattr_setpshared(&mutex_attr, PTHREAD_PROCESS_SHARED), "pthread_mutexattr_setpshared");
    // Robust: a worker process killed (terminate(), a timeout) between taking the lock and
    // sleeping in wait_at_least() would otherwise leave it locked, and the test would hang on it.
    check(pthread_mutexattr_setrobust(&mutex_attr, PTHREAD_MUTEX_ROBUST), "pthread_mutexattr_setrobust");
    check(pthread_mutex_init(&mutex_, &mutex_attr), "pthread_mutex_init");
    pthread_mutexattr_destroy(&mutex_attr);
    pthread_condattr_t cond_attr;
    check(pthread_condattr_init(&cond_attr), "pthread_condattr_init");
    check(pthread_condattr_setpshared(&cond_attr, PTHREAD_PROCESS_SHARED), "pthread_condattr_setpshared");
    check(pthread_condattr_setclock(&cond_attr, CLOCK_MONOTONIC), "pthread_condattr_setclock");
    check(pthread_cond_init(&cond_, &cond_attr), "pthread_cond_init");
    pthread_condattr_destroy(&cond_attr);
  }
  Counter(const Counter&) = delete;
  Counter& operator=(const Counter&) = delete;
  // No pthread_cond_destroy: a worker process killed while it waited (terminate(), a timeout)
  // stays counted as a waiter, and destroy would wait for it forever. The memory is unmapped
  // with the object, which is all the cleanup a process-shared condition variable needs.
  ~Counter() = default;

  void add(long n = 1) {
    lock();
    value_ += n;
    pthread_cond_broadcast(&cond_);
    pthread_mutex_unlock(&mutex_);
  }

  long value() const {
    lock();
    const long v = value_;
    pthread_mutex_unlock(&mutex_);
    return v;
  }

  /// Blocks until value() >= target. False (and a note on stderr) after `limit`: a deadlock.
  bool wait_at_least(long target, std::chrono::nanoseconds limit = k_deadlock_limit) const {
    timespec deadline{};
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    const auto total = std::chrono::duration_cast<std::chrono::nanoseconds>(limit).count() + deadline.tv_nsec;
    deadline.tv_sec += static_cast<time_t>(total / 1'000'000'000);
    deadline.tv_nsec = static_cast<long>(total % 1'000'000'000);
    lock();
    bool reached = true;
    while (value_ < target) {
      const int rc = pthread_cond_timedwait(&cond_, &mutex_, &deadline);
      if (rc == EOWNERDEAD) pthread_mutex_consistent(&mutex_);
      if (rc == ETIMEDOUT) {
        reached = value_ >= target;
        break;
      }
    }
    const long seen = value_;
    pthread_mutex_unlock(&mutex_);
    if (!reached) {
      std::fprintf(stderr, "mpp_test: waited too long for a count of %ld (it is %ld): deadlock?\n", target,
                   seen);
    }
    return reached;
  }

 private:
  static void check(int rc, const char* what) {
    if (rc != 0) throw std::system_error(rc, std::generic_category(), what);
  }

  // The lock a dead process held is ours now; value_, a single number, is whole either way.
  void lock() const {
    if (pthread_mutex_lock(&mutex_) == EOWNERDEAD) pthread_mutex_consistent(&mutex_);
  }

  mutable pthread_mutex_t mutex_{};
  mutable pthread_cond_t cond_{};
  long value_ = 0;
};

/// Closed until open(); wait() blocks while closed. Tasks wait on gates so a test decides exactly
/// when they finish.
class Gate {
 public:
  void open() { counter_.add(1); }
  [[nodiscard]] bool is_open() const { return counter_.value() > 0; }
  /// Blocks until open. False after `limit` (a deadlock: the caller's assertion reports it).
  bool wait(std::chrono::nanoseconds limit = k_deadlock_limit) const {
    return counter_.wait_at_least(1, limit);
  }

 private:
  Counter counter_;
};

}  // namespace mpp_test
