#include "run/input.hpp"

#include <unistd.h>

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

CommandSource::CommandSource(int fd, std::string name, std::string command_template, bool owns_fd)
    : fd_(fd),
      owned_(owns_fd ? fd : -1),
      at_end_(false),
      name_(std::move(name)),
      template_(std::move(command_template)) {}

CommandSource::~CommandSource() = default;

std::optional<std::string> CommandSource::next() {
  if (ready_.empty()) return std::nullopt;
  std::string command = std::move(ready_.front());
  ready_.pop_front();
  ++given_;
  return command;
}

std::optional<std::size_t> CommandSource::total() const noexcept {
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
  std::string_view text(buffer, static_cast<std::size_t>(got));
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
  if (template_.empty()) {
    // As commands, empty lines are nothing to run; as values, they are empty values.
    if (!line.empty()) ready_.emplace_back(line);
  } else {
    ready_.push_back(fill_template(template_, line));
  }
}

}  // namespace mpp::detail::run
