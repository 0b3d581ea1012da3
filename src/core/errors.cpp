#include "mpp/errors.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mpp/detail/core/config.hpp"
#include "mpp/detail/core/throw.hpp"

namespace mpp {

WorkerLost::WorkerLost(const std::string& message, int rank, std::string host)
    : Error(message), rank_(rank), host_(std::make_shared<const std::string>(std::move(host))) {}

const std::string& WorkerLost::host() const noexcept {
  static const std::string none;
  return host_ ? *host_ : none;
}

RemoteError::RemoteError(std::string type_name, std::string message)
    : Error(message.empty() ? type_name : type_name + ": " + message),
      type_name_(std::move(type_name)),
      message_(std::move(message)) {}

namespace {
std::string parse_message(const std::string& message, const std::string& file, std::size_t line,
                          std::size_t column) {
  if (file.empty() && line == 0) return message;
  // append(), not operator+: g++ 12 at -O3 reports a false -Wrestrict on the concatenations.
  std::string where = file.empty() ? std::string("<input>") : file;
  if (line != 0) where.append(":").append(std::to_string(line));
  if (column != 0) where.append(":").append(std::to_string(column));
  return where.append(": ").append(message);
}
}  // namespace

ParseError::ParseError(const std::string& message, std::string file, std::size_t line, std::size_t column)
    : Error(parse_message(message, file, line, column)),
      file_(std::move(file)),
      line_(line),
      column_(column) {}

namespace detail {

void assertion_failed(const char* condition, const char* file, int line) noexcept {
  std::fprintf(stderr, "mpp: assertion failed: %s (%s:%d)\n", condition, file, line);
  std::abort();
}

void throw_pool_not_running(const char* who, const char* what) {
  throw PoolNotRunning(std::string(who) + "::" + what + ": the pool is closed or terminated");
}
void throw_pool_running(const char* who, const char* what) {
  throw PoolRunning(std::string(who) + "::" + what +
                    ": the pool is still running; call close() or terminate() first");
}
void throw_join_from_worker(const char* who) {
  throw std::logic_error(std::string(who) +
                         "::join: called from one of the pool's own tasks, which would wait "
                         "for itself");
}
void throw_pool_in_fork(const char* who) {
  throw std::logic_error(std::string(who) +
                         ": used in one of its own worker processes (a forked copy of the pool, "
                         "which reaches neither its workers nor its dispatcher); submit work, "
                         "close, terminate and join from the process that created the pool");
}
void throw_pool_of_parent(const char* who) {
  throw std::logic_error(std::string(who) +
                         ": used in a process forked from the one that created it; the pool belongs "
                         "to the parent process (its worker threads exist only there): create a new "
                         "pool in the child");
}
void throw_needs_freeze_support(const char* who, const char* method) {
  const bool a_pool = std::string_view(who).find("Pool") != std::string_view::npos;
  throw std::logic_error(std::string(who) + ": the " + method + " start method" +
                         " needs mpp::freeze_support(argc, argv) "
                         "at the top of main(): a spawned worker (or fork server) runs the program again "
                         "and becomes a worker (or the server) there, instead of running main() a second "
                         "time" +
                         (a_pool ? " (a pool made before main(), by a global object's constructor, comes "
                                   "before it too: make the pool in main())"
                                 : "") +
                         "; or choose StartMethod::fork (the "
                         "start_method of ProcessPoolOptions or "
                         "ProcessOptions, or mpp::set_start_method), whose children may hang on a lock "
                         "another thread held");
}
void throw_process_target_not_plain(const char* method, const std::string& type) {
  throw SerializationError(std::string("mpp::Process::start: under the ") + method +
                           " start method the target must be a plain function (a function pointer or "
                           "a captureless lambda), not " +
                           type +
                           ": a lambda with captures or a function object with state runs only under "
                           "StartMethod::fork");
}
void throw_process_argument_not_codable(const char* method, std::size_t index, const std::string& type) {
  throw SerializationError(std::string("mpp::Process::start: under the ") + method +
                           " start method argument " + std::to_string(index + 1) + " (" + type +
                           ") must be encodable by mpp's codec to reach the child; pass a value of a "
                           "supported type, or use StartMethod::fork");
}
void throw_cancelled(const char* who) {
  throw TaskCancelled(std::string(who) + ": the task was cancelled before it finished");
}
void throw_timeout(const char* who, const char* what) {
  throw TimeoutError(std::string(who) + "::" + what + ": timed out");
}
void throw_not_ready(const char* what) {
  throw std::logic_error(std::string(what) + ": the result is not ready yet");
}
void throw_no_state(const char* what) {
  throw std::logic_error(std::string(what) +
                         ": this object refers to no task (default-constructed or moved from)");
}
void throw_value_taken(const char* what) {
  throw std::logic_error(std::string(what) + ": the move-only result was already taken by an earlier get()");
}

}  // namespace detail
}  // namespace mpp

namespace mpp::detail {

void throw_serialization(const char* what) { throw SerializationError(std::string("mpp: ") + what); }
void throw_serialization(const std::string& what) { throw SerializationError("mpp: " + what); }

void throw_result_of_parent(const char* who) {
  throw std::logic_error(std::string(who) +
                         ": a result waited on in a process forked from the one that made the pool; "
                         "the pool runs only there, so it cannot arrive here (an AsyncResult ready "
                         "before the fork can still be read)");
}

}  // namespace mpp::detail
