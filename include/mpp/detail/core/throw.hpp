// Out-of-line, [[noreturn]] throw sites, so every message has the form
// "mpp::Pool::map: the pool is closed or terminated" and is written in one place (src/errors.cpp).
#pragma once

#include <cstddef>
#include <string>

namespace mpp::detail {

/// `who` names the class ("mpp::Pool"), `what` the member ("map").
[[noreturn]] void throw_pool_not_running(const char* who, const char* what);
[[noreturn]] void throw_pool_running(const char* who, const char* what);
[[noreturn]] void throw_join_from_worker(const char* who);
/// A process pool used in a process forked from its owner (one of its own workers).
[[noreturn]] void throw_pool_in_fork(const char* who);
[[noreturn]] void throw_pool_of_parent(const char* who);
[[noreturn]] void throw_cancelled(const char* who);
/// A spawn or forkserver pool (or Process) in a program whose main() did not call
/// mpp::freeze_support(); `method` is "spawn" or "forkserver".
[[noreturn]] void throw_needs_freeze_support(const char* who, const char* method);
[[noreturn]] void throw_timeout(const char* who, const char* what);
/// mpp::Process::start under spawn or forkserver (`method`): the target is not a plain function
/// (`type` names it), or argument `index` (0-based) of type `type` cannot be encoded.
[[noreturn]] void throw_process_target_not_plain(const char* method, const std::string& type);
[[noreturn]] void throw_process_argument_not_codable(const char* method, std::size_t index,
                                                     const std::string& type);
[[noreturn]] void throw_not_ready(const char* what);
[[noreturn]] void throw_no_state(const char* what);
[[noreturn]] void throw_value_taken(const char* what);
[[noreturn]] void throw_serialization(const char* what);
[[noreturn]] void throw_serialization(const std::string& what);

/// An AsyncResult not ready at a fork, or an imap, waited on in the forked child.
[[noreturn]] void throw_result_of_parent(const char* who);

}  // namespace mpp::detail
