#include "run/input.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <utility>

#include "mpp/errors.hpp"
#include "posix/syscall.hpp"
#include "run/command.hpp"

namespace mpp::detail::run {
namespace {

// One read at a time: a few hundred lines of a listing, not the whole of it.
constexpr std::size_t k_read_size = std::size_t{64} * 1024;

}  // namespace

CommandSource::CommandSource(std::vector<std::string> commands)
    : ready_(std::make_move_iterator(commands.begin()), std::make_move_iterator(commands.end())) {}

CommandSource::CommandSource(std::size_t total, std::function<Job(std::size_t, std::size_t)> make)
    : make_(std::move(make)), total_(total) {}

CommandSource::CommandSource(int fd, std::string name, std::string command_template, bool owns_fd,
                             std::string_view already_read)
    : fd_(fd),
      owned_(owns_fd ? fd : -1),
      at_end_(false),
      name_(std::move(name)),
      template_(std::move(command_template)) {
  take(already_read);
}

CommandSource::~CommandSource() = default;

std::optional<Job> CommandSource::next(std::size_t slot) {
  if (make_) {
    if (given_ == total_) return std::nullopt;
    const std::size_t i = given_++;
    return make_(i, slot);
  }
  if (ready_.empty()) return std::nullopt;
  Job job;
  job.values.push_back(std::move(ready_.front()));
  ready_.pop_front();
  job.seq = ++given_;
  // Every line is a value when there is a template: its number is the job's ({#}).
  job.command = template_.empty() ? job.values.front() : fill_template(template_, job.values, job.seq, slot);
  return job;
}

std::optional<std::size_t> CommandSource::total() const noexcept {
  if (make_) return total_;
  if (!at_end_) return std::nullopt;
  return given_ + ready_.size();
}

void CommandSource::read_some() {
  if (at_end_) return;
  char buffer[k_read_size];
  const ssize_t got = posix::retried("read", [&] { return ::read(fd_, buffer, sizeof buffer); });
  if (got < 0) {
    at_end_ = true;
    throw ParseError(name_ + ": " + std::strerror(static_cast<int>(-got)));
  }
  if (got == 0) {
    at_end_ = true;
    // A last line without a newline counts.
    if (!partial_.empty()) add_line(std::exchange(partial_, {}), false);
    return;
  }
  take(std::string_view(buffer, static_cast<std::size_t>(got)));
}

// Read text, split into lines; the last, unended one is kept for the next read.
void CommandSource::take(std::string_view text) {
  for (std::size_t newline; (newline = text.find('\n')) != std::string_view::npos;) {
    if (partial_.empty()) {
      add_line(text.substr(0, newline), true);
    } else {
      partial_.append(text.substr(0, newline));
      add_line(std::exchange(partial_, {}), true);
    }
    text.remove_prefix(newline + 1);
  }
  partial_.append(text);
  if (partial_.size() > k_max_line) {
    at_end_ = true;
    throw ParseError("line " + std::to_string(line_number_ + 1) + " is longer than " +
                     std::to_string(k_max_line >> 20) + " MiB, more than any command line can hold (" +
                     name_ + ")");
  }
}

void CommandSource::read_all() {
  while (!at_end_) read_some();
}

void CommandSource::add_line(std::string_view line, bool ended) {
  ++line_number_;
  // The same rules as split_lines(): CRLF loses its CR, a NUL byte is an error.
  if (ended && line.ends_with('\r')) line.remove_suffix(1);
  if (const std::size_t nul = line.find('\0'); nul != std::string_view::npos) {
    at_end_ = true;
    throw ParseError("a NUL byte cannot be part of a command", name_, line_number_, nul + 1);
  }
  // As commands, empty lines are nothing to run; as values, they are empty values.
  if (!template_.empty() || !line.empty()) ready_.emplace_back(line);
}

Combinations::Combinations(std::vector<std::vector<std::string>> sources, const std::vector<bool>& linked)
    : sources_(std::move(sources)) {
  const bool several = sources_.size() > 1;
  for (std::size_t s = 0; s < sources_.size(); ++s) {
    if (several && sources_[s].empty()) sources_[s].emplace_back();
    if (s == 0 || !linked[s]) {
      group_rows_.push_back(sources_[s].size());
    } else {
      group_rows_.back() = std::min(group_rows_.back(), sources_[s].size());
    }
    group_of_.push_back(group_rows_.size() - 1);
  }
  size_ = group_rows_.empty() ? 0 : 1;
  for (const std::size_t rows : group_rows_) {
    if (rows != 0 && size_ > SIZE_MAX / rows)
      throw ParseError("the input sources make more jobs than can be counted");
    size_ *= rows;
  }
}

std::vector<std::string> Combinations::values(std::size_t i) const {
  // Job i's row of each group: i in mixed radix, the last group the lowest digit.
  std::vector<std::size_t> row(group_rows_.size());
  for (std::size_t g = group_rows_.size(); g-- > 0;) {
    row[g] = i % group_rows_[g];
    i /= group_rows_[g];
  }
  std::vector<std::string> out;
  out.reserve(sources_.size());
  for (std::size_t s = 0; s < sources_.size(); ++s) out.push_back(sources_[s][row[group_of_[s]]]);
  return out;
}

}  // namespace mpp::detail::run
