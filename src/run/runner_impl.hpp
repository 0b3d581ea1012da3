// The Runner behind run_jobs() (runner.hpp): its state and the declarations its parts share. Its
// members are defined by concern: the run and its poll loop (runner.cpp), what steers it (job slots,
// --halt, --delay, --resume: runner_control.cpp), starting a job and reading its pipes (runner_job.cpp),
// stopping jobs and what they leave behind (runner_stop.cpp), and what a run writes: output, joblog, messages
// (runner_output.cpp).
#pragma once

#include <poll.h>
#include <sys/prctl.h>
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mpp/detail/core/progress_bar.hpp"
#include "mpp/detail/core/wait.hpp"
#include "mpp/detail/posix/child.hpp"
#include "mpp/detail/posix/fd.hpp"
#include "posix/syscall.hpp"
#include "run/job_input.hpp"
#include "run/options.hpp"
#include "run/output.hpp"
#include "run/resources.hpp"
#include "run/runner.hpp"

namespace mpp::detail::run {

using WallClock = std::chrono::system_clock;

// A job that fills its pipe (Linux's default is 64 KiB) gets a larger one, so that a job printing
// megabytes wakes mpp-run a few times instead of once per 64 KiB (1 MiB is the unprivileged limit).
inline constexpr ssize_t k_default_pipe = 64 * 1024;
inline constexpr int k_large_pipe = 1 << 20;
// Reads go through one buffer as large as the largest pipe, then to the job's output.
inline constexpr std::size_t k_read_block = k_large_pipe;
// How often the groups of killed jobs are looked at during their grace period.
inline constexpr int k_doomed_poll_ms = 10;
// How often a FIFO given as the joblog is opened again while it has no reader (nothing gives an
// event when one comes); signals are heard meanwhile.
inline constexpr int k_fifo_retry_ms = 50;
// How often orphans are reaped at most.
inline constexpr auto k_orphan_check_interval = std::chrono::milliseconds(100);
// A bound on the final SIGKILL rounds: each kills everything found, whose children then come
// to mpp-run; a fork bomb could outrun any number.
inline constexpr int k_max_sweeps = 100;
// No job starts while more than this much output waits for a slow reader: the jobs wait, as
// they would behind a blocking write, instead of their output piling up in memory.
inline constexpr std::size_t k_max_backlog = 4 << 20;
// Descriptors a run holds besides 3 per running job (its two pipes and its pidfd): /dev/null, the
// joblog, the copies of standard output and error, the write ends of the pipes of a job being
// started, and those of /proc being read.
inline constexpr std::size_t k_fixed_descriptors = 12;

inline std::string signal_name(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  return abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

struct Output {
  std::string out;
  std::string err;
};

// A job waiting to start: a retry (in its job slot still), or one taken from the source.
struct Pending {
  std::size_t job = 0;  // its place in the input, from 0
  std::string command;
  std::size_t tries = 0;                    // how many times it ran already
  std::vector<std::string> values;          // what it was made of (--tag, --results)
  std::size_t slot = 0;                     // its job slot ({%}), from 1
  std::size_t row_width = 0;                // Job::row_width
  std::shared_ptr<const JobInput> input{};  // --pipe, --pipepart: its standard input (Job::input)
};

// One try of a job, from its start to its reaping.
struct Running {
  std::size_t job = 0;
  std::string command;
  std::size_t tries = 0;  // this one included
  std::vector<std::string> values;
  std::size_t slot = 0;
  std::size_t row_width = 0;
  std::string tag;               // --tag, --tagstring: the tag and its TAB
  std::size_t streamed_out = 0;  // -u, --line-buffer: bytes of standard output written already
  std::size_t received = 0;      // bytes of standard output in all (the joblog's Receive), once finished
  Child child;
  Fd out;  // the read ends of its standard output and error, until their end
  Fd err;
  std::shared_ptr<const JobInput> input;  // --pipe, --pipepart: its standard input,
  Fd in;                                  // ... the pipe it goes through, until written or refused
  std::uint64_t fed = 0;                  // ... how much of it went already
  bool large_out = false;                 // its pipes were enlarged
  bool large_err = false;
  Output output;
  std::optional<int> status;  // wait status once reaped
  WallClock::time_point started_wall;
  Clock::time_point started;
  Deadline timeout_at = k_no_deadline;
  Deadline kill_at = k_no_deadline;  // SIGKILL unless it ended by then
  bool timed_out = false;
  bool stopped = false;  // killed by mpp-run for --halt now or a signal: neither failed nor retried
  bool zombie = false;   // ended during its grace period, left unreaped until SIGKILL reached its group
  bool log_when_settled = false;  // a zombie whose joblog row waits for the rest of its group
  bool group_killed = false;      // the rest of its group outlived the grace period: SIGKILL ended it
  bool remote = false;            // run by RunIo::remote: no child, pipes nor deadlines here
  std::string host;               // where it ran, for the joblog (remote jobs)

  [[nodiscard]] bool done() const noexcept { return status && !out && !err; }
};

class Runner {
 public:
  // `jobs`: options.jobs, or fewer where the open-file limit says so (`warning` says why).
  // `source.total()` must be known when io.bar is set.
  // `joblog_fd`: the joblog file (open_joblog(); the caller closes it), -1 for none or `-`.
  Runner(const Options& options, std::size_t jobs, CommandSource& source, const RunIo& io,
         const std::string& warning, int joblog_fd);
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;
  ~Runner();

  int run();

 private:
  // runner.cpp: the queue of jobs, the poll loop, what a finished job leads to (retries, --halt).
  std::optional<Pending> next_job();
  [[nodiscard]] bool no_more_jobs() const noexcept;
  void read_input();
  [[nodiscard]] bool backlogged() const noexcept;
  void stop();
  void wait_for_events();
  void finish_done_jobs();
  void finish(Running& r);

  // runner_control.cpp: job slots, --halt's counts, --delay, the jobs --resume skips.
  void release_slot(std::size_t slot);
  [[nodiscard]] bool failed(const Running& r) const noexcept;
  void count_for_halt(const Running& r, bool failed);
  [[nodiscard]] bool delayed() const noexcept;  // at turn_now_
  [[nodiscard]] bool already_run(std::size_t job) const noexcept;
  void skip(std::size_t job);
  [[nodiscard]] bool halted_now() const noexcept { return halted_ && options_.halt.when == Halt::When::now; }

  // runner_job.cpp: starting a job, reading its pipes, reaping it.
  std::unique_ptr<Running> make_running(Pending job);
  void start(Pending job);
  void no_descriptors_for(Pending job);
  const char* find_program(const std::string& name);
  void read_some(Fd& fd, std::string& buffer, bool& enlarged);
  void reap(Running& r);
  void drain(Fd& fd, std::string& buffer);
  void feed(Running& r);

  // runner_remote.cpp: jobs run by RunIo::remote (an MPI job's ranks).
  void start_remote(Pending job);
  void take_remote();

  // runner_stop.cpp: timeouts, signals and --halt now; the grace period; what jobs leave behind.
  void enforce_deadlines();
  void terminate(Running& r, Clock::time_point now);
  void interrupt(int sig);
  void interrupt_quietly();
  void settle_doomed(bool at_once);
  void reap_orphans();
  [[nodiscard]] bool is_job(pid_t pid) const;
  void sweep(bool at_once);

  // runner_output.cpp: the jobs' output, the joblog, write errors, the final messages.
  OutputStream* joblog_stream(const std::string& path, int fd);
  void write_joblog_header(const std::string& path);
  void log(const Running& r);
  void check_joblog();
  void flush_ordered();
  void write_output(const Output& output);
  void tag_output(Running& r);
  void stream(Running& r, bool at_end);
  void write_results(const Running& r);
  void check_writes();
  [[nodiscard]] std::vector<OutputStream*> streams();
  void drain_output();
  void report_stop();

  enum class Source {
    signals,
    out,
    err,
    exit,
    stdout_ready,
    stderr_ready,
    joblog_ready,
    input,
    job_input,
    remote
  };
  struct Owner {
    Running* running;
    Source source;
  };

  const Options& options_;
  std::size_t jobs_;
  CommandSource& source_;
  RunIo io_;
  ResourceGate gate_;  // --memfree, --load; before the joblog and the output, as it may refuse the run
  std::deque<Pending> pending_;  // retries, before what the source gives
  std::size_t next_index_ = 0;   // the place in the input of the source's next command
  // Job slots ({%}) as GNU parallel hands them out: freed ones again, first freed first; a new
  // number when none is free.
  std::deque<std::size_t> free_slots_;
  std::size_t slots_made_ = 0;
  Deadline next_start_ = k_no_deadline;  // --delay: no job starts before
  // The time for one turn of run()'s loop, read once at its top: whether the delay holds is asked
  // when starting jobs and again when choosing what to wait for, and both must hear the same
  // answer (a delay ending between two reads of the clock left nothing to wait for, for ever).
  Clock::time_point turn_now_{};
  std::vector<std::unique_ptr<Running>> running_;
  std::vector<std::unique_ptr<Running>> doomed_;  // ended in their grace period, leaders unreaped
  // --keep-order: finished outputs waiting their turn, from the job at next_ordered_ on.
  std::deque<std::optional<Output>> ordered_;
  std::size_t next_ordered_ = 0;
  std::vector<pollfd> fds_;
  std::vector<Owner> owners_;
  std::unordered_map<std::string, std::string> programs_;  // name -> path, "" when not found
  std::unique_ptr<char[]> scratch_ = std::make_unique_for_overwrite<char[]>(k_read_block);
  // Before the joblog and the bar, which write to them from their constructors.
  OutputStream out_;
  std::unique_ptr<OutputStream> err_own_;  // none when standard error is standard output's file
  OutputStream& err_;
  std::unique_ptr<OutputStream> joblog_own_;  // none without a joblog, or one written through out_ or err_
  OutputStream* joblog_ = nullptr;            // where the rows go: joblog_own_, out_ or err_; none without
  int joblog_error_ = 0;
  ProgressBar bar_;
  Fd devnull_;
  std::size_t failed_ = 0;
  std::size_t succeeded_ = 0;       // for --halt success=
  std::size_t finished_ = 0;        // jobs done, after their last try (--halt done=)
  std::size_t started_ = 0;         // jobs started, retries not counted (--halt P%)
  std::optional<int> halt_status_;  // the exit status --halt set when it stopped the run
  int results_error_ = 0;           // a --results file that could not be written
  std::size_t not_started_ = 0;
  bool input_left_ = false;  // stopped before the input was read to its end
  bool input_error_ = false;
  bool descriptor_error_ = false;  // the open-file limit left no room for a single job
  bool stopping_ = false;
  bool halted_ = false;
  int signal_ = 0;
  int signals_ = 0;  // how many stopping signals came
  int write_error_ = 0;
  // Made the subreaper of its descendants (PR_SET_CHILD_SUBREAPER), so that what a job leaves
  // behind stays within reach.
  bool subreaper_ = posix::retried("prctl", [] { return ::prctl(PR_SET_CHILD_SUBREAPER, 1); }) == 0;
  Deadline next_orphan_check_ = Clock::now();
  bool orphans_may_wait_ = false;  // a SIGCHLD came since the last look
};

// Before a run starts (run_jobs()): the slots that the open-file limit leaves room for
// (runner_job.cpp), and the joblog opened (runner_output.cpp).
std::size_t jobs_within_file_limit(std::size_t jobs, std::string& warning);
Fd open_joblog(const std::string& path, bool append, SignalPipe* signals, int& signal);

}  // namespace mpp::detail::run
