// A deadlock guard for tests whose waits have no timeout of their own (apply(), imap's next()):
// unless it is destroyed within mpp_test::k_deadlock_limit, it records a failure and terminates
// the pool, so the blocked call returns (with mpp::TaskCancelled) and the test fails instead of
// hanging until the test runner's timeout.
#pragma once

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "mpp_test/sync.hpp"

namespace mpp_test {

class Watchdog {
 public:
  template <class Pool>
  explicit Watchdog(Pool& pool)
      : thread_([this, &pool] {
          std::unique_lock lock(mutex_);
          if (!done_cv_.wait_for(lock, k_deadlock_limit, [this] { return done_; })) {
            ADD_FAILURE() << "still blocked after " << k_deadlock_limit.count()
                          << " s: deadlock; terminating the pool";
            pool.terminate();
          }
        }) {}
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
  ~Watchdog() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    done_cv_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mutex_;
  std::condition_variable done_cv_;
  bool done_ = false;
  std::thread thread_;  // last: starts once the members it uses exist
};

}  // namespace mpp_test
