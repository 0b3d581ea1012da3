// mpp-run's command line (parsed with CLI11) and where its commands come from: arguments, a file
// or standard input, or a template filled from ::: values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "run/blocks.hpp"
#include "run/records.hpp"

namespace mpp::detail::run {

/// --halt: when finished jobs stop the run, as GNU parallel's.
struct Halt {
  enum class When {
    never,  // run every job (the default)
    soon,   // start no more jobs, let the running ones finish
    now,    // start no more jobs, kill the running ones
  };
  enum class On {
    fail,     // counting failed jobs (fail=)
    success,  // counting jobs that succeeded (success=)
    done,     // counting every finished job (done=)
  };
  When when = When::never;
  On on = On::fail;
  std::size_t count = 1;  // how many jobs trigger it (fail=N)
  unsigned percent = 0;   // or, when not 0, this share of all the jobs (fail=P%)
};

/// An input source after the command: `::: VALUE...`, or a file's lines (`:::: FILE`, `-a FILE`;
/// "-": standard input). Several are combined as GNU parallel combines them: every combination, the
/// last source varying fastest; a linked one (`:::+`, `::::+`) pairs with the source before it,
/// value by value, as far as the shorter goes.
struct InputSource {
  std::vector<std::string> values;  // ::: VALUE...
  std::optional<std::string> file;  // :::: FILE, -a FILE
  bool linked = false;
};

/// -j as GNU parallel reads it: N, N% of the CPUs, +N and -N CPUs more or fewer, 0 as many as can
/// run (k_max_jobs); the CPUs are usable_cpu_count() (resolve_jobs).
struct JobsSpec {
  enum class Kind { cpus, count, percent, more, fewer, most };
  Kind kind = Kind::cpus;
  std::size_t n = 0;
};

struct Options {
  std::size_t jobs = 0;  // -j, resolved (resolve_jobs); 0 until then
  JobsSpec jobs_spec;
  bool keep_order = false;
  double timeout = 0;     // seconds; 0: none
  std::size_t tries = 1;  // --retries N: a failing job runs at most N times in all (as GNU parallel)
  std::string joblog;     // empty: none; "-": standard output
  Halt halt;
  std::optional<std::string> tagstring;  // --tagstring STR; --tag is "{}"
  std::string results;                   // --results DIR; empty: none
  double delay = 0;                      // --delay: seconds between two starts; 0: none
  bool ungroup = false;                  // -u: output written as it comes, lines of jobs mixed
  bool line_buffer = false;              // --line-buffer: written line by line as it comes
  bool resume = false;                   // --resume: skip the jobs the joblog has rows of
  bool resume_failed = false;            // --resume-failed: ... the jobs that succeeded
  bool retry_failed = false;             // --retry-failed: run the joblog's failed commands
  bool dry_run = false;
  bool bar = true;                      // --no-bar turns the progress bar off
  bool bar_requested = false;           // --bar, --eta, --progress: drawn even when stderr is no terminal
  std::uint64_t memfree = 0;            // --memfree: bytes of MemAvailable a start needs; 0: none
  std::string load;                     // --load MAX as given (parse_load()); empty: none
  std::optional<std::string> arg_file;  // -a; "-" is standard input
  std::vector<std::string> words;       // the command words after the options (before :::)
  std::vector<InputSource> sources;     // :::, :::+, ::::, ::::+ (and -a with them)
  InputFormat format;                   // -d, -0, -E, --colsep, -N, -n, -L
  std::optional<PipeFormat> pipe;       // --pipe: standard input in blocks, one per job
  bool help = false;
  bool version = false;
};

/// The exit status of a bad command line or bad input (as GNU parallel's: 1 to 101 count failed
/// jobs, so a usage error cannot share one of them).
inline constexpr int k_usage_status = 255;

/// Parses argv (argv[0] is the program). Throws mpp::ParseError, whose message says what is wrong:
/// also for GNU parallel's syntax that mpp-run does not implement ({%}, {=perl=}, a second -a,
/// `--joblog +FILE`, a replacement string with no input source) rather than run it with another
/// meaning. Options it does not know are refused too, and -S/--sshlogin/--slf: mpp-run runs on this
/// machine only. `--bar`, `--eta` and `--progress` draw mpp-run's bar even when standard error is no
/// terminal.
[[nodiscard]] Options parse_command_line(int argc, const char* const* argv);

/// -j's text. Throws mpp::ParseError.
[[nodiscard]] JobsSpec parse_jobs(std::string_view text);

/// How many jobs at once `spec` means with `cpus` CPUs: at least 1 (N% rounds down); -N that leaves
/// none throws mpp::ParseError, as GNU parallel refuses it.
[[nodiscard]] std::size_t resolve_jobs(const JobsSpec& spec, std::size_t cpus);

/// The most jobs at once (-j 0 means this many, the open-file limit permitting).
inline constexpr std::size_t k_max_jobs = 4096;

/// "never", or WHEN,KIND=N or WHEN,KIND=P% (WHEN now or soon, KIND fail, success or done; N at least
/// 1, P from 1 to 100), or GNU parallel's shorthands 0 (never), 1 (soon,fail=1), 2 (now,fail=1),
/// -1 (soon,success=1), -2 (now,success=1) and P% (soon,fail=P%). Throws mpp::ParseError.
[[nodiscard]] Halt parse_halt(std::string_view text);

/// --delay's duration: seconds ("0.5"), or one number with GNU parallel's unit s, m, h or d ("2m");
/// 0 is no delay. Throws mpp::ParseError (also for GNU parallel's "auto" and sums such as "1m30s").
[[nodiscard]] double parse_delay(std::string_view text);

/// A positive number of seconds ("30", "0.5"). Throws mpp::ParseError naming `option`.
[[nodiscard]] double parse_seconds(std::string_view option, std::string_view text);

/// A count in [min, max]. Throws mpp::ParseError naming `option`.
[[nodiscard]] std::size_t parse_count(std::string_view option, std::string_view text, std::size_t min,
                                      std::size_t max);

/// The commands to run, in order: `words` filled with each combination of the input sources (files
/// read whole); else each line of the -a file
/// (or of standard input, read from `stdin_fd`, when there are no words either), as a value for
/// the template `words` when there are words, as a command when there are none; else each word is
/// a command, and then standard input (`stdin_fd`), when it is a pipe or a file, must be at its
/// end (one byte is read, waiting for the writer): GNU parallel would take arguments from it. Throws
/// mpp::ParseError for unreadable input, a line holding a NUL byte, or arguments on standard input.
[[nodiscard]] std::vector<std::string> make_commands(const Options& options, int stdin_fd);

/// Splits `text` into lines: '\n' ends a line (with a '\r' before it: CRLF), a last line without
/// one counts, nothing else is removed. Throws mpp::ParseError (with `name` and the line) for a NUL byte,
/// which no command line can hold.
[[nodiscard]] std::vector<std::string> split_lines(std::string_view text, const std::string& name);

/// -q: each word of the command shell-quoted as a whole, values and all (GNU parallel's -q), for
/// one value per job. Throws mpp::ParseError for the forms refused.
void quote_command(Options& options);

/// Throws mpp::ParseError for a template GNU parallel would fill with values unquoted (a replacement
/// string in its first word) or with what mpp-run does not implement ({%}, {=perl=}).
void check_template(std::string_view command_template);

/// The template of `options`, with --header: `names` (the header's column names, in order) and
/// `files` (the file sources' names) made numbered replacement strings ({age} -> {2}), as GNU
/// parallel does. Throws mpp::ParseError as check_template() for the result.
[[nodiscard]] std::string named_template(const Options& options, const std::vector<std::string>& names,
                                         const std::vector<std::string>& files);

/// The text of --help.
extern const std::string_view k_usage;

}  // namespace mpp::detail::run
