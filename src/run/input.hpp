// Where mpp-run's commands come from, one at a time: a list known from the command line, or the
// lines of a file or of standard input, read as jobs need them (`find / | mpp-run -a - gzip` holds
// a few lines at a time, not the whole listing).
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mpp/detail/posix/fd.hpp"
#include "run/blocks.hpp"
#include "run/header_lines.hpp"
#include "run/job_input.hpp"
#include "run/options.hpp"
#include "run/records.hpp"

namespace mpp::detail::run {

/// One job as its source gives it: the command to run and what it was made of, for --tag,
/// --tagstring and --results.
struct Job {
  std::string command;
  /// Its values (one per input source, or those of its group with -N, -L, -X); a line or argument
  /// that is a command by itself is its one value (GNU parallel's `{}` there is the command).
  std::vector<std::string> values;
  std::size_t seq = 0;  // its place in the input, from 1 ({#})
  /// --results numbers the values of each input row (source by source, column by column) from 1
  /// again, as GNU parallel does: how many values a row gave (0: all of them are one row).
  std::size_t row_width = 0;
  /// --pipe, --pipepart: its standard input (shared with its retries).
  std::shared_ptr<const JobInput> input{};
};

/// The commands of a run, in order. Lines are read only when asked for (read_some(), read_all()),
/// so that the poll loop decides when: a read never happens unless poll() said the descriptor is
/// readable, or the caller chose to wait.
///
/// Not thread-safe.
class CommandSource {
 public:
  /// All the commands, known already.
  explicit CommandSource(std::vector<std::string> commands);
  /// `total` jobs, job i made by `make(i, slot)` when next() comes to it (the combinations of
  /// several input sources can be far more than memory holds).
  CommandSource(std::size_t total, std::function<Job(std::size_t, std::size_t)> make);
  /// The records of `fd` (named `name` in messages; lines unless `format` says otherwise), each a
  /// value for `command_template` (format.per_job of them per job), or a command when the template
  /// is empty (then empty lines are skipped, unless grouped); `already_read` came from `fd` before.
  /// Closes `fd` on destruction when `owns_fd`. With --header, `header_files` are the names the
  /// file was given by (`-a -` gives "-"), which GNU parallel makes replacement strings as it makes
  /// the column names.
  CommandSource(int fd, std::string name, std::string command_template, bool owns_fd, InputFormat format = {},
                std::string_view already_read = {}, std::vector<std::string> header_files = {});
  /// --pipe: `fd` (named `name`) cut into blocks as `pipe` says, each the standard input of a job
  /// running `command_template` (only {#} and {%} filled), after --header's lines (pipe.header_lines
  /// of them, taken off the input's start). Does not own `fd`.
  CommandSource(int fd, std::string name, std::string command_template, PipeFormat pipe);
  CommandSource(const CommandSource&) = delete;
  CommandSource& operator=(const CommandSource&) = delete;
  ~CommandSource();

  /// The next job, when one has been read, its command filled for job slot `slot` (`{%}`, from 1);
  /// none when more must be read first (or at the end).
  [[nodiscard]] std::optional<Job> next(std::size_t slot = 1);
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
  [[nodiscard]] std::size_t buffered() const noexcept { return make_ ? total_ - given_ : ready_.size(); }
  /// How many next() has given.
  [[nodiscard]] std::size_t given() const noexcept { return given_; }

 private:
  void take(std::vector<std::string>& records);
  void read_blocks();
  void add_job();

  std::deque<Job> ready_;  // with a template, their commands are filled by next() (for {%})
  std::function<Job(std::size_t, std::size_t)> make_;  // when made on demand
  std::size_t total_ = 0;                              // ... how many
  int fd_ = -1;
  Fd owned_;  // fd_, when the source owns it
  bool at_end_ = true;
  std::string name_;
  std::string template_;
  InputFormat format_;
  std::optional<RecordReader> reader_;  // when reading fd_
  std::vector<std::string> group_;      // the values of the job being formed
  std::size_t group_records_ = 0;       // ... from how many records
  std::size_t group_size_ = 0;          // ... their bytes
  std::size_t group_width_ = 0;         // ... the values of its first record
  std::size_t jobs_ = 0;                // how many jobs were formed
  std::vector<std::string> header_files_;
  std::vector<std::string> spread_records_;  // -X, -m: the records, until the end
  std::size_t spread_size_ = 0;              // ... their bytes
  bool named_ = false;                       // --header: template_ uses the column names' numbers
  std::size_t given_ = 0;
  std::optional<BlockSplitter> splitter_;           // --pipe
  std::unique_ptr<char[]> scratch_;                 // ... what it reads
  std::optional<HeaderLines> header_;               // ... --header: taking the first lines
  std::shared_ptr<const std::string> header_text_;  // ... and once taken, before every block
};

/// The jobs' values from several input sources, as GNU parallel combines them: each source with the
/// sources linked to it (`:::+`) forms a group whose rows pair their values, as far as the shortest
/// goes; the jobs are every combination of the groups' rows, the last group varying fastest. An
/// empty source among others gives one empty value (as GNU parallel's), alone no job.
class Combinations {
 public:
  explicit Combinations(std::vector<std::vector<std::string>> sources, const std::vector<bool>& linked);
  /// How many jobs; throws mpp::ParseError when more than can be counted.
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  /// Job i's values, one per source.
  [[nodiscard]] std::vector<std::string> values(std::size_t i) const;

 private:
  std::vector<std::vector<std::string>> sources_;
  std::vector<std::size_t> group_of_;    // each source's group
  std::vector<std::size_t> group_rows_;  // each group's rows
  std::size_t size_ = 0;
};

/// The source for `options`, as make_commands() would list it: the ::: values or the argument
/// words as a list; the lines of the -a file, or of standard input (`stdin_fd`), read as needed.
/// Throws mpp::ParseError as make_commands() does (an -a file that cannot be opened, arguments
/// on standard input when each argument is a command).
[[nodiscard]] CommandSource make_source(const Options& options, int stdin_fd);

}  // namespace mpp::detail::run
