// Starting one job's process as mpp-run does, wherever it runs: on this machine (runner_job.cpp)
// and on an MPI rank (job_here.cpp).
#pragma once

#include <string>

#include "mpp/detail/posix/child.hpp"
#include "run/command.hpp"

namespace mpp::detail::run {

/// Starts `plan` (plan_command(command)) with `spawn`; a program file without #! is run again
/// through /bin/sh -c `command`, as execvp would. Throws std::system_error when it cannot start.
[[nodiscard]] Child spawn_job(const Plan& plan, const std::string& command, Child::SpawnOptions spawn);

/// What a shell says of a job that could not start with errno `error` ("mpp-run: prog: command not
/// found\n"), and its exit status as a wait status: 127 for a program that is not there, 126 for
/// one that cannot run.
[[nodiscard]] std::string start_failure_text(const std::string& command, int error);
[[nodiscard]] int start_failure_status(int error) noexcept;

}  // namespace mpp::detail::run
