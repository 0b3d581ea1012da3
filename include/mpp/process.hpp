// mpp::Process: Python's multiprocessing.Process, on fork.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

#include "mpp/detail/core/wait.hpp"
#include "mpp/detail/posix/child.hpp"

namespace mpp {

/// Runs a callable in a forked child process.
///
/// The target may be any callable, capturing lambdas included: the child is a fork, so it sees a
/// copy of everything the parent had. The parent flushes its buffered output before forking; the
/// child flushes its own output and ends with _exit, so it never runs the parent's atexit handlers
/// or writes the parent's buffers twice. Exit codes follow Python: empty while running (and
/// before start()), 0 when the target returned, 1 when it threw (the exception is written to the
/// child's standard error), N when it called _exit(N), -N when signal N killed it.
///
/// Thread safety: one Process object is used by one thread at a time. Movable, not copyable.
/// Destroying a started process that was not joined waits for it (as std::jthread).
class Process {
 public:
  template <class F, class... Args,
            std::enable_if_t<!std::is_same_v<std::remove_cvref_t<F>, Process>, int> = 0>  // not a copy
  explicit Process(F&& target, Args&&... args)
      : target_(std::make_unique<Target<std::decay_t<F>, std::decay_t<Args>...>>(
            std::forward<F>(target), std::forward<Args>(args)...)) {
    static_assert(std::is_invocable_v<std::decay_t<F>&, std::decay_t<Args>&...>,
                  "mpp::Process: the target must be callable with the arguments given");
  }

  Process(Process&& other) noexcept = default;
  Process& operator=(Process&& other) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process();

  /// Forks the child, which runs the target. Throws std::logic_error when already started,
  /// std::system_error when fork fails.
  void start();
  /// Waits for the child to end. Throws std::logic_error before start().
  void join();
  /// Waits at most `timeout`; true when the child has ended.
  template <class Rep, class Period>
  bool join(std::chrono::duration<Rep, Period> timeout) {
    return join_until(detail::deadline_after(timeout));
  }
  /// Whether the child was started and has not ended. Non-blocking (reaps it if it ended).
  [[nodiscard]] bool is_alive() const;
  /// See the class comment. Non-blocking.
  [[nodiscard]] std::optional<int> exitcode() const;
  /// The child's process id; -1 before start().
  [[nodiscard]] int pid() const noexcept { return child_.pid(); }
  /// Sends SIGTERM (Python's terminate()). Does nothing when not running.
  void terminate();
  /// Sends SIGKILL. Does nothing when not running.
  void kill();

 private:
  // The target and its arguments, type-erased without std::function, which would require them to
  // be copyable (a lambda owning a std::unique_ptr is a fine target).
  struct TargetBase {
    TargetBase() = default;
    TargetBase(const TargetBase&) = delete;
    TargetBase& operator=(const TargetBase&) = delete;
    virtual ~TargetBase() = default;
    virtual void run() = 0;
  };
  template <class F, class... Args>
  struct Target final : TargetBase {
    template <class G, class... A>
    explicit Target(G&& g, A&&... a) : f(std::forward<G>(g)), args(std::forward<A>(a)...) {}
    void run() override { std::apply(f, args); }
    F f;
    std::tuple<Args...> args;
  };

  bool join_until(detail::Deadline deadline);

  std::unique_ptr<TargetBase> target_;
  mutable detail::Child child_;  // reaping is bookkeeping, even from const members
};

}  // namespace mpp
