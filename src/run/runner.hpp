// mpp-run's engine: starts the jobs, at most -j at once, each in its own process group with its
// standard output and error captured through pipes; one poll loop watches the pipes, the jobs'
// pidfds, the signal pipe, mpp-run's own output and the deadlines (timeouts, the kill that follows a
// SIGTERM, the progress bar). A job's output is written whole when it ends. Built on mpp::detail::Child.
#pragma once

#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "run/options.hpp"

namespace mpp::detail::run {

class SignalPipe;
class CommandSource;
class RemoteJobs;

/// Where a run writes, and what interrupts it.
struct RunIo {
  int out = STDOUT_FILENO;        // the jobs' standard output
  int err = STDERR_FILENO;        // their standard error, mpp-run's messages and the progress bar
  SignalPipe* signals = nullptr;  // SIGINT, SIGTERM, SIGHUP; none when null
  bool bar = false;               // draw the progress bar on `err`
  // --resume and the like: job i (from 0) is skipped when already_run[i] (none when null), and
  // the joblog is appended to, without a header, when joblog_append.
  const std::vector<bool>* already_run = nullptr;
  bool joblog_append = false;
  // Where the jobs run when not here (an MPI job's ranks: mpi_jobs.hpp); its slots() are the job
  // slots. None when null.
  RemoteJobs* remote = nullptr;
};

/// How long a job has to end after SIGTERM (timeout, --halt now, Ctrl-C) before SIGKILL.
inline constexpr auto k_kill_grace = std::chrono::seconds(1);

/// The exit status when more than this many jobs failed (as GNU parallel's).
inline constexpr int k_max_failed_status = 101;

/// Runs `commands` as `options` say (jobs, keep_order, timeout, tries, joblog, halt; options.jobs
/// must be resolved, at least 1) and returns mpp-run's exit status: 0 when every job succeeded,
/// else the number of failed jobs (at most 101), 128+N after signal N, 141 (128+SIGPIPE) when the
/// reader of `out` or `err` went away, 255 when they or the joblog could not be written (with a
/// message). Writing to `out` and `err` never blocks the loop (OutputStream): signals and timeouts
/// are acted on while output waits for a reader. Runs fewer jobs at once than options.jobs, with
/// a warning, when the open-file limit has no room for them. Every job it started has ended and
/// been reaped when it returns, whatever happened. Throws mpp::ParseError before starting
/// anything when the joblog cannot be opened or its header written, when --memfree or --load
/// has nothing to read (resources.hpp), or when the open-file limit
/// leaves no room for a single job.
/// The commands are taken from `commands` as slots free up; its lines are read only when a slot
/// waits for them and poll() says they are there, so a long input is never held whole, and a
/// slow one never holds up the loop. Bad input found then (a NUL byte) is reported, no more jobs
/// start, the running ones finish, and the status is 255. With io.bar, commands.total() must be
/// known (read_all()).
[[nodiscard]] int run_jobs(const Options& options, CommandSource& commands, const RunIo& io);

/// --dry-run: each command on its own line, as it would run, written as the input is read.
/// Returns the exit status. Throws mpp::ParseError for bad input.
/// Jobs marked in `already_run` (--resume) are left out; with `tagstring` (--tag), each line starts
/// with the job's tag and a TAB, as GNU parallel's --dry-run writes it.
[[nodiscard]] int print_commands(CommandSource& commands, int out,
                                 const std::vector<bool>* already_run = nullptr,
                                 const std::optional<std::string>& tagstring = std::nullopt);

}  // namespace mpp::detail::run
