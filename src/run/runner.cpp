// run_jobs() and --dry-run's print_commands(), and the Runner's frame: its life, the loop that
// starts jobs as slots free up and waits on poll(), and what a finished job leads to (a retry, a
// failure counted). The other parts of the Runner (runner_impl.hpp) have files of their own.
#include "run/runner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

#include "mpp/cpu.hpp"
#include "mpp/errors.hpp"
#include "posix/syscall.hpp"
#include "run/command.hpp"
#include "run/input.hpp"
#include "run/remote.hpp"
#include "run/runner_impl.hpp"
#include "run/signals.hpp"

namespace mpp::detail::run {
namespace {

// Writes all of `data`; 0, or the errno of the failure.
int write_all(int fd, std::string_view data) noexcept {
  while (!data.empty()) {
    const ssize_t n = posix::retried("write", [&] { return ::write(fd, data.data(), data.size()); });
    if (n < 0) return static_cast<int>(-n);
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return 0;
}

// Seconds as a person writes them: "1", "0.5", "2.25" (to_string's "1.000000" is noise).
std::string seconds_text(double seconds) {
  char text[64];
  std::snprintf(text, sizeof text, "%.15g", seconds);
  return text;
}

}  // namespace

Runner::Runner(const Options& options, std::size_t jobs, CommandSource& source, const RunIo& io,
               const std::string& warning, int joblog_fd)
    : options_(options),
      jobs_(jobs),
      source_(source),
      io_(io),
      gate_(options.memfree, options.load.empty() ? 0 : parse_load(options.load, usable_cpu_count())),
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
  devnull_.reset(posix::checked("open /dev/null", [] { return ::open("/dev/null", O_RDONLY | O_CLOEXEC); }));
  if (!warning.empty()) {
    bar_.clear();
    err_.write(warning);
    bar_.draw();
  }
}

Runner::~Runner() {
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

int Runner::run() {
  check_writes();  // a reader gone before the start, an unwritable joblog header
  for (;;) {
    turn_now_ = Clock::now();
    while (!stopping_ && running_.size() < jobs_ && !backlogged() && !delayed() &&
           gate_.allows(running_.size())) {
      std::optional<Pending> job = next_job();
      if (!job) break;
      start(std::move(*job));
      // --delay: from this start to the next, as GNU parallel's (retries too).
      if (options_.delay > 0) next_start_ = deadline_after(std::chrono::duration<double>(options_.delay));
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
  if (joblog_error_ != 0 || results_error_ != 0 || input_error_ || descriptor_error_) return k_usage_status;
  if (halt_status_) return *halt_status_;
  // GNU parallel's: with --halt P% not reached, the share of the started jobs that failed.
  if (options_.halt.when != Halt::When::never && options_.halt.percent != 0) {
    return static_cast<int>((failed_ * 100 + std::max<std::size_t>(started_, 1) - 1) /
                            std::max<std::size_t>(started_, 1));
  }
  return static_cast<int>(std::min<std::size_t>(failed_, k_max_failed_status));
}

// A retry first, else the source's next command, if it has one without reading.
std::optional<Pending> Runner::next_job() {
  if (!pending_.empty()) {
    Pending job = std::move(pending_.front());
    pending_.pop_front();
    return job;
  }
  for (;;) {
    std::size_t slot = 0;
    if (free_slots_.empty()) {
      slot = ++slots_made_;
    } else {
      slot = free_slots_.front();
      free_slots_.pop_front();
    }
    std::optional<Job> job = source_.next(slot);
    if (!job || already_run(next_index_)) free_slots_.push_front(slot);  // the first to hand out still
    if (!job) return std::nullopt;
    const std::size_t index = next_index_++;
    if (already_run(index)) {
      skip(index);
      continue;
    }
    ++started_;
    return Pending{index,          std::move(job->command), 0, std::move(job->values), slot,
                   job->row_width, std::move(job->input)};
  }
}

bool Runner::no_more_jobs() const noexcept {
  return pending_.empty() && source_.at_end() && source_.total() == source_.given();
}

// Reads the next lines of input when a slot waits for them (poll() said they are there).
void Runner::read_input() {
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

bool Runner::backlogged() const noexcept {
  return out_.pending() + (err_own_ ? err_own_->pending() : 0) + (joblog_own_ ? joblog_own_->pending() : 0) >
         k_max_backlog;
}

void Runner::stop() {
  if (stopping_) return;
  stopping_ = true;
  // With what the source holds already (all of the rest when it has been read to its end).
  not_started_ = pending_.size() + source_.buffered();
  input_left_ = !source_.at_end();
}

void Runner::wait_for_events() {
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
  const bool may_start = !stopping_ && running_.size() < jobs_ && !backlogged() && !delayed();
  if (may_start && pending_.empty() && source_.poll_fd() >= 0 && gate_.next_check() == k_no_deadline) {
    fds_.push_back({source_.poll_fd(), POLLIN, 0});
    owners_.push_back({nullptr, Source::input});
  }
  Deadline next = bar_.next_redraw();
  // A free slot waits for --delay to pass (and wakes the loop when it has).
  if (!stopping_ && running_.size() < jobs_ && delayed()) next = std::min(next, next_start_);
  // A start --memfree or --load holds: the files are read again then.
  if (may_start) next = std::min(next, gate_.next_check());
  if (io_.remote != nullptr) {
    fds_.push_back({io_.remote->poll_fd(), POLLIN, 0});
    owners_.push_back({nullptr, Source::remote});
  }
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
    if (r->in) {
      fds_.push_back({r->in.get(), POLLOUT, 0});
      owners_.push_back({r.get(), Source::job_input});
    }
    if (!r->status && !r->remote) {
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
  int timeout = poll_timeout_ms(next, Clock::now());
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
        stream(*r, false);
        break;
      case Source::err:
        read_some(r->err, r->output.err, r->large_err);
        stream(*r, false);
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
      case Source::job_input:
        feed(*r);
        break;
      case Source::stderr_ready:
        err_.on_ready(fds_[i].revents);
        break;
      case Source::remote:
        take_remote();
        break;
      case Source::joblog_ready:
        joblog_own_->on_ready(fds_[i].revents);
        break;
    }
  }
  check_writes();
  if (need_polling) {
    for (auto& r : running_) {
      if (!r->status && !r->remote && r->child.pidfd() < 0) reap(*r);
    }
  }
  enforce_deadlines();
  settle_doomed(false);
  reap_orphans();
  bar_.tick();
}

void Runner::finish_done_jobs() {
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

void Runner::finish(Running& r) {
  const bool job_failed = failed(r);
  // Counted now: a zombie's row is written after its output has gone on.
  r.received = r.streamed_out + r.output.out.size();
  if (job_failed && !stopping_ && r.tries < options_.tries) {
    // Its output is dropped: only the last try's is shown. It keeps its job slot, as in GNU
    // parallel.
    // With its block of the input again (--pipe).
    pending_.push_front(Pending{r.job, std::move(r.command), r.tries, std::move(r.values), r.slot,
                                r.row_width, std::move(r.input)});
    return;
  }
  release_slot(r.slot);
  // A job whose group outlives its leader has not ended yet: its row is written when the group has
  // gone, with the signal that ended it (SIGKILL when part of it ignored SIGTERM).
  if (r.zombie) {
    r.log_when_settled = true;
  } else {
    log(r);
  }
  stream(r, true);  // -u, --line-buffer: what is left, a last line without a newline included
  if (!options_.results.empty()) {
    // The output goes to its files only, as in GNU parallel (mpp-run's own messages still reach
    // standard error).
    if (!r.stopped) write_results(r);
    r.output = {};
  } else if (options_.tagstring) {
    tag_output(r);
  }
  if (r.timed_out) {
    r.output.err +=
        "mpp-run: timed out after " + seconds_text(options_.timeout) + " s, killed: " + r.command + "\n";
  }
  if (job_failed) ++failed_;
  // Counted before its output is written, so that the bar drawn after that output counts it.
  bar_.advance();
  // A job --halt now killed: its output is not written, as GNU parallel writes none (with -k its
  // place stays empty, and the outputs behind it are not written either).
  if (r.stopped && halted_now()) return;
  if (options_.keep_order) {
    const std::size_t place = r.job - next_ordered_;
    if (ordered_.size() <= place) ordered_.resize(place + 1);
    ordered_[place] = std::move(r.output);
    flush_ordered();
  } else {
    write_output(r.output);
  }
  if (!r.stopped) count_for_halt(r, job_failed);
}

int run_jobs(const Options& options, CommandSource& commands, const RunIo& io) {
  std::string warning;
  // No more slots than jobs: -j 1000 for three commands needs three.
  const std::size_t known = commands.total().value_or(options.jobs);
  const std::size_t jobs =
      jobs_within_file_limit(std::min(options.jobs, std::max<std::size_t>(known, 1)), warning);
  Fd joblog;
  if (!options.joblog.empty() && options.joblog != "-") {
    int signal = 0;
    joblog = open_joblog(options.joblog, io.joblog_append, io.signals, signal);
    if (signal != 0) {
      OutputStream err(io.err);  // a message that never blocks either; dropped if nobody reads
      err.write("mpp-run: " + signal_name(signal) + ": stopped waiting for a reader of the joblog " +
                options.joblog + "; no job was started\n");
      return 128 + signal;
    }
  }
  Runner runner(options, jobs, commands, io, warning, joblog.get());
  return runner.run();
}

int print_commands(CommandSource& commands, int out, const std::vector<bool>* already_run,
                   const std::optional<std::string>& tagstring) {
  // In pieces, as the input is read: a long input is never held whole.
  std::string text;
  const auto flush = [&] {
    const int error = write_all(out, text);
    text.clear();
    return error == 0 ? 0 : error == EPIPE ? 128 + SIGPIPE : k_usage_status;
  };
  for (;;) {
    if (std::optional<Job> job = commands.next()) {
      const std::size_t i = job->seq - 1;
      if (already_run != nullptr && i < already_run->size() && (*already_run)[i]) continue;
      if (tagstring) text += fill_text(*tagstring, job->values, job->seq, 1) + "\t";
      text += job->command;
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
