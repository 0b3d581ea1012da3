// Where a run's commands come from (make_source, declared in input.hpp): the input sources read
// and combined, --header's names, -X and -m spread over the job slots, standard input's lines.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "mpp/errors.hpp"
#include "posix/syscall.hpp"
#include "run/command.hpp"
#include "run/input.hpp"
#include "run/options.hpp"
#include "run/parts.hpp"
#include "run/records.hpp"

namespace mpp::detail::run {
namespace {

[[noreturn]] void bad(const std::string& message) { throw ParseError(message); }

std::string read_all(int fd, const std::string& name) {
  std::string text;
  char buffer[65536];
  for (;;) {
    const ssize_t got = posix::retried("read", [&] { return ::read(fd, buffer, sizeof buffer); });
    if (got == 0) return text;
    if (got < 0) bad(name + ": " + std::strerror(static_cast<int>(-got)));
    text.append(buffer, static_cast<std::size_t>(got));
  }
}

std::string read_file(const std::string& path) {
  const Fd fd(posix::retried("open", [&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); }));
  if (!fd) bad("cannot read the argument file " + path + ": " + std::strerror(-fd.get()));
  return read_all(fd.get(), path);
}

}  // namespace

std::string named_template(const Options& options, const std::vector<std::string>& names,
                           const std::vector<std::string>& files) {
  std::string command_template = join_words(options.words);
  if (!options.format.header) return command_template;
  // GNU parallel's: the header's names, then the files' names.
  command_template = apply_names(apply_names(std::move(command_template), names), files);
  check_template(command_template);
  return command_template;
}

std::vector<std::string> split_lines(std::string_view text, const std::string& name) {
  std::vector<std::string> lines;
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const std::size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    // A CRLF line (a file from Windows) ends before its \r: a value or command never needs one.
    if (newline != std::string_view::npos && line.ends_with('\r')) line.remove_suffix(1);
    if (const std::size_t nul = line.find('\0'); nul != std::string_view::npos) {
      throw ParseError("a NUL byte cannot be part of a command", name, line_number, nul + 1);
    }
    lines.emplace_back(line);
    if (newline == std::string_view::npos) break;
    text.remove_prefix(newline + 1);
  }
  return lines;
}

namespace {

// With a command and no input source, GNU parallel reads the arguments from standard input: so does
// mpp-run when standard input holds something; with nothing to read (a terminal, /dev/null, an
// empty pipe or file), each argument is a command. The first byte, when there is one (waiting for
// the writer of a pipe).
std::optional<char> first_byte_of_arguments(int stdin_fd) {
  // A terminal, /dev/null and other devices are nobody's list of arguments; a pipe or a file is.
  struct stat info {};
  if (::fstat(stdin_fd, &info) != 0 || S_ISCHR(info.st_mode) || S_ISDIR(info.st_mode) ||
      S_ISBLK(info.st_mode)) {
    return std::nullopt;
  }
  char byte = 0;
  const ssize_t got = posix::retried("read", [&] { return ::read(stdin_fd, &byte, 1); });
  if (got < 0) bad(std::string("<stdin>: ") + std::strerror(static_cast<int>(-got)));
  if (got == 0) return std::nullopt;
  return byte;
}

// Each argument a command: a replacement string there would stand for values there are none of.
void refuse_replacements_without_values(const Options& options) {
  for (const std::string& word : options.words) {
    if (auto found = first_replacement(word)) {
      bad("'" + *found +
          "' in a command without ::: or -a, and standard input holds nothing: there are no values to "
          "fill it with. Give the values with ::: VALUE..., -a FILE or on standard input");
    }
  }
}

// Every source's values, files read whole (standard input for "-", once).
// With --header, `names` gets the column names and `files` the file sources' names.
Combinations combine(const Options& options, int stdin_fd, std::vector<std::string>& names,
                     std::vector<std::string>& files) {
  std::vector<std::vector<std::string>> values;
  std::vector<bool> linked;
  bool stdin_read = false;
  const std::string colsep = options.format.colsep.value_or("\t");
  for (const InputSource& source : options.sources) {
    linked.push_back(source.linked);
    if (!source.file) {
      std::optional<std::string> header;
      values.push_back(records_of_values(options.format, source.values, &header));
      if (header) append_names(*header, colsep, names);
      continue;
    }
    files.push_back(*source.file);
    const bool from_stdin = *source.file == "-";
    if (from_stdin && stdin_read) bad("standard input ('-') is given as an input source twice");
    stdin_read = stdin_read || from_stdin;
    const std::string name = from_stdin ? "<stdin>" : *source.file;
    RecordReader reader(options.format, name, true);
    std::vector<std::string> records;
    reader.feed(from_stdin ? read_all(stdin_fd, name) : read_file(name), records);
    reader.finish(records);
    if (reader.header()) append_names(*reader.header(), colsep, names);
    values.push_back(std::move(records));
  }
  return Combinations(std::move(values), linked);
}

// Job i of the combinations (format.per_job of them, flattened, with their columns): the template
// filled, or with no template the values as a command (GNU parallel's `parallel ::: cmd...`).
Job combined_job(const std::string& command_template, const InputFormat& format, const Combinations& jobs,
                 std::size_t i, std::size_t slot) {
  Job job{{}, {}, i + 1};
  std::vector<std::string>& values = job.values;
  const std::size_t n = format.per_job;
  const std::size_t first = n == 0 ? i : i * n;
  const std::size_t end = n == 0 ? first : std::min(jobs.size(), first + n);
  for (std::size_t row = first; row < end; ++row) {
    for (const std::string& value : jobs.values(row)) append_columns(format, value, values);
    if (row == first) job.row_width = values.size();
  }
  job.command = command_template.empty()
                    ? join_words(values)
                    : fill_template(command_template, values, i + 1, slot, format.context);
  return job;
}

// -X, -m: every combination's values, if they fit one command line, spread over the job slots.
void spread(InputFormat& format, const std::string& command_template, const Combinations& jobs) {
  std::vector<std::string> values;
  std::size_t size = 0;
  for (std::size_t row = 0; row < jobs.size(); ++row) {
    for (const std::string& value : jobs.values(row)) {
      size += value.size() + 1;
      check_spread(size);
      append_columns(format, value, values);
    }
  }
  check_spread(fill_template(command_template, values, 1, format.slots, format.context).size());
  format.spread = false;
  format.per_job = spread_per_job(jobs.size(), format.slots);
}

// How many jobs `rows` combinations make.
std::size_t jobs_of(const InputFormat& format, std::size_t rows) {
  if (format.per_job == 0) return rows;
  return rows / format.per_job + (rows % format.per_job != 0 ? 1 : 0);
}

}  // namespace

std::vector<std::string> make_commands(const Options& options, int stdin_fd) {
  CommandSource source = make_source(options, stdin_fd);
  source.read_all();
  std::vector<std::string> commands;
  while (auto job = source.next()) commands.push_back(std::move(job->command));
  return commands;
}

CommandSource make_source(const Options& options_given, int stdin_fd) {
  Options options = options_given;
  options.format.slots = std::max<std::size_t>(options.jobs, 1);
  if (options.pipe && !options.pipe->files.empty()) return part_source(options);
  if (options.pipe) return {stdin_fd, "<stdin>", join_words(options.words), *options.pipe};
  if (!options.sources.empty()) {
    std::vector<std::string> names;
    std::vector<std::string> files;
    auto jobs = std::make_shared<const Combinations>(combine(options, stdin_fd, names, files));
    std::string command_template = named_template(options, names, files);
    InputFormat format = options.format;
    if (format.spread) spread(format, command_template, *jobs);
    const std::size_t total = jobs_of(format, jobs->size());
    // Made as jobs start, so that combinations far larger than memory still run.
    return CommandSource(total, [jobs, command_template = std::move(command_template),
                                 format = std::move(format)](std::size_t i, std::size_t slot) {
      return combined_job(command_template, format, *jobs, i, slot);
    });
  }
  if (options.arg_file || options.words.empty()) {
    const std::string command_template = join_words(options.words);
    if (!options.arg_file || *options.arg_file == "-") {
      std::vector<std::string> files;
      if (options.arg_file) files.emplace_back("-");
      return {stdin_fd, "<stdin>", command_template, false, options.format, {}, std::move(files)};
    }
    const std::string& path = *options.arg_file;
    const int fd = posix::retried("open", [&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); });
    if (fd < 0) bad("cannot read the argument file " + path + ": " + std::strerror(-fd));
    return {fd, path, command_template, true, options.format, {}, {path}};
  }
  if (const auto first = first_byte_of_arguments(stdin_fd)) {
    return {stdin_fd, "<stdin>",      join_words(options.words),
            false,    options.format, std::string_view(&*first, 1)};
  }
  refuse_replacements_without_values(options);
  return CommandSource(options.words);
}

}  // namespace mpp::detail::run
