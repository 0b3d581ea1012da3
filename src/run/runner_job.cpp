// One job's process and its pipes: starting it (its program found on PATH once, its pipes, its own
// process group), a start that finds no file descriptors, the slots the open-file limit allows,
// reading its standard output and error, and reaping it. The loop that decides when is runner.cpp's.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string_view>
#include <system_error>
#include <utility>

#include "mpp/errors.hpp"
#include "posix/syscall.hpp"
#include "run/command.hpp"
#include "run/runner_impl.hpp"
#include "run/spawn.hpp"

namespace mpp::detail::run {
namespace {

// A pipe as two owned ends: 0, or the errno of pipe2's failure. Close-on-exec.
int make_pipe(Fd& read, Fd& write) noexcept {
  int ends[2];
  const int rc = posix::retried("pipe2", [&] { return ::pipe2(ends, O_CLOEXEC); });
  if (rc < 0) return -rc;
  read.reset(ends[0]);
  write.reset(ends[1]);
  return 0;
}

bool out_of_descriptors(int error) noexcept { return error == EMFILE || error == ENFILE; }

}  // namespace

// How many of `jobs` slots the open-file limit allows, after raising the soft limit as far as it
// goes; `warning` says so when that is fewer. Throws mpp::ParseError when it allows none.
std::size_t jobs_within_file_limit(std::size_t jobs, std::string& warning) {
  // Three descriptors per running job: -j in the thousands needs more than the usual soft limit of
  // 1024, and the hard limit is ours to take.
  rlimit files{};
  if (posix::retried("getrlimit", [&] { return ::getrlimit(RLIMIT_NOFILE, &files); }) != 0 ||
      files.rlim_cur == RLIM_INFINITY)
    return jobs;
  const std::size_t wanted = 3 * jobs + k_fixed_descriptors + 64;
  if (files.rlim_cur < wanted && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = std::min<rlim_t>(files.rlim_max, std::max<rlim_t>(wanted, files.rlim_cur));
    (void)posix::retried("setrlimit", [&] { return ::setrlimit(RLIMIT_NOFILE, &files); });
    (void)posix::retried("getrlimit", [&] { return ::getrlimit(RLIMIT_NOFILE, &files); });
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

// The try of `job` about to start, here or elsewhere.
std::unique_ptr<Running> Runner::make_running(Pending job) {
  auto r = std::make_unique<Running>();
  r->job = job.job;
  r->command = std::move(job.command);
  r->tries = job.tries + 1;
  r->values = std::move(job.values);
  r->row_width = job.row_width;
  r->slot = job.slot;
  r->input = std::move(job.input);
  if (options_.tagstring) r->tag = fill_text(*options_.tagstring, r->values, r->job + 1, r->slot) + "\t";
  r->started_wall = WallClock::now();
  r->started = Clock::now();
  return r;
}

void Runner::start(Pending job) {
  if (io_.remote != nullptr) {
    start_remote(std::move(job));
    return;
  }
  Fd out[2];
  Fd err[2];
  // Close-on-exec: a job started later must not inherit these, or the end of this job's output
  // would wait for that one to end too. Child::spawn's dup2 gives the job its own copies.
  // Errors as values, not exceptions: out of descriptors is an expected outcome here.
  Fd in[2];  // --pipe: the job's standard input
  int pipe_error = make_pipe(out[0], out[1]);
  if (pipe_error == 0) pipe_error = make_pipe(err[0], err[1]);
  if (pipe_error == 0 && job.input) pipe_error = make_pipe(in[0], in[1]);
  if (pipe_error != 0) {
    if (!out_of_descriptors(pipe_error)) posix::throw_errno("pipe2", pipe_error);
    no_descriptors_for(std::move(job));
    return;
  }
  std::unique_ptr<Running> r = make_running(std::move(job));
  if (options_.timeout > 0) r->timeout_at = deadline_after(std::chrono::duration<double>(options_.timeout));
  Child::SpawnOptions spawn;
  spawn.new_process_group = true;  // a timeout or Ctrl-C kills the job's whole group
  // Jobs do not compete for mpp-run's input or the terminal; with --pipe, they read their block.
  spawn.stdin_fd = r->input ? in[0].get() : devnull_.get();
  spawn.stdout_fd = out[1].get();
  spawn.stderr_fd = err[1].get();
  // A SIGKILL of mpp-run, which it cannot catch, still takes the job along.
  spawn.parent_death_signal = SIGKILL;
  spawn.keep_ignored_signals = true;  // nohup mpp-run ...: the jobs ignore SIGHUP too
  try {
    const Plan plan = plan_command(r->command);
    spawn.program = find_program(plan.argv.front());
    r->child = spawn_job(plan, r->command, spawn);
  } catch (const std::system_error& e) {
    const int error = e.code().value();
    if (out_of_descriptors(error)) {
      no_descriptors_for(Pending{r->job, std::move(r->command), r->tries - 1, std::move(r->values), r->slot,
                                 r->row_width, std::move(r->input)});
      return;
    }
    r->output.err = start_failure_text(r->command, error);
    r->status = start_failure_status(error);
  }
  r->out = std::move(out[0]);  // the write ends close here: the job has its own copies
  r->err = std::move(err[0]);
  if (r->input && !r->status) {
    // Written as the job takes it, never blocking the loop; a large pipe takes a block in a few
    // writes (best effort: a smaller one only costs wake-ups).
    r->in = std::move(in[1]);
    (void)posix::retried("fcntl", [&] { return ::fcntl(r->in.get(), F_SETFL, O_NONBLOCK); });
    (void)posix::retried("fcntl", [&] { return ::fcntl(r->in.get(), F_SETPIPE_SZ, k_large_pipe); });
  }
  running_.push_back(std::move(r));
}

// --pipe, --pipepart: what the job's standard input takes now (poll said it takes some) of its
// input; the pipe closes at the input's end, or when the job stopped reading.
void Runner::feed(Running& r) {
  if (write_input(r.in.get(), *r.input, r.fed)) r.in.reset();
}

// A job could not start for want of file descriptors (the open-file limit was lowered while
// mpp-run ran, or something else holds more than it counted): it goes back to wait. With jobs
// running, fewer run at once from now on; with none, nothing can ever start: mpp-run says why
// and stops, the jobs' output still written, with status 255.
void Runner::no_descriptors_for(Pending job) {
  pending_.push_front(std::move(job));
  rlimit files{};
  const bool known = posix::retried("getrlimit", [&] { return ::getrlimit(RLIMIT_NOFILE, &files); }) == 0 &&
                     files.rlim_cur != RLIM_INFINITY;
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
const char* Runner::find_program(const std::string& name) {
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

// One read of what the pipe holds (poll said it would not block); closes the pipe at its end.
void Runner::read_some(Fd& fd, std::string& buffer, bool& enlarged) {
  const ssize_t got = posix::retried("read", [&] { return ::read(fd.get(), scratch_.get(), k_read_block); });
  if (got <= 0) {  // the end, or an error that ends it just as well
    fd.reset();
    return;
  }
  buffer.append(scratch_.get(), static_cast<std::size_t>(got));
  if (got == k_default_pipe && !enlarged) {
    enlarged = true;
    // Best effort: a smaller pipe only costs wake-ups.
    (void)posix::retried("fcntl", [&] { return ::fcntl(fd.get(), F_SETPIPE_SZ, k_large_pipe); });
  }
}

void Runner::reap(Running& r) {
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
  r.in.reset();  // what it did not read stays unread
  // Everything the job wrote is in its pipes now; a background process it left behind may hold
  // them open for long, and does not keep the job from ending.
  drain(r.out, r.output.out);
  drain(r.err, r.output.err);
}

// Reads what the pipe holds now, then closes it.
void Runner::drain(Fd& fd, std::string& buffer) {
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

}  // namespace mpp::detail::run
