// What a run writes, never blocking its loop: the jobs' output (in input order with --keep-order),
// the joblog (opened, its header and rows), write errors that stop the run, the output drained
// after the last job, and the message that says why a run stopped.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "mpp/errors.hpp"
#include "posix/syscall.hpp"
#include "run/command.hpp"
#include "run/results.hpp"
#include "run/runner_impl.hpp"
#include "run/signals.hpp"

namespace mpp::detail::run {
namespace {

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

}  // namespace

// Opens the joblog file (not "-") before anything runs; a file that cannot be opened is an error.
// A FIFO with no reader yet is waited for, opened without blocking and again every few
// milliseconds while the signals are heard: none (an empty Fd) with `signal` set when one came first.
Fd open_joblog(const std::string& path, bool append, SignalPipe* signals, int& signal) {
  for (;;) {
    const int fd = posix::retried("open", [&] {
      return ::open(path.c_str(),
                    O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC) | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
                    0644);
    });
    if (fd >= 0) {
      Fd file(fd);
      // Blocking again: OutputStream makes a non-blocking copy of its own where a write could wait.
      const int flags = posix::retried("fcntl", [&] { return ::fcntl(file.get(), F_GETFL); });
      if (flags >= 0)
        (void)posix::retried("fcntl", [&] { return ::fcntl(file.get(), F_SETFL, flags & ~O_NONBLOCK); });
      return file;
    }
    if (fd != -ENXIO) throw ParseError("cannot write the joblog " + path + ": " + std::strerror(-fd));
    pollfd p{signals != nullptr ? signals->fd() : -1, POLLIN, 0};
    posix::retried("poll", [&] { return ::poll(&p, 1, k_fifo_retry_ms); });
    while (const int sig = signals != nullptr ? signals->take() : 0) {
      if (sig == SIGCHLD) continue;
      signal = sig;
      return Fd();
    }
  }
}

// Where the joblog's rows go: standard output for "-" (as GNU parallel's, the rows join the jobs'
// output), and for a file that is the same pipe or terminal as standard output or error, that
// stream, so that what is queued on it keeps its order; else a stream of its own, which never
// blocks the loop either (a FIFO or pipe whose reader does not read).
OutputStream* Runner::joblog_stream(const std::string& path, int fd) {
  if (path.empty()) return nullptr;
  if (joblog_own_) return joblog_own_.get();
  if (path == "-" || out_.same_file(fd)) return &out_;
  return &err_;
}

// Before anything runs, so that a joblog that cannot be written stops mpp-run at once.
void Runner::write_joblog_header(const std::string& path) {
  static constexpr std::string_view k_header =
      "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\n";
  if (joblog_ == nullptr || io_.joblog_append) return;
  joblog_->write(k_header);
  if (joblog_own_ && joblog_own_->error() != 0)
    throw ParseError("cannot write the joblog " + path + ": " + std::strerror(joblog_own_->error()));
}

void Runner::log(const Running& r) {
  // A job mpp-run stopped (a signal, --halt now, output nobody reads) did not end: it gets no row,
  // as in GNU parallel, so that --resume runs it again rather than take it for done.
  if (joblog_ == nullptr || r.stopped) return;
  const int status = *r.status;
  const double runtime = std::chrono::duration<double>(Clock::now() - r.started).count();
  const double start = std::chrono::duration<double>(r.started_wall.time_since_epoch()).count();
  // GNU parallel's conventions: Exitval -1 for a job killed for its timeout, 0 for one a signal
  // killed (Signal says which).
  const int exitval = r.timed_out ? -1 : WIFEXITED(status) ? WEXITSTATUS(status) : 0;
  const int sig = r.group_killed ? SIGKILL : WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  char head[160];
  // Send: its block's bytes with --pipe, as GNU parallel counts them (read or not).
  const std::size_t sent = r.input ? r.input->size() : 0;
  std::snprintf(head, sizeof head, "\t%.3f\t%10.3f\t%zu\t%zu\t%d\t%d\t", start, runtime, sent, r.received,
                exitval, sig);
  // Host: ":" for this machine, as GNU parallel writes it; a remote job's host by name.
  const std::string row = std::to_string(r.job + 1) + "\t" + (r.host.empty() ? ":" : log_field(r.host)) +
                          head + log_field(r.command) + "\n";
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
void Runner::check_joblog() {
  if (!joblog_own_ || joblog_error_ != 0 || joblog_own_->error() == 0) return;
  joblog_error_ = joblog_own_->error();
  err_.write("mpp-run: cannot write the joblog " + options_.joblog + ": " + std::strerror(joblog_error_) +
             "\n");
  if (signal_ == 0) interrupt_quietly();
}

void Runner::flush_ordered() {
  while (!ordered_.empty() && ordered_.front()) {
    write_output(*ordered_.front());
    ordered_.pop_front();
    ++next_ordered_;
  }
  // After a stop, the jobs that never ran leave holes: the outputs behind them still count; not
  // after --halt now, which ends the run as GNU parallel's does, with the outputs still waiting
  // for their turn unwritten.
  if (running_.empty() && (stopping_ || no_more_jobs()) && !halted_now()) {
    for (; !ordered_.empty(); ordered_.pop_front(), ++next_ordered_) {
      if (ordered_.front()) write_output(*ordered_.front());
    }
  }
}

namespace {

// --tag, --tagstring: each line of the job's output and error output starts with the tag and a
// TAB, as GNU parallel writes it: a line is what follows a newline or a carriage return; a last
// line without a newline keeps none.
std::string tagged(std::string_view text, std::string_view tag) {
  if (text.empty()) return {};
  std::string out;
  out.reserve(text.size() + tag.size() * 4);
  out += tag;
  for (std::size_t i = 0; i < text.size(); ++i) {
    out += text[i];
    if ((text[i] == '\n' || text[i] == '\r') && i + 1 < text.size()) out += tag;
  }
  return out;
}

}  // namespace

void Runner::tag_output(Running& r) {
  r.output.out = tagged(r.output.out, r.tag);
  r.output.err = tagged(r.output.err, r.tag);
}

// -u: what a job wrote is written as it is read; --line-buffer: its whole lines (tagged), the
// rest at its end; with -k, only the job whose turn it is writes so, the others wait their turn
// as without the option (GNU parallel's order). --results takes the output to its files instead.
void Runner::stream(Running& r, bool at_end) {
  if ((!options_.ungroup && !options_.line_buffer) || !options_.results.empty()) return;
  if (options_.line_buffer && options_.keep_order && r.job != next_ordered_) return;
  if (write_error_ != 0) return;
  const auto send = [&](std::string& buffer, OutputStream& stream, bool is_out) {
    std::size_t n = buffer.size();
    if (!options_.ungroup && !at_end) {
      const std::size_t newline = buffer.rfind('\n');
      n = newline == std::string::npos ? 0 : newline + 1;
    }
    if (n == 0) return;
    bar_.clear();
    if (r.tag.empty()) {
      stream.write(std::string_view(buffer).substr(0, n));
    } else {
      stream.write(tagged(std::string_view(buffer).substr(0, n), r.tag));
    }
    bar_.draw();
    if (is_out) r.streamed_out += n;
    buffer.erase(0, n);
  };
  send(r.output.out, out_, true);
  send(r.output.err, err_, false);
  check_writes();
}

// --results DIR: the job's files, DIR/1/VALUE1/2/VALUE2/{seq,stdout,stderr} (results_path()). A
// file that cannot be written stops the run, as a joblog row that cannot (exit status 255).
void Runner::write_results(const Running& r) {
  if (results_error_ != 0) return;
  const std::string dir = options_.results + "/" + results_path(r.values, r.row_width);
  std::string failed_path;
  int error = make_directories(dir, failed_path);
  const std::string seq = std::to_string(r.job + 1);  // without a newline, as GNU parallel's
  const std::pair<const char*, std::string_view> files[] = {
      {"seq", seq}, {"stdout", r.output.out}, {"stderr", r.output.err}};
  for (const auto& [name, text] : files) {
    if (error != 0) break;
    failed_path = dir + "/" + name;
    error = write_file(failed_path, text);
  }
  if (error == 0) return;
  results_error_ = error;
  bar_.clear();
  err_.write("mpp-run: cannot write the results file " + failed_path + ": " + std::strerror(error) + "\n");
  if (signal_ == 0) interrupt_quietly();
}

// Queues a job's output: written as the readers take it, never waited for here.
void Runner::write_output(const Output& output) {
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
void Runner::check_writes() {
  check_joblog();
  if (write_error_ != 0) return;
  write_error_ = out_.error() != 0 ? out_.error() : err_.error();
  if (write_error_ == 0) return;
  if (signal_ == 0) interrupt_quietly();
}

std::vector<OutputStream*> Runner::streams() {
  std::vector<OutputStream*> all{&out_};
  if (err_own_) all.push_back(err_own_.get());
  if (joblog_own_) all.push_back(joblog_own_.get());
  return all;
}

// After the last job: what is still queued is written as the readers take it, while signals
// are still heard. After a stop by signal, a reader that takes nothing for the grace period
// (or a second signal) gets nothing more: mpp-run exits rather than wait for it.
void Runner::drain_output() {
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
    const int timeout = poll_timeout_ms(give_up, now);
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

void Runner::report_stop() {
  std::string message;
  if (signal_ != 0) {
    message = "mpp-run: " + signal_name(signal_) + ": stopped the running jobs";
  } else if (halted_) {
    const Halt& halt = options_.halt;
    const std::size_t counted = halt.on == Halt::On::fail      ? failed_
                                : halt.on == Halt::On::success ? succeeded_
                                                               : finished_;
    const char* what = halt.on == Halt::On::fail      ? " failed"
                       : halt.on == Halt::On::success ? " successful"
                                                      : " finished";
    message = std::string("mpp-run: --halt ") + (halt.when == Halt::When::now ? "now" : "soon") +
              ": stopped after " + std::to_string(counted) + what + " job" + (counted == 1 ? "" : "s");
  } else if (write_error_ != 0 && write_error_ != EPIPE) {
    message = std::string("mpp-run: cannot write the output: ") + std::strerror(write_error_);
  }
  if (message.empty()) return;
  if (not_started_ > 0) message += "; " + std::to_string(not_started_) + " not started";
  if (input_left_) message += "; the rest of the input was not read";
  bar_.clear();
  err_.write(message + "\n");
}

}  // namespace mpp::detail::run
