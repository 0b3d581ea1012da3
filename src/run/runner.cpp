#include "run/runner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>

#include "mpp/detail/core/progress_bar.hpp"
#include "mpp/detail/posix/child.hpp"
#include "mpp/detail/posix/fd.hpp"
#include "mpp/errors.hpp"
#include "posix/syscall.hpp"
#include "run/command.hpp"
#include "run/input.hpp"
#include "run/output.hpp"
#include "run/signals.hpp"

namespace mpp::detail::run {
namespace {

using WallClock = std::chrono::system_clock;

// A job that fills its pipe (Linux's default is 64 KiB) gets a larger one, so that a job printing
// megabytes wakes mpp-run a few times instead of once per 64 KiB (1 MiB is the unprivileged limit).
constexpr ssize_t k_default_pipe = 64 * 1024;
constexpr int k_large_pipe = 1 << 20;
// Reads go through one buffer as large as the largest pipe, then to the job's output.
constexpr std::size_t k_read_block = k_large_pipe;
// How often the groups of killed jobs are looked at during their grace period.
constexpr int k_doomed_poll_ms = 10;
// How often a FIFO given as the joblog is opened again while it has no reader (nothing gives an
// event when one comes); signals are heard meanwhile.
constexpr int k_fifo_retry_ms = 50;
// How often orphans are reaped at most.
constexpr auto k_orphan_check_interval = std::chrono::milliseconds(100);
// A bound on the final SIGKILL rounds: each kills everything found, whose children then come
// to mpp-run; a fork bomb could outrun any number.
constexpr int k_max_sweeps = 100;
// No job starts while more than this much output waits for a slow reader: the jobs wait, as
// they would behind a blocking write, instead of their output piling up in memory.
constexpr std::size_t k_max_backlog = 4 << 20;
// Descriptors a run holds besides 3 per running job (its two pipes and its pidfd): /dev/null, the
// joblog, the copies of standard output and error, the write ends of the pipes of a job being
// started, and those of /proc being read.
constexpr std::size_t k_fixed_descriptors = 12;

// Writes all of `data`; 0, or the errno of the failure.
int write_all(int fd, std::string_view data) noexcept {
  while (!data.empty()) {
    const ssize_t n = posix::retried("write", [&] { return ::write(fd, data.data(), data.size()); });
    if (n < 0) return static_cast<int>(-n);
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return 0;
}

// A pipe as two owned ends: 0, or the errno of pipe2's failure. Close-on-exec.
int make_pipe(Fd& read, Fd& write) noexcept {
  int ends[2];
  const int rc = posix::retried("pipe2", [&] { return ::pipe2(ends, O_CLOEXEC); });
  if (rc < 0) return -rc;
  read.reset(ends[0]);
  write.reset(ends[1]);
  return 0;
}

// The command as one joblog field: tabs and newlines would break the columns.
std::string log_field(std::string_view command) {
  std::string out;
  out.reserve(command.size());
  for (char c : command) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      out += c;
    }
  }
  return out;
}

// Seconds as a person writes them: "1", "0.5", "2.25" (to_string's "1.000000" is noise).
std::string seconds_text(double seconds) {
  char text[64];
  std::snprintf(text, sizeof text, "%.15g", seconds);
  return text;
}

std::string signal_name(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  return abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

// What /proc says of one process: its process group and its state ('Z' for a zombie).
struct ProcessState {
  pid_t pid = 0;
  pid_t group = 0;
  char state = '?';
};

std::optional<ProcessState> process_state(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(in, text)) return std::nullopt;
  // "pid (comm) state ppid pgrp ...": comm may hold anything, so read after the last ')'.
  const std::size_t close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  ProcessState info;
  info.pid = pid;
  pid_t parent = 0;
  if (std::sscanf(text.c_str() + close + 1, " %c %d %d", &info.state, &parent, &info.group) != 3)
    return std::nullopt;
  return info;
}

// The children of `pid` (zombies included), from /proc/PID/task/TID/children; empty when the
// kernel has no such file (CONFIG_PROC_CHILDREN).
std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> out;
  std::error_code ignored;
  const std::string task = "/proc/" + std::to_string(pid) + "/task";
  for (const auto& entry : std::filesystem::directory_iterator(task, ignored)) {
    std::ifstream in(entry.path() / "children");
    for (pid_t child = 0; in >> child;) out.push_back(child);
  }
  return out;
}

// Every process below mpp-run. mpp-run is their subreaper, so a process whose parent ended is its
// child and still in this tree; only one that a descendant subreaper took in sits deeper.
std::vector<ProcessState> descendants() {
  std::vector<ProcessState> out;
  std::vector<pid_t> todo = children_of(::getpid());
  while (!todo.empty()) {
    const pid_t pid = todo.back();
    todo.pop_back();
    const auto info = process_state(pid);
    if (!info) continue;  // gone meanwhile
    out.push_back(*info);
    for (pid_t child : children_of(pid)) todo.push_back(child);
  }
  return out;
}

struct Output {
  std::string out;
  std::string err;
};

// A job waiting to start: a retry, or a command taken from the source.
struct Pending {
  std::size_t job = 0;  // its place in the input, from 0
  std::string command;
  std::size_t tries = 0;  // how many times it ran already
};

// One try of a job, from its start to its reaping.
struct Running {
  std::size_t job = 0;
  std::string command;
  std::size_t tries = 0;  // this one included
  Child child;
  Fd out;  // the read ends of its standard output and error, until their end
  Fd err;
  bool large_out = false;  // its pipes were enlarged
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

  [[nodiscard]] bool done() const noexcept { return status && !out && !err; }
};

class Runner {
 public:
  // `jobs`: options.jobs, or fewer where the open-file limit says so (`warning` says why).
  // `source.total()` must be known when io.bar is set.
  // `joblog_fd`: the joblog file (open_joblog(); the caller closes it), -1 for none or `-`.
  Runner(const Options& options, std::size_t jobs, CommandSource& source, const RunIo& io,
         const std::string& warning, int joblog_fd)
      : options_(options),
        jobs_(jobs),
        source_(source),
        io_(io),
        out_(io.out),
        err_own_(out_.same_file(io.err) ? nullptr : std::make_unique<OutputStream>(io.err)),
        err_(err_own_ ? *err_own_ : out_),
        joblog_own_(joblog_fd < 0 || out_.same_file(joblog_fd) || err_.same_file(joblog_fd)
                        ? nullptr
                        : std::make_unique<OutputStream>(joblog_fd)),
        joblog_(joblog_stream(options.joblog, joblog_fd)),
        bar_(source.total().value_or(0), io.err, io.bar && source.total(),
             [this](std::string_view text) { err_.write(text); }) {
    write_joblog_header(options.joblog);
    devnull_.reset(
        posix::checked("open /dev/null", [] { return ::open("/dev/null", O_RDONLY | O_CLOEXEC); }));
    if (!warning.empty()) {
      bar_.clear();
      err_.write(warning);
      bar_.draw();
    }
  }
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;
  ~Runner() {
    // Only reached with jobs running when something threw: they must not outlive mpp-run.
    for (auto* jobs : {&running_, &doomed_}) {
      for (auto& r : *jobs) {
        if (!r->status || r->zombie) {
          r->child.signal_group(SIGKILL);
          try {
            r->child.wait();
          } catch (...) {  // destructors never throw
          }
        }
        r->out.reset();
        r->err.reset();
      }
    }
    try {
      sweep(true);
    } catch (...) {  // destructors never throw
    }
    devnull_.reset();
  }

  int run() {
    check_writes();  // a reader gone before the start, an unwritable joblog header
    for (;;) {
      while (!stopping_ && running_.size() < jobs_ && !backlogged()) {
        std::optional<Pending> job = next_job();
        if (!job) break;
        start(std::move(*job));
      }
      if (running_.empty() && doomed_.empty() && (stopping_ || no_more_jobs())) break;
      wait_for_events();
      finish_done_jobs();
    }
    flush_ordered();
    sweep(signals_ > 1);
    bar_.finish();
    report_stop();
    drain_output();
    if (signal_ != 0) return 128 + signal_;
    if (write_error_ != 0) return write_error_ == EPIPE ? 128 + SIGPIPE : k_usage_status;
    if (joblog_error_ != 0 || input_error_ || descriptor_error_) return k_usage_status;
    return static_cast<int>(std::min<std::size_t>(failed_, k_max_failed_status));
  }

 private:
  // Where the joblog's rows go: standard output for "-" (as GNU parallel's, the rows join the jobs'
  // output), and for a file that is the same pipe or terminal as standard output or error, that
  // stream, so that what is queued on it keeps its order; else a stream of its own, which never
  // blocks the loop either (a FIFO or pipe whose reader does not read).
  OutputStream* joblog_stream(const std::string& path, int fd) {
    if (path.empty()) return nullptr;
    if (joblog_own_) return joblog_own_.get();
    if (path == "-" || out_.same_file(fd)) return &out_;
    return &err_;
  }

  // Before anything runs, so that a joblog that cannot be written stops mpp-run at once.
  void write_joblog_header(const std::string& path) {
    static constexpr std::string_view k_header =
        "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\n";
    if (joblog_ == nullptr) return;
    joblog_->write(k_header);
    if (joblog_own_ && joblog_own_->error() != 0)
      throw ParseError("cannot write the joblog " + path + ": " + std::strerror(joblog_own_->error()));
  }

  // A retry first, else the source's next command, if it has one without reading.
  std::optional<Pending> next_job() {
    if (!pending_.empty()) {
      Pending job = std::move(pending_.front());
      pending_.pop_front();
      return job;
    }
    std::optional<std::string> command = source_.next();
    if (!command) return std::nullopt;
    return Pending{next_index_++, std::move(*command), 0};
  }

  [[nodiscard]] bool no_more_jobs() const noexcept {
    return pending_.empty() && source_.at_end() && source_.total() == source_.given();
  }

  // Reads the next lines of input when a slot waits for them (poll() said they are there).
  void read_input() {
    try {
      source_.read_some();
    } catch (const ParseError& e) {
      // Bad input found after jobs started: no more start, the running ones finish, and the
      // exit status says so.
      input_error_ = true;
      bar_.clear();
      err_.write(std::string("mpp-run: ") + e.what() + "\n");
      bar_.draw();
      stop();
    }
  }

  [[nodiscard]] bool backlogged() const noexcept {
    return out_.pending() + (err_own_ ? err_own_->pending() : 0) +
               (joblog_own_ ? joblog_own_->pending() : 0) >
           k_max_backlog;
  }

  void start(Pending job) {
    Fd out[2];
    Fd err[2];
    // Close-on-exec: a job started later must not inherit these, or the end of this job's output
    // would wait for that one to end too. Child::spawn's dup2 gives the job its own copies.
    // Errors as values, not exceptions: out of descriptors is an expected outcome here.
    int pipe_error = make_pipe(out[0], out[1]);
    if (pipe_error == 0) pipe_error = make_pipe(err[0], err[1]);
    if (pipe_error != 0) {
      if (!out_of_descriptors(pipe_error)) posix::throw_errno("pipe2", pipe_error);
      no_descriptors_for(std::move(job));
      return;
    }
    auto r = std::make_unique<Running>();
    r->job = job.job;
    r->command = std::move(job.command);
    r->tries = job.tries + 1;
    r->started_wall = WallClock::now();
    r->started = Clock::now();
    if (options_.timeout > 0) r->timeout_at = deadline_after(std::chrono::duration<double>(options_.timeout));
    Child::SpawnOptions spawn;
    spawn.new_process_group = true;   // a timeout or Ctrl-C kills the job's whole group
    spawn.stdin_fd = devnull_.get();  // jobs do not compete for mpp-run's input or the terminal
    spawn.stdout_fd = out[1].get();
    spawn.stderr_fd = err[1].get();
    // A SIGKILL of mpp-run, which it cannot catch, still takes the job along.
    spawn.parent_death_signal = SIGKILL;
    spawn.keep_ignored_signals = true;  // nohup mpp-run ...: the jobs ignore SIGHUP too
    try {
      Plan plan = plan_command(r->command);
      spawn.program = find_program(plan.argv.front());
      try {
        r->child = Child::spawn(plan.argv, spawn);
      } catch (const std::system_error& e) {
        // A file without #! is a shell script to sh, as to execvp; posix_spawnp does not retry.
        if (e.code().value() != ENOEXEC || plan.shell) throw;
        spawn.program = nullptr;
        r->child = Child::spawn({k_shell, "-c", r->command}, spawn);
      }
    } catch (const std::system_error& e) {
      const int error = e.code().value();
      if (out_of_descriptors(error)) {
        no_descriptors_for(Pending{r->job, std::move(r->command), r->tries - 1});
        return;
      }
      // As a shell would: 127 for a program that is not there, 126 for one that cannot run.
      const Plan plan = plan_command(r->command);
      r->output.err = "mpp-run: " + plan.argv.front() + ": " +
                      (error == ENOENT ? std::string("command not found") : std::strerror(error)) + "\n";
      r->status = W_EXITCODE(error == ENOENT ? 127 : 126, 0);
    }
    r->out = std::move(out[0]);  // the write ends close here: the job has its own copies
    r->err = std::move(err[0]);
    running_.push_back(std::move(r));
  }

  static bool out_of_descriptors(int error) noexcept { return error == EMFILE || error == ENFILE; }

  // A job could not start for want of file descriptors (the open-file limit was lowered while
  // mpp-run ran, or something else holds more than it counted): it goes back to wait. With jobs
  // running, fewer run at once from now on; with none, nothing can ever start: mpp-run says why
  // and stops, the jobs' output still written, with status 255.
  void no_descriptors_for(Pending job) {
    pending_.push_front(std::move(job));
    rlimit files{};
    const bool known = ::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY;
    const std::string limit = known ? " (ulimit -n: " + std::to_string(files.rlim_cur) + ")" : "";
    bar_.clear();
    if (!running_.empty()) {
      jobs_ = running_.size();
      err_.write("mpp-run: warning: the open-file limit" + limit + " is reached: running at most " +
                 std::to_string(jobs_) + " jobs at once from now on\n");
    } else {
      descriptor_error_ = true;
      err_.write("mpp-run: cannot start a job: the open-file limit" + limit +
                 " is reached; raise it with ulimit -n, up to the hard limit (ulimit -Hn)\n");
      stop();
    }
    bar_.draw();
  }

  // Where execvp would find `name`, looked up once per program: with a long PATH, a search per
  // job costs several failed execve calls each time. Null when it has a slash or is not found
  // (then posix_spawnp searches, and reports what it finds).
  const char* find_program(const std::string& name) {
    if (name.find('/') != std::string::npos) return nullptr;
    auto [it, inserted] = programs_.try_emplace(name);
    if (inserted) {
      const char* const env = std::getenv("PATH");  // NOLINT(concurrency-mt-unsafe): no setenv here
      std::string_view dirs = env != nullptr ? env : "/bin:/usr/bin";
      for (;;) {
        const std::size_t colon = dirs.find(':');
        const std::string_view dir = dirs.substr(0, colon);
        std::string candidate = std::string(dir.empty() ? "." : dir) + "/" + name;
        struct stat info {};
        if (::stat(candidate.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
            ::access(candidate.c_str(), X_OK) == 0) {
          it->second = std::move(candidate);
          break;
        }
        if (colon == std::string_view::npos) break;
        dirs.remove_prefix(colon + 1);
      }
    }
    return it->second.empty() ? nullptr : it->second.c_str();
  }

  void wait_for_events() {
    fds_.clear();
    owners_.clear();
    if (io_.signals != nullptr) {
      fds_.push_back({io_.signals->fd(), POLLIN, 0});
      owners_.push_back({nullptr, Source::signals});
    }
    for (OutputStream* stream : streams()) {
      if (stream->poll_fd() >= 0 && stream->error() == 0) {
        fds_.push_back({stream->poll_fd(), stream->poll_events(), 0});
        owners_.push_back({nullptr, stream == &out_               ? Source::stdout_ready
                                    : stream == joblog_own_.get() ? Source::joblog_ready
                                                                  : Source::stderr_ready});
      }
    }
    if (!stopping_ && running_.size() < jobs_ && pending_.empty() && source_.poll_fd() >= 0 &&
        !backlogged()) {
      fds_.push_back({source_.poll_fd(), POLLIN, 0});
      owners_.push_back({nullptr, Source::input});
    }
    Deadline next = bar_.next_redraw();
    bool need_polling = false;  // a child without a pidfd (kernel before 5.3)
    for (auto& r : running_) {
      if (r->out) {
        fds_.push_back({r->out.get(), POLLIN, 0});
        owners_.push_back({r.get(), Source::out});
      }
      if (r->err) {
        fds_.push_back({r->err.get(), POLLIN, 0});
        owners_.push_back({r.get(), Source::err});
      }
      if (!r->status) {
        if (r->child.pidfd() >= 0) {
          fds_.push_back({r->child.pidfd(), POLLIN, 0});
          owners_.push_back({r.get(), Source::exit});
        } else {
          need_polling = true;
        }
        next = std::min({next, r->timeout_at, r->kill_at});
      }
    }
    for (auto& d : doomed_) next = std::min(next, d->kill_at);
    if (orphans_may_wait_) next = std::min(next, next_orphan_check_);
    int timeout = -1;
    const auto now = Clock::now();
    if (next != k_no_deadline) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(std::max(next - now, Clock::duration{}));
      timeout = static_cast<int>(std::min<long long>(left.count(), 1 << 30));
    }
    if (need_polling && (timeout < 0 || timeout > 10)) timeout = 10;
    // A killed job's group has no event that says it has emptied: look every few milliseconds
    // during its grace period, rather than hold its zombie for the whole of it.
    if (!doomed_.empty() && (timeout < 0 || timeout > k_doomed_poll_ms)) timeout = k_doomed_poll_ms;
    posix::checked("poll", [&] { return ::poll(fds_.data(), fds_.size(), timeout); });

    for (std::size_t i = 0; i < fds_.size(); ++i) {
      if (fds_[i].revents == 0) continue;
      Running* r = owners_[i].running;
      switch (owners_[i].source) {
        case Source::signals:
          while (const int sig = io_.signals->take()) {
            if (sig == SIGCHLD) {
              orphans_may_wait_ = true;
            } else {
              interrupt(sig);
            }
          }
          break;
        case Source::out:
          read_some(r->out, r->output.out, r->large_out);
          break;
        case Source::err:
          read_some(r->err, r->output.err, r->large_err);
          break;
        case Source::exit:
          reap(*r);
          break;
        case Source::stdout_ready:
          out_.on_ready(fds_[i].revents);
          break;
        case Source::input:
          read_input();
          break;
        case Source::stderr_ready:
          err_.on_ready(fds_[i].revents);
          break;
        case Source::joblog_ready:
          joblog_own_->on_ready(fds_[i].revents);
          break;
      }
    }
    check_writes();
    if (need_polling) {
      for (auto& r : running_) {
        if (!r->status && r->child.pidfd() < 0) reap(*r);
      }
    }
    enforce_deadlines();
    settle_doomed(false);
    reap_orphans();
    bar_.tick();
  }

  // One read of what the pipe holds (poll said it would not block); closes the pipe at its end.
  void read_some(Fd& fd, std::string& buffer, bool& enlarged) {
    const ssize_t got =
        posix::retried("read", [&] { return ::read(fd.get(), scratch_.get(), k_read_block); });
    if (got <= 0) {  // the end, or an error that ends it just as well
      fd.reset();
      return;
    }
    buffer.append(scratch_.get(), static_cast<std::size_t>(got));
    if (got == k_default_pipe && !enlarged) {
      enlarged = true;
      ::fcntl(fd.get(), F_SETPIPE_SZ, k_large_pipe);  // best effort: a smaller pipe only costs wake-ups
    }
  }

  void reap(Running& r) {
    if (r.status) return;
    if (r.kill_at != k_no_deadline) {
      // Ended during its grace period: the leader stays a zombie until then, so that its pid, the
      // id of its process group, cannot be reused, and the SIGKILL that ends the grace period
      // reaches whatever of the group ignored SIGTERM (settle_doomed()).
      r.status = r.child.peek();
      r.zombie = r.status.has_value();
    } else {
      r.status = r.child.poll();
    }
    if (!r.status) return;
    // Everything the job wrote is in its pipes now; a background process it left behind may hold
    // them open for long, and does not keep the job from ending.
    drain(r.out, r.output.out);
    drain(r.err, r.output.err);
  }

  // Reads what the pipe holds now, then closes it.
  void drain(Fd& fd, std::string& buffer) {
    bool enlarged = true;
    while (fd) {
      pollfd p{fd.get(), POLLIN, 0};
      if (posix::retried("poll", [&] { return ::poll(&p, 1, 0); }) <= 0) {
        fd.reset();
        return;
      }
      read_some(fd, buffer, enlarged);
    }
  }

  void enforce_deadlines() {
    const auto now = Clock::now();
    for (auto& r : running_) {
      if (r->status) continue;
      if (now >= r->kill_at) {
        r->child.signal_group(SIGKILL);
        r->kill_at = k_no_deadline;
      }
      if (now >= r->timeout_at) {
        r->timeout_at = k_no_deadline;
        r->timed_out = true;
        terminate(*r, now);
      }
    }
  }

  void terminate(Running& r, Clock::time_point now) {
    r.child.signal_group(SIGTERM);
    r.kill_at = std::min(r.kill_at, now + k_kill_grace);
  }

  void interrupt(int sig) {
    const auto now = Clock::now();
    // A second signal does not wait for the grace period.
    ++signals_;
    const bool again = signal_ != 0;
    if (!again) signal_ = sig;
    stop();
    for (auto& r : running_) {
      if (r->status && !r->zombie) continue;
      r->stopped = true;
      if (again) {
        r->child.signal_group(SIGKILL);
        r->kill_at = std::min(r->kill_at, now);
      } else {
        terminate(*r, now);
      }
    }
    if (again) settle_doomed(true);
  }

  // The jobs that ended during their grace period: at its end (or at once, or as soon as nothing
  // else is left in the group), SIGKILL to the group, whatever of it is left, then the leader is
  // reaped.
  void settle_doomed(bool at_once) {
    if (doomed_.empty()) return;
    const auto now = Clock::now();
    std::vector<ProcessState> below;
    bool looked = false;
    for (std::size_t i = 0; i < doomed_.size();) {
      Running& d = *doomed_[i];
      const bool deadline = at_once || now >= d.kill_at;
      bool group_left = true;  // something of the group besides the zombie leader still runs
      if (!deadline || d.log_when_settled) {
        if (!looked) below = descendants();
        looked = true;
        const pid_t group = d.child.pid();
        group_left = std::any_of(below.begin(), below.end(), [&](const ProcessState& p) {
          return p.group == group && p.pid != group && p.state != 'Z';
        });
      }
      if (!deadline && group_left) {
        ++i;
        continue;
      }
      if (d.log_when_settled) {
        d.group_killed = group_left;
        log(d);
      }
      d.child.signal_group(SIGKILL);
      d.child.wait();  // the zombie: no wait at all
      doomed_.erase(doomed_.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }

  // Processes the jobs left behind come to mpp-run when their parent ends (it is their
  // subreaper): reaped as they end, so that no zombies pile up over a long run.
  void reap_orphans() {
    if (!subreaper_ || !orphans_may_wait_) return;
    const auto now = Clock::now();
    if (now < next_orphan_check_) return;
    // At most every k_orphan_check_interval: every job's end is a SIGCHLD too, and a look at /proc
    // per job would cost more than a small job.
    next_orphan_check_ = now + k_orphan_check_interval;
    orphans_may_wait_ = false;
    for (pid_t pid : children_of(::getpid())) {
      if (is_job(pid)) continue;
      int status = 0;
      ::waitpid(pid, &status, WNOHANG);
    }
  }

  [[nodiscard]] bool is_job(pid_t pid) const {
    const auto leads = [&](const std::unique_ptr<Running>& r) { return r->child.pid() == pid; };
    return std::any_of(running_.begin(), running_.end(), leads) ||
           std::any_of(doomed_.begin(), doomed_.end(), leads);
  }

  // After the last job: nothing of a job may outlive mpp-run. What the jobs left behind
  // (background processes, daemons that left their job's group with setsid) gets SIGTERM, and
  // SIGKILL after the grace period (at once when `at_once`); mpp-run reaps what comes to it.
  void sweep(bool at_once) {
    if (!subreaper_) return;
    const auto live = [] {
      std::vector<ProcessState> out = descendants();
      std::erase_if(out, [](const ProcessState& p) { return p.state == 'Z'; });
      return out;
    };
    std::vector<ProcessState> left = live();
    if (!left.empty() && !at_once) {
      for (const ProcessState& p : left) ::kill(p.pid, SIGTERM);
      const Deadline until = Clock::now() + k_kill_grace;
      // Processes that are not mpp-run's children give no event when they end: look every few
      // milliseconds, within the grace period.
      while (!left.empty() && Clock::now() < until) {
        ::poll(nullptr, 0, k_doomed_poll_ms);
        reap_children();
        left = live();
      }
    }
    // SIGKILL to what is left; their children come to mpp-run in turn. Until nothing is left.
    for (int round = 0; round < k_max_sweeps; ++round) {
      for (const ProcessState& p : left) ::kill(p.pid, SIGKILL);
      const bool any = reap_children(left);
      left = live();
      if (left.empty() && !any) break;
    }
  }

  // Reaps mpp-run's children (all of them orphans by now: every job is reaped); true when there
  // were any. Waits for those in `killed` (sent SIGKILL), not for the others.
  bool reap_children(const std::vector<ProcessState>& killed = {}) {
    const std::vector<pid_t> children = children_of(::getpid());
    for (pid_t pid : children) {
      const bool wait =
          std::any_of(killed.begin(), killed.end(), [&](const ProcessState& p) { return p.pid == pid; });
      int status = 0;
      posix::retried("waitpid", [&] { return ::waitpid(pid, &status, wait ? 0 : WNOHANG); });
    }
    return !children.empty();
  }

  void stop() {
    if (stopping_) return;
    stopping_ = true;
    // With what the source holds already (all of the rest when it has been read to its end).
    not_started_ = pending_.size() + source_.buffered();
    input_left_ = !source_.at_end();
  }

  void finish_done_jobs() {
    for (std::size_t i = 0; i < running_.size();) {
      if (!running_[i]->done()) {
        ++i;
        continue;
      }
      std::unique_ptr<Running> r = std::move(running_[i]);
      running_.erase(running_.begin() + static_cast<std::ptrdiff_t>(i));
      finish(*r);
      if (r->zombie) doomed_.push_back(std::move(r));
    }
  }

  void finish(Running& r) {
    const int status = *r.status;
    // A job that timed out failed, even when it then ended well on the SIGTERM.
    const bool failed = !r.stopped && (r.timed_out || !(WIFEXITED(status) && WEXITSTATUS(status) == 0));
    if (failed && !stopping_ && r.tries < options_.tries) {
      // Its output is dropped: only the last try's is shown.
      pending_.push_front(Pending{r.job, std::move(r.command), r.tries});
      return;
    }
    // A job whose group outlives its leader has not ended yet: its row is written when the group has
    // gone, with the signal that ended it (SIGKILL when part of it ignored SIGTERM).
    if (r.zombie) {
      r.log_when_settled = true;
    } else {
      log(r);
    }
    if (r.timed_out) {
      r.output.err +=
          "mpp-run: timed out after " + seconds_text(options_.timeout) + " s, killed: " + r.command + "\n";
    }
    if (failed) ++failed_;
    // Counted before its output is written, so that the bar drawn after that output counts it.
    bar_.advance();
    if (options_.keep_order) {
      const std::size_t place = r.job - next_ordered_;
      if (ordered_.size() <= place) ordered_.resize(place + 1);
      ordered_[place] = std::move(r.output);
      flush_ordered();
    } else {
      write_output(r.output);
    }
    if (failed && options_.halt.when != Halt::When::never && failed_ >= options_.halt.failures &&
        !stopping_) {
      halted_ = true;
      stop();
      if (options_.halt.when == Halt::When::now) {
        const auto now = Clock::now();
        for (auto& other : running_) {
          if (other->status) continue;
          other->stopped = true;
          terminate(*other, now);
        }
      }
    }
  }

  void log(const Running& r) {
    if (joblog_ == nullptr) return;
    const int status = *r.status;
    const double runtime = std::chrono::duration<double>(Clock::now() - r.started).count();
    const double start = std::chrono::duration<double>(r.started_wall.time_since_epoch()).count();
    // GNU parallel's conventions: Exitval -1 for a job killed for its timeout, 0 for one a signal
    // killed (Signal says which).
    const int exitval = r.timed_out ? -1 : WIFEXITED(status) ? WEXITSTATUS(status) : 0;
    const int sig = r.group_killed ? SIGKILL : WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    char head[160];
    std::snprintf(head, sizeof head, "%zu\t:\t%.3f\t%10.3f\t0\t%zu\t%d\t%d\t", r.job + 1, start, runtime,
                  r.output.out.size(), exitval, sig);
    const std::string row = std::string(head) + log_field(r.command) + "\n";
    if (joblog_error_ != 0) return;
    if (joblog_ == &err_) bar_.clear();
    // Queued as one piece, so the rows stay whole (a regular file takes it at once); checked with
    // the jobs' output when it goes to standard output or error.
    joblog_->write(row);
    if (joblog_ == &err_) bar_.draw();
    check_joblog();
  }

  // A joblog of its own that could not be written: the record of what ran is lost from here on,
  // so, as for output nobody can read, mpp-run stops.
  void check_joblog() {
    if (!joblog_own_ || joblog_error_ != 0 || joblog_own_->error() == 0) return;
    joblog_error_ = joblog_own_->error();
    err_.write("mpp-run: cannot write the joblog " + options_.joblog + ": " + std::strerror(joblog_error_) +
               "\n");
    if (signal_ == 0) interrupt_quietly();
  }

  void flush_ordered() {
    while (!ordered_.empty() && ordered_.front()) {
      write_output(*ordered_.front());
      ordered_.pop_front();
      ++next_ordered_;
    }
    // After a stop, the jobs that never ran leave holes: the outputs behind them still count.
    if (running_.empty() && (stopping_ || no_more_jobs())) {
      for (; !ordered_.empty(); ordered_.pop_front(), ++next_ordered_) {
        if (ordered_.front()) write_output(*ordered_.front());
      }
    }
  }

  // Queues a job's output: written as the readers take it, never waited for here.
  void write_output(const Output& output) {
    if (output.out.empty() && output.err.empty()) return;
    if (write_error_ != 0) return;
    bar_.clear();
    out_.write(output.out);
    err_.write(output.err);
    bar_.draw();
    check_writes();
  }

  // A write that failed, now or when poll() said so (EPIPE: the reader has gone, as in
  // `mpp-run ... | head -1`, noticed as soon as it goes even with nothing to write): the jobs'
  // work is lost too, so they are stopped at once and no more start.
  void check_writes() {
    check_joblog();
    if (write_error_ != 0) return;
    write_error_ = out_.error() != 0 ? out_.error() : err_.error();
    if (write_error_ == 0) return;
    if (signal_ == 0) interrupt_quietly();
  }

  [[nodiscard]] std::vector<OutputStream*> streams() {
    std::vector<OutputStream*> all{&out_};
    if (err_own_) all.push_back(err_own_.get());
    if (joblog_own_) all.push_back(joblog_own_.get());
    return all;
  }

  // After the last job: what is still queued is written as the readers take it, while signals
  // are still heard. After a stop by signal, a reader that takes nothing for the grace period
  // (or a second signal) gets nothing more: mpp-run exits rather than wait for it.
  void drain_output() {
    std::size_t progress = 0;
    Deadline give_up = k_no_deadline;
    for (;;) {
      const std::vector<OutputStream*> all = streams();
      if (!std::any_of(all.begin(), all.end(),
                       [](OutputStream* s) { return s->error() == 0 && s->pending() > 0; }))
        return;
      std::size_t written = 0;
      for (OutputStream* stream : all) written += stream->written();
      const auto now = Clock::now();
      if (signal_ != 0) {
        if (give_up == k_no_deadline || written != progress) give_up = now + k_kill_grace;
        if (now >= give_up || signals_ > 1) {
          for (OutputStream* stream : all) stream->drop();
          return;
        }
      }
      progress = written;
      fds_.clear();
      if (io_.signals != nullptr) fds_.push_back({io_.signals->fd(), POLLIN, 0});
      for (OutputStream* stream : all) {
        if (stream->poll_fd() >= 0 && stream->error() == 0)
          fds_.push_back({stream->poll_fd(), stream->poll_events(), 0});
      }
      int timeout = -1;
      if (give_up != k_no_deadline) {
        timeout = static_cast<int>(
            std::chrono::ceil<std::chrono::milliseconds>(std::max(give_up - now, Clock::duration{})).count());
      }
      posix::checked("poll", [&] { return ::poll(fds_.data(), fds_.size(), timeout); });
      for (const pollfd& p : fds_) {
        if (p.revents == 0) continue;
        if (io_.signals != nullptr && p.fd == io_.signals->fd()) {
          while (const int sig = io_.signals->take()) {
            if (sig != SIGCHLD) interrupt(sig);
          }
          continue;
        }
        for (OutputStream* stream : all) {
          if (stream->poll_fd() == p.fd) stream->on_ready(p.revents);
        }
      }
      if (write_error_ == 0) write_error_ = out_.error() != 0 ? out_.error() : err_.error();
      check_joblog();
    }
  }

  void interrupt_quietly() {
    stop();
    const auto now = Clock::now();
    for (auto& r : running_) {
      if (r->status) continue;
      r->stopped = true;
      terminate(*r, now);
    }
  }

  void report_stop() {
    std::string message;
    if (signal_ != 0) {
      message = "mpp-run: " + signal_name(signal_) + ": stopped the running jobs";
    } else if (halted_) {
      message = std::string("mpp-run: --halt ") + (options_.halt.when == Halt::When::now ? "now" : "soon") +
                ": stopped after " + std::to_string(failed_) + " failed job" + (failed_ == 1 ? "" : "s");
    } else if (write_error_ != 0 && write_error_ != EPIPE) {
      message = std::string("mpp-run: cannot write the output: ") + std::strerror(write_error_);
    }
    if (message.empty()) return;
    if (not_started_ > 0) message += "; " + std::to_string(not_started_) + " not started";
    if (input_left_) message += "; the rest of the input was not read";
    bar_.clear();
    err_.write(message + "\n");
  }

  enum class Source { signals, out, err, exit, stdout_ready, stderr_ready, joblog_ready, input };
  struct Owner {
    Running* running;
    Source source;
  };

  const Options& options_;
  std::size_t jobs_;
  CommandSource& source_;
  RunIo io_;
  std::deque<Pending> pending_;  // retries, before what the source gives
  std::size_t next_index_ = 0;   // the place in the input of the source's next command
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
  bool subreaper_ = ::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0;
  Deadline next_orphan_check_ = Clock::now();
  bool orphans_may_wait_ = false;  // a SIGCHLD came since the last look
};

// How many of `jobs` slots the open-file limit allows, after raising the soft limit as far as it
// goes; `warning` says so when that is fewer. Throws mpp::ParseError when it allows none.
std::size_t jobs_within_file_limit(std::size_t jobs, std::string& warning) {
  // Three descriptors per running job: -j in the thousands needs more than the usual soft limit of
  // 1024, and the hard limit is ours to take.
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) != 0 || files.rlim_cur == RLIM_INFINITY) return jobs;
  const std::size_t wanted = 3 * jobs + k_fixed_descriptors + 64;
  if (files.rlim_cur < wanted && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = std::min<rlim_t>(files.rlim_max, std::max<rlim_t>(wanted, files.rlim_cur));
    ::setrlimit(RLIMIT_NOFILE, &files);
    ::getrlimit(RLIMIT_NOFILE, &files);
  }
  // What is open already (standard streams, the signal pipe, what the caller inherited) counts
  // against the limit too.
  std::size_t open_now = 0;
  std::error_code ignored;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ignored);
       it != std::filesystem::directory_iterator(); it.increment(ignored)) {
    ++open_now;
  }
  const std::size_t limit = files.rlim_cur;
  const std::size_t fixed = open_now + k_fixed_descriptors;
  const std::size_t fit = limit > fixed ? (limit - fixed) / 3 : 0;
  if (jobs <= fit) return jobs;
  if (fit == 0) {
    throw ParseError("the open-file limit (ulimit -n: " + std::to_string(limit) +
                     ") leaves no descriptors for a job: each needs 3, and mpp-run about " +
                     std::to_string(fixed));
  }
  // As GNU parallel: run fewer at once rather than fail half-way.
  warning = "mpp-run: warning: only enough file descriptors to run " + std::to_string(fit) +
            " jobs at once (ulimit -n: " + std::to_string(limit) + "), not " + std::to_string(jobs) +
            "; raise it with ulimit -n, up to the hard limit (ulimit -Hn)\n";
  return fit;
}

// Opens the joblog file (not "-") before anything runs; a file that cannot be opened is an error.
// A FIFO with no reader yet is waited for, opened without blocking and again every few
// milliseconds while the signals are heard: -1 with `signal` set when one came first.
int open_joblog(const std::string& path, SignalPipe* signals, int& signal) {
  for (;;) {
    const int fd = posix::retried("open", [&] {
      return ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0644);
    });
    if (fd >= 0) {
      // Blocking again: OutputStream makes a non-blocking copy of its own where a write could wait.
      const int flags = ::fcntl(fd, F_GETFL);
      if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
      return fd;
    }
    if (fd != -ENXIO) throw ParseError("cannot write the joblog " + path + ": " + std::strerror(-fd));
    pollfd p{signals != nullptr ? signals->fd() : -1, POLLIN, 0};
    posix::retried("poll", [&] { return ::poll(&p, 1, k_fifo_retry_ms); });
    while (const int sig = signals != nullptr ? signals->take() : 0) {
      if (sig == SIGCHLD) continue;
      signal = sig;
      return -1;
    }
  }
}

}  // namespace

int run_jobs(const Options& options, CommandSource& commands, const RunIo& io) {
  std::string warning;
  // No more slots than jobs: -j 1000 for three commands needs three.
  const std::size_t known = commands.total().value_or(options.jobs);
  const std::size_t jobs =
      jobs_within_file_limit(std::min(options.jobs, std::max<std::size_t>(known, 1)), warning);
  int joblog_fd = -1;
  if (!options.joblog.empty() && options.joblog != "-") {
    int signal = 0;
    joblog_fd = open_joblog(options.joblog, io.signals, signal);
    if (signal != 0) {
      OutputStream err(io.err);  // a message that never blocks either; dropped if nobody reads
      err.write("mpp-run: " + signal_name(signal) + ": stopped waiting for a reader of the joblog " +
                options.joblog + "; no job was started\n");
      return 128 + signal;
    }
  }
  const Fd joblog_closer(joblog_fd);
  Runner runner(options, jobs, commands, io, warning, joblog_fd);
  return runner.run();
}

int print_commands(CommandSource& commands, int out) {
  // In pieces, as the input is read: a long input is never held whole.
  std::string text;
  const auto flush = [&] {
    const int error = write_all(out, text);
    text.clear();
    return error == 0 ? 0 : error == EPIPE ? 128 + SIGPIPE : k_usage_status;
  };
  for (;;) {
    if (std::optional<std::string> command = commands.next()) {
      text += *command;
      text += '\n';
      if (text.size() >= k_read_block) {
        if (const int status = flush(); status != 0) return status;
      }
    } else if (commands.at_end()) {
      return flush();
    } else {
      commands.read_some();
    }
  }
}

}  // namespace mpp::detail::run
