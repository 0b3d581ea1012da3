// A thread like std::thread (join, detach, joinable), with at least the stack the main thread
// may have. The threads that run pool items or fork the workers that do (a fork-started worker
// runs on a copy of its dispatcher's stack) need the room a plain call has on the main thread;
// std::thread gives the default pthread stack instead, which glibc makes 2 MiB when `ulimit -s` is
// unlimited: a 3 MiB struct passed by value then killed every fork-started worker.
#pragma once

#include <pthread.h>

#include <cstddef>
#include <functional>
#include <utility>

namespace mpp::detail::posix {

/// The main thread's stack where `ulimit -s` sets no limit: the usual default limit, 8 MiB
/// (docs/api.md, "Large values by value").
inline constexpr std::size_t k_main_thread_stack = std::size_t{8} << 20;

class Thread {
 public:
  Thread() noexcept = default;
  /// Starts `body` on a new thread. Throws std::system_error when the thread cannot be made.
  explicit Thread(std::function<void()> body);
  Thread(Thread&& other) noexcept { *this = std::move(other); }
  Thread& operator=(Thread&& other) noexcept;
  Thread(const Thread&) = delete;
  Thread& operator=(const Thread&) = delete;
  /// As std::thread's: a thread still joinable here ends the program.
  ~Thread();

  [[nodiscard]] bool joinable() const noexcept { return joinable_; }
  void join();
  void detach();

  /// The stack size a Thread is made with, in bytes: the default thread stack, or the main
  /// thread's limit (k_main_thread_stack when unlimited) where that is larger.
  [[nodiscard]] static std::size_t stack_size() noexcept;

 private:
  pthread_t handle_{};
  bool joinable_ = false;
};

}  // namespace mpp::detail::posix
