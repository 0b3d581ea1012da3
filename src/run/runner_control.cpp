// What steers a run besides its slots: job slots handed out ({%}), --halt's counts and the exit
// status it sets, --delay between starts, and the jobs --resume skips. The loop that asks is
// runner.cpp's.
#include <sys/wait.h>

#include <algorithm>

#include "run/input.hpp"
#include "run/runner_impl.hpp"

namespace mpp::detail::run {

bool Runner::already_run(std::size_t job) const noexcept {
  return io_.already_run != nullptr && job < io_.already_run->size() && (*io_.already_run)[job];
}

// A job the joblog says was done (--resume): neither run nor counted; with -k its place is taken
// by no output, so that the jobs after it are not held up.
void Runner::skip(std::size_t job) {
  bar_.advance();
  if (!options_.keep_order) return;
  const std::size_t place = job - next_ordered_;
  if (ordered_.size() <= place) ordered_.resize(place + 1);
  ordered_[place] = Output{};
  flush_ordered();
}

void Runner::release_slot(std::size_t slot) { free_slots_.push_back(slot); }

bool Runner::delayed() const noexcept { return next_start_ != k_no_deadline && turn_now_ < next_start_; }

bool Runner::failed(const Running& r) const noexcept {
  const int status = *r.status;
  // A job that timed out failed, even when it then ended well on the SIGTERM.
  return !r.stopped && (r.timed_out || !(WIFEXITED(status) && WEXITSTATUS(status) == 0));
}

// GNU parallel's --halt: after each job, the jobs counted (failed, succeeded or all finished)
// against the count or the share of all jobs; the exit status is set when it is reached.
void Runner::count_for_halt(const Running& r, bool job_failed) {
  const Halt& halt = options_.halt;
  ++finished_;
  if (!job_failed) ++succeeded_;
  if (halt.when == Halt::When::never || halt_status_) return;
  std::size_t counted = 0;
  switch (halt.on) {
    case Halt::On::fail:
      if (!job_failed) return;
      counted = failed_;
      break;
    case Halt::On::success:
      if (job_failed) return;
      counted = succeeded_;
      break;
    case Halt::On::done:
      counted = finished_;
      break;
  }
  const std::size_t total = source_.total().value_or(source_.given());
  // P% of the jobs: at least that share, which may fall between two counts (50% of 3 is 2).
  const bool reached = halt.percent != 0 ? counted * 100 >= total * halt.percent : counted >= halt.count;
  if (!reached) return;
  if (halt.on == Halt::On::success) {
    halt_status_ = 0;
  } else if (halt.percent != 0) {
    halt_status_ = static_cast<int>((failed_ * 100 + std::max<std::size_t>(total, 1) - 1) /
                                    std::max<std::size_t>(total, 1));
  } else if (halt.count == 1) {
    // This job's status, as a shell gives it: 128+N for signal N; -1 (255) for a timeout.
    const int status = *r.status;
    halt_status_ = r.timed_out                                     ? 255
                   : WIFEXITED(status) && WEXITSTATUS(status) != 0 ? WEXITSTATUS(status)
                   : WIFSIGNALED(status)                           ? 128 + WTERMSIG(status)
                                                                   : 0;
  } else {
    halt_status_ = static_cast<int>(std::min<std::size_t>(failed_, k_max_failed_status));
  }
  if (stopping_) return;
  halted_ = true;
  stop();
  if (halt.when == Halt::When::now) {
    const auto now = Clock::now();
    for (auto& other : running_) {
      if (other->status) continue;
      other->stopped = true;
      terminate(*other, now);
    }
  }
}

}  // namespace mpp::detail::run
