// Where mpp-run's commands come from, one at a time: a list known from the command line, or the
// lines of a file or of standard input, read as jobs need them (`find / | mpp-run -a - gzip` holds
// a few lines at a time, not the whole listing).
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "mpp/detail/posix/fd.hpp"
#include "run/options.hpp"

namespace mpp::detail::run {

/// The commands of a run, in order. Lines are read only when asked for (read_some(), read_all()),
/// so that the poll loop decides when: a read never happens unless poll() said the descriptor is
/// readable, or the caller chose to wait.
///
/// Not thread-safe.
class CommandSource {
 public:
  /// All the commands, known already.
  explicit CommandSource(std::vector<std::string> commands);
  /// The lines of `fd` (named `name` in messages), each a value for `command_template`, or a
  /// command when the template is empty (then empty lines are skipped). Closes `fd` on
  /// destruction when `owns_fd`.
  CommandSource(int fd, std::string name, std::string command_template, bool owns_fd);
  CommandSource(const CommandSource&) = delete;
  CommandSource& operator=(const CommandSource&) = delete;
  ~CommandSource();

  /// The next command, when one has been read; none when more must be read first (or at the end).
  [[nodiscard]] std::optional<std::string> next();
  /// The descriptor to poll for POLLIN before read_some(); -1 when there is nothing more to read.
  [[nodiscard]] int poll_fd() const noexcept { return at_end_ ? -1 : fd_; }
  /// One read() (it blocks unless poll() said the descriptor is readable), split into lines.
  /// Throws mpp::ParseError for a read error, a NUL byte (with the file, line and column) or a
  /// line longer than any command line can be.
  void read_some();
  /// Reads to the end (blocking); total() is known after it. Throws as read_some().
  void read_all();
  /// Whether nothing more is to be read (next() may still hold commands).
  [[nodiscard]] bool at_end() const noexcept { return at_end_; }
  /// How many commands there are in all, once everything has been read.
  [[nodiscard]] std::optional<std::size_t> total() const noexcept;
  /// How many commands next() can give before more must be read.
  [[nodiscard]] std::size_t buffered() const noexcept { return ready_.size(); }
  /// How many next() has given.
  [[nodiscard]] std::size_t given() const noexcept { return given_; }

 private:
  void add_line(std::string_view line, bool ended);

  std::deque<std::string> ready_;
  int fd_ = -1;
  Fd owned_;  // fd_, when the source owns it
  bool at_end_ = true;
  std::string name_;
  std::string template_;
  std::string partial_;  // the start of a line whose end has not been read
  std::size_t line_number_ = 0;
  std::size_t given_ = 0;
};

/// The longest line read as a command or a value: longer than the kernel takes for one argument
/// (128 KiB) or a whole command line (2 MiB by default), so it could never run.
inline constexpr std::size_t k_max_line = 4 << 20;

/// The source for `options`, as make_commands() would list it: the ::: values or the argument
/// words as a list; the lines of the -a file, or of standard input (`stdin_fd`), read as needed.
/// Throws mpp::ParseError as make_commands() does (an -a file that cannot be opened, arguments
/// on standard input when each argument is a command).
[[nodiscard]] CommandSource make_source(const Options& options, int stdin_fd);

}  // namespace mpp::detail::run
