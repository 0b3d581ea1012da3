#include "run/runner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
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
#include <memory>
#include <optional>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>

#include "mpp/detail/child.hpp"
#include "mpp/detail/progress_bar.hpp"
#include "mpp/errors.hpp"
#include "posix/syscall.hpp"
#include "run/command.hpp"
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

// Writes all of `data`; 0, or the errno of the failure.
int write_all(int fd, std::string_view data) noexcept {
  while (!data.empty()) {
    const ssize_t n = posix::retried("write", [&] { return ::write(fd, data.data(), data.size()); });
    if (n < 0) return static_cast<int>(-n);
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return 0;
}

void close_fd(int& fd) noexcept {
  if (fd >= 0) ::close(fd);
  fd = -1;
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

std::string signal_name(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  return abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

struct Output {
  std::string out;
  std::string err;
};

// One try of a job, from its start to its reaping.
struct Running {
  std::size_t job = 0;
  Child child;
  int out_fd = -1;
  int err_fd = -1;
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

  [[nodiscard]] bool done() const noexcept { return status && out_fd < 0 && err_fd < 0; }
};

class Runner {
 public:
  Runner(const Options& options, const std::vector<std::string>& commands, const RunIo& io)
      : options_(options),
        commands_(commands),
        io_(io),
        tries_(commands.size(), 0),
        joblog_(open_joblog(options.joblog)),
        bar_(commands.size(), io.err, io.bar) {
    if (options_.keep_order) ordered_.resize(commands.size());
    for (std::size_t i = 0; i < commands.size(); ++i) pending_.push_back(i);
    devnull_ = posix::checked("open /dev/null", [] { return ::open("/dev/null", O_RDONLY | O_CLOEXEC); });
  }
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;
  ~Runner() {
    // Only reached with jobs running when something threw: they must not outlive mpp-run.
    for (auto& r : running_) {
      if (!r->status) {
        r->child.signal_group(SIGKILL);
        try {
          r->child.wait();
        } catch (...) {  // destructors never throw
        }
      }
      close_fd(r->out_fd);
      close_fd(r->err_fd);
    }
    close_fd(joblog_);
    close_fd(devnull_);
  }

  int run() {
    for (;;) {
      while (!stopping_ && running_.size() < options_.jobs && !pending_.empty()) {
        const std::size_t job = pending_.front();
        pending_.pop_front();
        start(job);
      }
      if (running_.empty()) break;
      wait_for_events();
      finish_done_jobs();
    }
    flush_ordered();
    bar_.finish();
    report_stop();
    if (signal_ != 0) return 128 + signal_;
    if (write_error_ != 0) return write_error_ == EPIPE ? 128 + SIGPIPE : k_usage_status;
    return static_cast<int>(std::min<std::size_t>(failed_, k_max_failed_status));
  }

 private:
  // Before anything runs, so that a joblog that cannot be written stops mpp-run at once.
  static int open_joblog(const std::string& path) {
    if (path.empty()) return -1;
    const int fd = posix::retried(
        "open", [&] { return ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644); });
    if (fd < 0) throw ParseError("cannot write the joblog " + path + ": " + std::strerror(-fd));
    write_all(fd, "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\n");
    return fd;
  }

  void start(std::size_t job) {
    ++tries_[job];
    auto r = std::make_unique<Running>();
    r->job = job;
    r->started_wall = WallClock::now();
    r->started = Clock::now();
    if (options_.timeout > 0) r->timeout_at = deadline_after(std::chrono::duration<double>(options_.timeout));
    int out[2];
    int err[2];
    // Close-on-exec: a job started later must not inherit these, or the end of this job's output
    // would wait for that one to end too. Child::spawn's dup2 gives the job its own copies.
    posix::checked("pipe2", [&] { return ::pipe2(out, O_CLOEXEC); });
    try {
      posix::checked("pipe2", [&] { return ::pipe2(err, O_CLOEXEC); });
    } catch (...) {
      ::close(out[0]);
      ::close(out[1]);
      throw;
    }
    r->out_fd = out[0];
    r->err_fd = err[0];
    Child::SpawnOptions spawn;
    spawn.new_process_group = true;  // a timeout or Ctrl-C kills the job's whole group
    spawn.stdin_fd = devnull_;       // jobs do not compete for mpp-run's input or the terminal
    spawn.stdout_fd = out[1];
    spawn.stderr_fd = err[1];
    try {
      Plan plan = plan_command(commands_[job]);
      spawn.program = find_program(plan.argv.front());
      try {
        r->child = Child::spawn(plan.argv, spawn);
      } catch (const std::system_error& e) {
        // A file without #! is a shell script to sh, as to execvp; posix_spawnp does not retry.
        if (e.code().value() != ENOEXEC || plan.shell) throw;
        spawn.program = nullptr;
        r->child = Child::spawn({k_shell, "-c", commands_[job]}, spawn);
      }
    } catch (const std::system_error& e) {
      // As a shell would: 127 for a program that is not there, 126 for one that cannot run.
      const int error = e.code().value();
      const Plan plan = plan_command(commands_[job]);
      r->output.err = "mpp-run: " + plan.argv.front() + ": " +
                      (error == ENOENT ? std::string("command not found") : std::strerror(error)) + "\n";
      r->status = W_EXITCODE(error == ENOENT ? 127 : 126, 0);
    }
    ::close(out[1]);
    ::close(err[1]);
    running_.push_back(std::move(r));
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
    Deadline next = bar_.next_redraw();
    bool need_polling = false;  // a child without a pidfd (kernel before 5.3)
    for (auto& r : running_) {
      if (r->out_fd >= 0) {
        fds_.push_back({r->out_fd, POLLIN, 0});
        owners_.push_back({r.get(), Source::out});
      }
      if (r->err_fd >= 0) {
        fds_.push_back({r->err_fd, POLLIN, 0});
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
    int timeout = -1;
    const auto now = Clock::now();
    if (next != k_no_deadline) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(std::max(next - now, Clock::duration{}));
      timeout = static_cast<int>(std::min<long long>(left.count(), 1 << 30));
    }
    if (need_polling && (timeout < 0 || timeout > 10)) timeout = 10;
    posix::checked("poll", [&] { return ::poll(fds_.data(), fds_.size(), timeout); });

    for (std::size_t i = 0; i < fds_.size(); ++i) {
      if (fds_[i].revents == 0) continue;
      Running* r = owners_[i].running;
      switch (owners_[i].source) {
        case Source::signals:
          while (const int sig = io_.signals->take()) interrupt(sig);
          break;
        case Source::out:
          read_some(r->out_fd, r->output.out, r->large_out);
          break;
        case Source::err:
          read_some(r->err_fd, r->output.err, r->large_err);
          break;
        case Source::exit:
          reap(*r);
          break;
      }
    }
    if (need_polling) {
      for (auto& r : running_) {
        if (!r->status && r->child.pidfd() < 0) reap(*r);
      }
    }
    enforce_deadlines();
    bar_.tick();
  }

  // One read of what the pipe holds (poll said it would not block); closes the pipe at its end.
  void read_some(int& fd, std::string& buffer, bool& enlarged) {
    const ssize_t got = posix::retried("read", [&] { return ::read(fd, scratch_.get(), k_read_block); });
    if (got <= 0) {  // the end, or an error that ends it just as well
      close_fd(fd);
      return;
    }
    buffer.append(scratch_.get(), static_cast<std::size_t>(got));
    if (got == k_default_pipe && !enlarged) {
      enlarged = true;
      ::fcntl(fd, F_SETPIPE_SZ, k_large_pipe);  // best effort: a smaller pipe only costs wake-ups
    }
  }

  void reap(Running& r) {
    if (r.status) return;
    r.status = r.child.poll();
    if (!r.status) return;
    // Everything the job wrote is in its pipes now; a background process it left behind may hold
    // them open for long, and does not keep the job from ending.
    drain(r.out_fd, r.output.out);
    drain(r.err_fd, r.output.err);
  }

  // Reads what the pipe holds now, then closes it.
  void drain(int& fd, std::string& buffer) {
    bool enlarged = true;
    while (fd >= 0) {
      pollfd p{fd, POLLIN, 0};
      if (posix::retried("poll", [&] { return ::poll(&p, 1, 0); }) <= 0) {
        close_fd(fd);
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
    const bool again = signal_ != 0;
    if (!again) signal_ = sig;
    stop();
    for (auto& r : running_) {
      if (r->status) continue;
      r->stopped = true;
      if (again) {
        r->child.signal_group(SIGKILL);
      } else {
        terminate(*r, now);
      }
    }
  }

  void stop() {
    if (stopping_) return;
    stopping_ = true;
    not_started_ = pending_.size();
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
    }
  }

  void finish(Running& r) {
    const int status = *r.status;
    const bool failed = !r.stopped && !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    if (failed && !stopping_ && tries_[r.job] < options_.tries) {
      pending_.push_front(r.job);  // its output is dropped: only the last try's is shown
      return;
    }
    log(r);
    if (r.timed_out) {
      r.output.err += "mpp-run: timed out after " + std::to_string(options_.timeout) +
                      " s, killed: " + commands_[r.job] + "\n";
    }
    if (failed) ++failed_;
    if (options_.keep_order) {
      ordered_[r.job] = std::move(r.output);
      flush_ordered();
    } else {
      write_output(r.output);
    }
    bar_.advance();
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
    if (joblog_ < 0) return;
    const int status = *r.status;
    const double runtime = std::chrono::duration<double>(Clock::now() - r.started).count();
    const double start = std::chrono::duration<double>(r.started_wall.time_since_epoch()).count();
    // GNU parallel's conventions: Exitval -1 for a job killed for its timeout, 0 for one a signal
    // killed (Signal says which).
    const int exitval = r.timed_out ? -1 : WIFEXITED(status) ? WEXITSTATUS(status) : 0;
    const int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    char head[160];
    std::snprintf(head, sizeof head, "%zu\t:\t%.3f\t%10.3f\t0\t%zu\t%d\t%d\t", r.job + 1, start, runtime,
                  r.output.out.size(), exitval, sig);
    // One write per line, so the log is whole however mpp-run ends.
    write_all(joblog_, std::string(head) + log_field(commands_[r.job]) + "\n");
  }

  void flush_ordered() {
    while (next_ordered_ < ordered_.size() && ordered_[next_ordered_]) {
      write_output(*ordered_[next_ordered_]);
      ordered_[next_ordered_].reset();
      ++next_ordered_;
    }
    // After a stop, the jobs that never ran leave holes: the outputs behind them still count.
    if (running_.empty() && (stopping_ || pending_.empty())) {
      for (; next_ordered_ < ordered_.size(); ++next_ordered_) {
        if (ordered_[next_ordered_]) write_output(*ordered_[next_ordered_]);
      }
    }
  }

  void write_output(const Output& output) {
    if (output.out.empty() && output.err.empty()) return;
    if (write_error_ != 0) return;
    bar_.clear();
    int error = write_all(io_.out, output.out);
    if (error == 0) error = write_all(io_.err, output.err);
    if (error != 0) {
      // Nobody reads our output any more (EPIPE: `mpp-run ... | head`): the jobs' work is lost
      // too, so stop them.
      write_error_ = error;
      if (signal_ == 0) interrupt_quietly();
    }
    bar_.draw();
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
    write_all(io_.err, message + "\n");
  }

  enum class Source { signals, out, err, exit };
  struct Owner {
    Running* running;
    Source source;
  };

  const Options& options_;
  const std::vector<std::string>& commands_;
  RunIo io_;
  std::vector<std::size_t> tries_;
  std::deque<std::size_t> pending_;
  std::vector<std::unique_ptr<Running>> running_;
  std::vector<std::optional<Output>> ordered_;  // --keep-order: finished outputs waiting their turn
  std::size_t next_ordered_ = 0;
  std::vector<pollfd> fds_;
  std::vector<Owner> owners_;
  std::unordered_map<std::string, std::string> programs_;  // name -> path, "" when not found
  std::unique_ptr<char[]> scratch_ = std::make_unique_for_overwrite<char[]>(k_read_block);
  int joblog_ = -1;
  ProgressBar bar_;
  int devnull_ = -1;
  std::size_t failed_ = 0;
  std::size_t not_started_ = 0;
  bool stopping_ = false;
  bool halted_ = false;
  int signal_ = 0;
  int write_error_ = 0;
};

}  // namespace

int run_jobs(const Options& options, const std::vector<std::string>& commands, const RunIo& io) {
  // Three descriptors per running job: -j in the thousands needs more than the usual soft limit of
  // 1024, and the hard limit is ours to take.
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY &&
      files.rlim_cur < 3 * options.jobs + 64 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
  }
  Runner runner(options, commands, io);
  return runner.run();
}

int print_commands(const std::vector<std::string>& commands, int out) {
  std::string text;
  for (const std::string& command : commands) {
    text += command;
    text += '\n';
  }
  const int error = write_all(out, text);
  return error == 0 ? 0 : error == EPIPE ? 128 + SIGPIPE : k_usage_status;
}

}  // namespace mpp::detail::run
