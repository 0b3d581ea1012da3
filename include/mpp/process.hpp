// mpp::Process: Python's multiprocessing.Process, under each start method (<mpp/start_method.hpp>).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "mpp/detail/core/demangle.hpp"
#include "mpp/detail/core/throw.hpp"
#include "mpp/detail/core/wait.hpp"
#include "mpp/detail/posix/child.hpp"
#include "mpp/detail/remote/codec.hpp"
#include "mpp/detail/remote/decoded.hpp"
#include "mpp/detail/remote/remote.hpp"
#include "mpp/start_method.hpp"

namespace mpp {
namespace detail {
/// "Process-N" for the next mpp::Process made in this process.
std::string next_process_name();
/// What current_process() says in this process from now on: a child or a pool worker says who it
/// is first thing.
void set_current_process(std::string name, std::optional<std::size_t> index);
}  // namespace detail

/// How an mpp::Process starts its child.
struct ProcessOptions {
  /// Empty: the program's default, mpp::get_start_method() when start() runs. StartMethod::spawn
  /// and forkserver need mpp::freeze_support(argc, argv) at the top of main().
  std::optional<StartMethod> start_method{};
  /// What current_process().name says in the child. Empty: "Process-N", N counting this
  /// process's mpp::Process objects from 1 (as Python's).
  std::string name{};
};

/// Who runs the calling code (Python's multiprocessing.current_process()).
struct ProcessIdentity {
  /// "MainProcess" in the program (in its threads and mpp::Pool workers too); an mpp::Process
  /// child's name (ProcessOptions::name); "ProcessPoolWorker-<index>" in a ProcessPool worker.
  std::string name;
  int pid = 0;
  /// A ProcessPool worker's place in its pool, 0 to processes - 1, kept by its replacements; empty
  /// elsewhere.
  std::optional<std::size_t> index;
};

/// The calling process's identity.
[[nodiscard]] ProcessIdentity current_process();

/// Runs a callable in a child process, started by the start method of its ProcessOptions (the
/// program's default without them: mpp::get_start_method()).
///
/// Under StartMethod::fork the target may be any callable, capturing lambdas included: the child
/// is a fork, so it sees a copy of everything the parent had. Under spawn and forkserver the child
/// is (forked from) a fresh run of the program: the target must be a plain function (a function
/// pointer, or a lambda without captures) and each argument a value mpp's codec encodes (as a
/// ProcessPool task's); they cross as a pool's do (the function as module and offset), and start()
/// throws mpp::SerializationError otherwise. Output and exit codes are the same under every start
/// method: the child flushes its own output and ends with _exit, so it never runs the parent's
/// atexit handlers or writes the parent's buffers twice (the parent flushes its buffered output
/// before forking). Exit codes follow Python: empty while running (and before start()), 0 when the
/// target returned, 1 when it threw (the exception is written to the child's standard error), N
/// when it called _exit(N), -N when signal N killed it, and 255 when its fork server was killed
/// (which takes the child with it, and how it ended: as Python's forkserver says of such a child).
///
/// Thread safety: one Process object is used by one thread at a time. Movable, not copyable.
/// Destroying a started process that was not joined waits for it (as std::jthread).
class Process {
 public:
  template <class F, class... Args,
            std::enable_if_t<!std::is_same_v<std::remove_cvref_t<F>, Process> &&  // not a copy
                                 !std::is_same_v<std::remove_cvref_t<F>, ProcessOptions>,
                             int> = 0>
  explicit Process(F&& target, Args&&... args)
      : Process(ProcessOptions{}, std::forward<F>(target), std::forward<Args>(args)...) {}

  /// The target started by `options.start_method`. Its type and its arguments' are checked by
  /// start(), where the start method is known.
  template <class F, class... Args>
  explicit Process(const ProcessOptions& options, F&& target, Args&&... args)
      : target_(std::make_unique<Target<std::decay_t<F>, std::decay_t<Args>...>>(
            std::forward<F>(target), std::forward<Args>(args)...)),
        start_method_(options.start_method),
        name_(options.name.empty() ? detail::next_process_name() : options.name) {
    static_assert(std::is_invocable_v<std::decay_t<F>&, std::decay_t<Args>&...>,
                  "mpp::Process: the target must be callable with the arguments given");
  }

  Process(Process&& other) noexcept = default;
  Process& operator=(Process&& other) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process();

  /// Starts the child, which runs the target. Throws std::logic_error when already started, or
  /// when the start method is spawn or forkserver and main() did not call mpp::freeze_support();
  /// mpp::SerializationError when that start method cannot carry the target or an argument (see
  /// the class comment); std::system_error when fork, the spawn or the fork server fails.
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
  /// The child's name (ProcessOptions::name), which current_process() gives it.
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
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
    /// Appends what a fresh child runs (detail::process_payload_main): the entry that decodes the
    /// rest, the function and the arguments, with the calling thread's function relocation. Throws
    /// mpp::SerializationError when they cannot cross; `method` names the start method.
    virtual void encode(detail::ByteBuffer& out, const char* method) const = 0;
  };
  template <class F, class... Args>
  struct Target final : TargetBase {
    template <class G, class... A>
    explicit Target(G&& g, A&&... a) : f(std::forward<G>(g)), args(std::forward<A>(a)...) {}
    void run() override { std::apply(f, args); }

    void encode(detail::ByteBuffer& out, const char* method) const override {
      if constexpr (!detail::RemoteCallable<F>) {
        detail::throw_process_target_not_plain(method, detail::type_name(typeid(F)));
      } else {
        check_arguments<0, Args...>(method);
        if constexpr ((detail::Codable<detail::remote_arg_t<Args>> && ...)) {
          detail::encode_function(out, &Target::remote_entry);
          detail::encode_function(out, f);
          std::apply([&out](const Args&... a) { (encode_argument<Args>(out, a), ...); }, args);
        }
      }
    }

    template <class A>
    static void encode_argument(detail::ByteBuffer& out, const A& a) {
      if constexpr (detail::is_c_string_v<A>) {
        detail::encode(out, std::string(a));
      } else {
        detail::encode(out, a);
      }
    }

    template <std::size_t I, class A, class... Rest>
    static void check_arguments(const char* method) {
      if constexpr (!detail::Codable<detail::remote_arg_t<A>>)
        detail::throw_process_argument_not_codable(method, I, detail::type_name(typeid(A)));
      if constexpr (sizeof...(Rest) > 0) check_arguments<I + 1, Rest...>(method);
    }
    template <std::size_t I>
    static void check_arguments(const char* /*method*/) {}

    // In the child: the function and the arguments, decoded in order (a braced list evaluates left
    // to right), then called (a C string as a pointer to the child's copy).
    static void remote_entry(detail::ByteReader& in) {
      F g = detail::decode_function<F>(in);
      std::tuple<detail::Decoded<detail::remote_arg_t<Args>>...> a{
          detail::Decoded<detail::remote_arg_t<Args>>(in)...};
      std::apply([&g](auto&... crossed) { std::invoke(g, detail::pass_crossed<Args>(*crossed)...); }, a);
    }

    F f;
    std::tuple<Args...> args;
  };

  bool join_until(detail::Deadline deadline);
  void start_fresh(StartMethod method);
  /// The child's wait status once it has ended (reaping it), or empty; one its fork server took
  /// with it counts as exit code 255 (see the class comment).
  std::optional<int> status_within(detail::Deadline deadline) const;

  std::unique_ptr<TargetBase> target_;
  std::optional<StartMethod> start_method_;
  std::string name_;
  mutable detail::Child child_;  // reaping is bookkeeping, even from const members
  mutable bool status_lost_ = false;
};

}  // namespace mpp
