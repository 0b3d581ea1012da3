// How jobs are stopped and what they leave behind: timeouts, signals and --halt now (SIGTERM to the
// group, SIGKILL after the grace period), the groups of jobs that ended within it, the orphans that
// come to mpp-run as their subreaper, and the final sweep; all of it read from /proc.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <system_error>

#include "posix/syscall.hpp"
#include "run/remote.hpp"
#include "run/runner_impl.hpp"

namespace mpp::detail::run {
namespace {

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

}  // namespace

void Runner::enforce_deadlines() {
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

void Runner::terminate(Running& r, Clock::time_point now) {
  if (r.remote) {  // stopped where it runs: every remote job at once
    io_.remote->stop();
    return;
  }
  r.child.signal_group(SIGTERM);
  r.kill_at = std::min(r.kill_at, now + k_kill_grace);
}

void Runner::interrupt(int sig) {
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

void Runner::interrupt_quietly() {
  stop();
  const auto now = Clock::now();
  for (auto& r : running_) {
    if (r->status) continue;
    r->stopped = true;
    terminate(*r, now);
  }
}

// The jobs that ended during their grace period: at its end (or at once, or as soon as nothing
// else is left in the group), SIGKILL to the group, whatever of it is left, then the leader is
// reaped.
void Runner::settle_doomed(bool at_once) {
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
void Runner::reap_orphans() {
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
    (void)posix::retried("waitpid", [&] { return ::waitpid(pid, &status, WNOHANG); });
  }
}

bool Runner::is_job(pid_t pid) const {
  const auto leads = [&](const std::unique_ptr<Running>& r) { return r->child.pid() == pid; };
  return std::any_of(running_.begin(), running_.end(), leads) ||
         std::any_of(doomed_.begin(), doomed_.end(), leads);
}

// After the last job: nothing of a job may outlive mpp-run. What the jobs left behind
// (background processes, daemons that left their job's group with setsid) gets SIGTERM, and
// SIGKILL after the grace period (at once when `at_once`); mpp-run reaps what comes to it.
void Runner::sweep(bool at_once) {
  if (!subreaper_) return;
  const auto live = [] {
    std::vector<ProcessState> out = descendants();
    std::erase_if(out, [](const ProcessState& p) { return p.state == 'Z'; });
    return out;
  };
  std::vector<ProcessState> left = live();
  if (!left.empty() && !at_once) {
    for (const ProcessState& p : left) (void)posix::retried("kill", [&] { return ::kill(p.pid, SIGTERM); });
    const Deadline until = Clock::now() + k_kill_grace;
    // Processes that are not mpp-run's children give no event when they end: look every few
    // milliseconds, within the grace period.
    while (!left.empty() && Clock::now() < until) {
      (void)posix::retried("poll", [] { return ::poll(nullptr, 0, k_doomed_poll_ms); });
      reap_children();
      left = live();
    }
  }
  // SIGKILL to what is left; their children come to mpp-run in turn. Until nothing is left.
  for (int round = 0; round < k_max_sweeps; ++round) {
    for (const ProcessState& p : left) (void)posix::retried("kill", [&] { return ::kill(p.pid, SIGKILL); });
    const bool any = reap_children(left);
    left = live();
    if (left.empty() && !any) break;
  }
}

}  // namespace mpp::detail::run
