#include "run/options.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <span>
#include <system_error>
#include <vector>

#include "mpp/errors.hpp"
#include "run/command.hpp"
#include "run/input.hpp"
#include "run/pipe_options.hpp"
#include "run/resources.hpp"
#include "run/results.hpp"

namespace mpp::detail::run {
namespace {

// Bounds that keep a mistyped number from meaning something absurd.
constexpr std::size_t k_max_tries = 1000;
// More values than fit on a command line (2 MiB, two bytes each at the least) is a mistake.
constexpr std::size_t k_max_per_job = 1000000;
constexpr double k_max_seconds = 1e7;  // about 115 days

constexpr std::string_view k_separator = ":::";
constexpr std::string_view k_linked_separator = ":::+";
constexpr std::string_view k_file_separator = "::::";
constexpr std::string_view k_linked_file_separator = "::::+";

[[noreturn]] void bad(const std::string& message) { throw ParseError(message); }

bool is_separator(std::string_view word) {
  return word == k_separator || word == k_linked_separator || word == k_file_separator ||
         word == k_linked_file_separator;
}

// The input sources after the command: rest[from] is a separator.
std::vector<InputSource> parse_sources(const std::vector<std::string>& rest, std::size_t from) {
  std::vector<InputSource> sources;
  for (std::size_t i = from; i < rest.size();) {
    const std::string& separator = rest[i++];
    const bool linked = separator == k_linked_separator || separator == k_linked_file_separator;
    if (linked && sources.empty())
      bad("'" + separator + "' links to the input source before it, and there is none");
    std::size_t end = i;
    while (end < rest.size() && !is_separator(rest[end])) ++end;
    if (separator == k_separator || separator == k_linked_separator) {
      sources.push_back(InputSource{
          {rest.begin() + static_cast<std::ptrdiff_t>(i), rest.begin() + static_cast<std::ptrdiff_t>(end)},
          std::nullopt,
          linked});
    } else {
      if (end == i) bad("'" + separator + "' needs a file name ('-': standard input)");
      // Each file is a source of its own; the link binds the first.
      for (std::size_t f = i; f < end; ++f) sources.push_back(InputSource{{}, rest[f], linked && f == i});
    }
    i = end;
  }
  return sources;
}

}  // namespace

const std::string_view k_usage =
    "usage: mpp-run [OPTIONS] COMMAND...                 each argument is a command (nothing on stdin)\n"
    "       ... | mpp-run [OPTIONS] TEMPLATE...         one command per line of standard input, its value\n"
    "       mpp-run [OPTIONS] TEMPLATE... ::: VALUE...   one command per value, for {} in TEMPLATE\n"
    "       mpp-run [OPTIONS] TEMPLATE... ::: A... ::: B... :::: FILE...\n"
    "                                    one per combination (:::+ and ::::+ link to the source before)\n"
    "       mpp-run [OPTIONS] -a FILE [TEMPLATE...]      one command (or value) per line of FILE\n"
    "       mpp-run [OPTIONS] < FILE                     one command per line of standard input\n"
    "\n"
    "Runs commands in parallel. Each job's output is kept together: it is written when the job ends,\n"
    "never mixed with another's. Values are shell-quoted where they fill {}, {.}, {/}, {//}, {/.}, {N}...\n"
    "{#} is the job's number and {%} its slot (a template without any of them\n"
    "gets the value at its end). A command with no shell syntax runs directly, others through /bin/sh.\n"
    "\n"
    "Options (before the command):\n"
    "  -j, --jobs N          run N jobs at once (default: the CPUs this process may use);\n"
    "                        N% of them, +N or -N more or fewer, 0 as many as can run\n"
    "  -k, --keep-order      write the outputs in input order (default: as jobs end)\n"
    "  --timeout SECONDS     kill a job's process group when it runs longer (SIGTERM, then SIGKILL)\n"
    "  --retries N           run a failing job up to N times in all\n"
    "  --joblog FILE         one line per job, with GNU parallel's columns ('-': standard output)\n"
    "  --halt now,fail=N     after N failed jobs, kill the running ones and stop\n"
    "  --halt soon,fail=N    after N failed jobs, start no more and wait for the running ones\n"
    "                        (also success=N, done=N, P% of all jobs; -2..2 as GNU parallel's)\n"
    "  --tag                 start each output line with the job's values and a TAB\n"
    "  --tagstring STR       ... with STR, its replacement strings filled (unquoted)\n"
    "  --results DIR         each job's output in DIR/1/VALUE/stdout, stderr and seq\n"
    "  --delay SECONDS       wait this long between two job starts (units s, m, h, d too)\n"
    "  -u, --ungroup         write the output as it comes, jobs' output mixed\n"
    "  --resume              with --joblog FILE: skip the jobs FILE has rows of, add rows to it\n"
    "  --resume-failed       ... skip those that succeeded, run the failed ones again\n"
    "  --retry-failed        ... run the failed commands of FILE again (the command line's are ignored)\n"
    "  --line-buffer         write the output line by line as it comes (whole lines never mixed)\n"
    "  -a, --arg-file FILE   read lines from FILE ('-': standard input)\n"
    "  -N, --max-replace-args N  N values per job: {} all, {1}..{N} each, x{}y repeated per value\n"
    "  -n, --max-args N      N values per job, {} all of them\n"
    "  -L, --max-lines N     as -N, a line ending in a blank going on in the next\n"
    "  -X                    every value, spread over the job slots, x{}y repeated per value\n"
    "  -m                    every value, spread over the job slots, {} all of a job's\n"
    "                        (-X and -m: input that fits one command line, 64 KiB)\n"
    "  -q, --quote           quote each word of the command whole, values and all\n"
    "  --colsep SEP, -C SEP  split values into columns {1} {2}... at SEP (literal; \\t a tab)\n"
    "  -0, --null            values end with NUL, not newline\n"
    "  -d, --delimiter DELIM values end with DELIM (\\t \\n \\r \\0 \\NNN escapes)\n"
    "  -E STR                a value STR ends its input\n"
    "  --header :            the first value of each source names its columns: {name}\n"
    "  --pipe                standard input in blocks of records, each one job's standard input\n"
    "  --pipepart -a FILE    FILE's parts of records, each one job's standard input\n"
    "  --block SIZE          --pipe's block: SIZE bytes read before a cut (1M; k=1000, K=1024...);\n"
    "                        --pipepart's: cut at the first record end SIZE bytes on (-N: N per job slot)\n"
    "  --recend STR, --recstart STR  --pipe's records end/start with STR (\\n and nothing)\n"
    "  --header N            with --pipe, --pipepart: the first N lines before every block\n"
    "  --dry-run             print the commands instead of running them\n"
    "  --bar                 the progress bar on standard error even when it is no terminal\n"
    "                        (without it: on a terminal only)\n"
    "  --eta, --progress     as --bar (done/total, rate and time left on one line)\n"
    "  --no-bar              no progress bar\n"
    "  --memfree SIZE        start a job only while SIZE (500M, 2G) of memory is available\n"
    "  --load MAX            start a job only while the load average is below MAX (N, N%, +N, -N)\n"
    "                        (--memfree, --load: one job always starts when none is running)\n"
    "  -h, --help            show this help and exit\n"
    "  --version             show the version and exit\n"
    "\n"
    "Exit status: 0 when every job succeeded; 1-100 the number of failed jobs; 101 more than 100\n"
    "failed; 128+N after signal N (130 for Ctrl-C), having killed every job; 141 when the reader of the\n"
    "output went away; 255 bad usage or input, or output or joblog that could not be written.\n"
    "GNU parallel's {=perl=}, and options mpp-run does not know are\n"
    "refused (255) before any job runs. Nothing a job started outlives mpp-run.\n";

std::size_t parse_count(std::string_view option, std::string_view text, std::size_t min, std::size_t max) {
  std::size_t value = 0;
  const char* const end = text.data() + text.size();
  if (text.empty()) bad(std::string(option) + " needs a value: a whole number (it was given an empty one)");
  const auto [ptr, error] = std::from_chars(text.data(), end, value);
  if (error == std::errc::invalid_argument || ptr != end) {
    bad(std::string(option) + " needs a whole number, not '" + std::string(text) + "'");
  }
  if (error == std::errc::result_out_of_range || value > max) {
    bad(std::string(option) + " " + std::string(text) + " is too large (at most " + std::to_string(max) +
        ")");
  }
  if (value < min) bad(std::string(option) + " must be at least " + std::to_string(min));
  return value;
}

JobsSpec parse_jobs(std::string_view text) {
  if (text.ends_with('%')) {
    const std::size_t percent = parse_count("-j N%", text.substr(0, text.size() - 1), 1, 100 * k_max_jobs);
    return {JobsSpec::Kind::percent, percent};
  }
  if (text.starts_with('+'))
    return {JobsSpec::Kind::more, parse_count("-j +N", text.substr(1), 0, k_max_jobs)};
  if (text.starts_with('-'))
    return {JobsSpec::Kind::fewer, parse_count("-j -N", text.substr(1), 0, k_max_jobs)};
  const std::size_t n = parse_count("-j", text, 0, k_max_jobs);
  return n == 0 ? JobsSpec{JobsSpec::Kind::most, 0} : JobsSpec{JobsSpec::Kind::count, n};
}

std::size_t resolve_jobs(const JobsSpec& spec, std::size_t cpus) {
  switch (spec.kind) {
    case JobsSpec::Kind::cpus:
      return std::max<std::size_t>(cpus, 1);
    case JobsSpec::Kind::count:
      return spec.n;
    case JobsSpec::Kind::percent:
      return std::clamp<std::size_t>(cpus * spec.n / 100, 1, k_max_jobs);
    case JobsSpec::Kind::more:
      return std::min(cpus + spec.n, k_max_jobs);
    case JobsSpec::Kind::fewer:
      if (spec.n >= cpus) {
        bad("-j -" + std::to_string(spec.n) + " leaves no job to run with " + std::to_string(cpus) + " CPUs");
      }
      return cpus - spec.n;
    case JobsSpec::Kind::most:
      return k_max_jobs;
  }
  return 1;
}

double parse_seconds(std::string_view option, std::string_view text) {
  double value = 0;
  const char* const end = text.data() + text.size();
  if (text.empty())
    bad(std::string(option) + " needs a value: a number of seconds (it was given an empty one)");
  const auto [ptr, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc{} || ptr != end || !std::isfinite(value)) {
    bad(std::string(option) + " needs a number of seconds, not '" + std::string(text) + "'");
  }
  if (value <= 0) bad(std::string(option) + " must be more than 0 seconds");
  if (value > k_max_seconds) bad(std::string(option) + " " + std::string(text) + " is too long");
  return value;
}

double parse_delay(std::string_view text) {
  if (text.empty()) bad("--delay needs a value: a number of seconds (it was given an empty one)");
  if (text.ends_with("auto")) {
    bad("--delay " + std::string(text) +
        ": GNU parallel's auto delay (longer after a failure) is not implemented "
        "by mpp-run; give a number of seconds");
  }
  double unit = 1;
  std::string_view number = text;
  switch (text.back()) {
    case 's':
    case 'S':
      unit = 1;
      break;
    case 'm':
    case 'M':
      unit = 60;
      break;
    case 'h':
    case 'H':
      unit = 3600;
      break;
    case 'd':
    case 'D':
      unit = 86400;
      break;
    default:
      unit = 0;
  }
  if (unit != 0) number.remove_suffix(1);
  if (unit == 0) unit = 1;
  if (number == "0") return 0;
  if (number.find_first_not_of("0123456789.") != std::string_view::npos) {
    bad("--delay needs a number of seconds, or one number with a unit s, m, h or d, not '" +
        std::string(text) + "'");
  }
  return parse_seconds("--delay", number) * unit;
}

Halt parse_halt(std::string_view text) {
  static constexpr std::string_view k_forms =
      "never, now,fail=N, soon,success=N, now,done=P% (now or soon; fail, "
      "success or done; a count or a percentage)";
  if (text.empty()) bad("--halt needs a value: " + std::string(k_forms) + " (it was given an empty one)");
  if (text == "never" || text == "0") return {};
  if (text == "1") return {Halt::When::soon, Halt::On::fail, 1, 0};
  if (text == "2") return {Halt::When::now, Halt::On::fail, 1, 0};
  if (text == "-1") return {Halt::When::soon, Halt::On::success, 1, 0};
  if (text == "-2") return {Halt::When::now, Halt::On::success, 1, 0};
  std::string spelled(text);
  if (text.ends_with('%') && text.find(',') == std::string_view::npos) spelled = "soon,fail=" + spelled;
  const std::string_view form = spelled;
  const std::size_t comma = form.find(',');
  const std::string_view when = form.substr(0, comma);
  Halt halt;
  if (when == "now") {
    halt.when = Halt::When::now;
  } else if (when == "soon") {
    halt.when = Halt::When::soon;
  } else {
    bad("--halt needs " + std::string(k_forms) + ", not '" + std::string(text) + "'");
  }
  const std::string_view condition = comma == std::string_view::npos ? "" : form.substr(comma + 1);
  const std::size_t equals = condition.find('=');
  const std::string_view kind = condition.substr(0, equals);
  if (kind == "fail") {
    halt.on = Halt::On::fail;
  } else if (kind == "success") {
    halt.on = Halt::On::success;
  } else if (kind == "done") {
    halt.on = Halt::On::done;
  } else {
    bad("--halt " + std::string(when) + " needs a condition fail=N, success=N or done=N (or P%), not '" +
        std::string(condition) + "'");
  }
  if (equals == std::string_view::npos)
    bad("--halt " + std::string(text) + " needs =N or =P% after " + std::string(kind));
  const std::string_view amount = condition.substr(equals + 1);
  const std::string option = "--halt " + std::string(when) + "," + std::string(kind) + "=";
  if (amount.ends_with('%')) {
    // GNU parallel takes 0% (halting at the first such job with status 0) and more than 100%
    // (never halting); mpp-run refuses both rather than guess which was meant.
    halt.percent =
        static_cast<unsigned>(parse_count(option + "P%", amount.substr(0, amount.size() - 1), 1, 100));
  } else {
    halt.count = parse_count(option, amount, 1, std::numeric_limits<std::size_t>::max());
  }
  return halt;
}

namespace {

// The options that take no value, and those that take one (the next word, or after '=').
constexpr std::string_view k_flags[] = {
    "-h",     "--help", "--version", "-k", "--keep-order", "--dry-run", "--bar", "--no-bar",  "--tag",
    "--null", "-0",     "-X",        "-m", "-q",           "--quote",   "--eta", "--progress"};
constexpr std::string_view k_with_value[] = {
    "-j",        "--jobs",      "--timeout",  "--retries",   "--joblog",
    "--halt",    "-a",          "--arg-file", "-N",          "--max-replace-args",
    "-n",        "--max-args",  "-L",         "--max-lines", "--colsep",
    "--col-sep", "-C",          "-d",         "--delimiter", "-E",
    "--header",  "--tagstring", "--results",  "--memfree",   "--load"};

bool one_of(std::string_view word, std::span<const std::string_view> names) {
  return std::find(names.begin(), names.end(), word) != names.end();
}

// An option that takes a value given a second time: CLI11 would say "At Most 1 required but
// received 2"; mpp-run says which option, and for -a what GNU parallel would have done.
void refuse_repeated(std::string_view name, std::vector<std::string_view>& seen) {
  const std::string_view canonical = name == "-j"                          ? "--jobs"
                                     : name == "-a"                        ? "--arg-file"
                                     : name == "-N"                        ? "--max-replace-args"
                                     : name == "-n"                        ? "--max-args"
                                     : name == "-d"                        ? "--delimiter"
                                     : name == "-C" || name == "--col-sep" ? "--colsep"
                                                                           : name;
  if (std::find(seen.begin(), seen.end(), canonical) == seen.end()) {
    seen.push_back(canonical);
    return;
  }
  if (canonical == "--arg-file") {
    bad("-a/--arg-file is given more than once: mpp-run reads one argument file (GNU parallel's several -a "
        "files, combined, are not implemented)");
  }
  const std::string shown = canonical == "--jobs" ? "-j/--jobs" : std::string(canonical);
  bad(shown + " is given more than once: give it once");
}

// CLI11 reads `--dry-run=0` as "no dry run" and `--keep-order=1` as the flag; GNU parallel's flags
// take no value, so a value there is a mistake: refused before CLI11 gives it a meaning. And
// `--timeout=` would take the next word for its value. Only the options before the command are
// looked at (the command's own words may be anything).
void refuse_flag_values(int argc, const char* const* argv) {
  std::vector<std::string_view> seen;  // the options with a value met so far
  for (int i = 1; i < argc; ++i) {
    const std::string_view word = argv[i];
    if (word == "--" || !word.starts_with('-') || word == "-") return;
    const std::size_t equals = word.find('=');
    const std::string_view name = word.substr(0, equals);
    if (one_of(name, k_flags)) {
      if (equals != std::string_view::npos) {
        bad(std::string(name) + " takes no value (given '" + std::string(word) + "')");
      }
    } else if (one_of(name, k_with_value)) {
      refuse_repeated(name, seen);
      if (equals == std::string_view::npos) {
        ++i;  // its value is the next word
      } else if (equals + 1 == word.size()) {
        // CLI11 would take the next word for the value of `--timeout=`.
        bad(std::string(name) + " needs a value (given '" + std::string(word) + "', an empty one)");
      }
    } else if (name.size() > 2 && name[1] != '-' && one_of(name.substr(0, 2), k_with_value)) {
      refuse_repeated(name.substr(0, 2), seen);  // -j4 is -j with 4
    } else {
      return;  // anything else CLI11 judges
    }
  }
}

}  // namespace

Options parse_command_line(int argc, const char* const* argv) {
  refuse_flag_values(argc, argv);
  Options options;
  CLI::App app("mpp-run", "mpp-run");
  app.set_help_flag();   // ours, so that the text is ours too
  app.prefix_command();  // the first word that is not an option starts the command
  std::string jobs;
  std::string timeout;
  std::string retries;
  std::string halt;
  std::string arg_file;
  app.add_flag("-h,--help", options.help);
  app.add_flag("--version", options.version);
  app.add_option("-j,--jobs", jobs);
  app.add_flag("-k,--keep-order", options.keep_order);
  app.add_option("--timeout", timeout);
  app.add_option("--retries", retries);
  app.add_option("--joblog", options.joblog);
  app.add_option("--halt", halt);
  app.add_option("-a,--arg-file", arg_file);
  app.add_flag("--dry-run", options.dry_run);
  bool no_bar = false;
  app.add_flag("--no-bar", no_bar);
  bool with_bar = false;  // GNU parallel's --bar: the bar mpp-run draws on a terminal anyway
  app.add_flag("--bar,--eta,--progress", with_bar);
  std::string memfree;
  app.add_option("--memfree", memfree);
  app.add_option("--load", options.load);
  std::string sshlogin;  // refused below
  app.add_option("-S,--sshlogin,--slf,--sshloginfile", sshlogin)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  bool tag = false;
  std::string tagstring;
  app.add_flag("--tag", tag);
  app.add_option("--tagstring", tagstring);
  app.add_option("--results", options.results);
  std::string delay;
  app.add_option("--delay", delay);
  app.add_flag("-u,--ungroup", options.ungroup);
  app.add_flag("--line-buffer,--lb", options.line_buffer);
  app.add_flag("--resume", options.resume);
  app.add_flag("--resume-failed", options.resume_failed);
  app.add_flag("--retry-failed", options.retry_failed);
  std::string max_replace_args;
  std::string max_args;
  std::string max_lines_l;
  std::string max_lines;
  std::string colsep;
  std::string delimiter;
  bool null = false;
  std::string eof;
  std::string header;
  app.add_option("--header", header);
  bool context_spread = false;
  bool spread = false;
  app.add_flag("-X", context_spread);
  bool quote = false;
  app.add_flag("-q,--quote", quote);
  app.add_flag("-m", spread);
  app.add_option("-N,--max-replace-args", max_replace_args);
  app.add_option("-n,--max-args", max_args);
  app.add_option("-L", max_lines_l);
  app.add_option("--max-lines", max_lines);
  app.add_option("-C,--colsep,--col-sep", colsep);
  app.add_option("-d,--delimiter", delimiter);
  app.add_flag("-0,--null", null);
  app.add_option("-E", eof);
  PipeWords pipe;
  add_pipe_options(app, pipe);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    bad(e.what());
  }
  options.bar = !no_bar;
  options.bar_requested = with_bar;
  if (app.count("--sshlogin") > 0) {
    bad("-S/--sshlogin/--slf (GNU parallel: run jobs on other machines over ssh) is not available in mpp-run "
        "yet; run mpp-run on each machine");
  }
  if (app.count("--memfree") > 0) options.memfree = parse_size("--memfree", memfree);
  if (app.count("--load") > 0)
    (void)parse_load(options.load, k_max_jobs);  // checked now, resolved by the runner
  // Given, even empty (`-j ''`, `--timeout=`): an empty value is a mistake, not "the default".
  if (app.count("--jobs") > 0) options.jobs_spec = parse_jobs(jobs);
  if (app.count("--timeout") > 0) options.timeout = parse_seconds("--timeout", timeout);
  if (app.count("--retries") > 0)
    options.tries = std::max<std::size_t>(1, parse_count("--retries", retries, 0, k_max_tries));
  if (app.count("--halt") > 0) options.halt = parse_halt(halt);
  if (app.count("--delay") > 0) options.delay = parse_delay(delay);
  if (app.count("--joblog") > 0 && options.joblog.empty()) bad("--joblog needs a file name");
  if (options.joblog.starts_with('+')) {
    bad("--joblog +FILE (GNU parallel: append to FILE) is not implemented by mpp-run; write ./+FILE for a "
        "file whose name starts with +");
  }
  // --tag is --tagstring {} (GNU parallel's); --tagstring wins when both are given, as there.
  if (app.count("--tagstring") > 0) {
    options.tagstring = tagstring;
  } else if (tag) {
    options.tagstring = "{}";
  }
  if (options.tagstring) {
    if (auto found = unsupported_replacement(*options.tagstring)) {
      bad("--tagstring: '" + *found +
          "' is a replacement string of GNU parallel's that mpp-run does not implement");
    }
  }
  // GNU parallel writes -u's output untagged, ignoring --tag: mpp-run refuses rather than
  // drop the tags silently.
  if (options.ungroup && options.tagstring) {
    bad("-u/--ungroup with --tag or --tagstring: GNU parallel writes the output untagged there; use "
        "--line-buffer for tagged lines as they come");
  }
  if ((options.resume || options.resume_failed || options.retry_failed) &&
      (options.joblog.empty() || options.joblog == "-")) {
    bad("--resume, --resume-failed and --retry-failed need --joblog FILE, the joblog of the earlier run "
        "(GNU parallel's --resume with --results alone is not implemented)");
  }
  if (app.count("--results") > 0) {
    if (options.results.empty()) bad("--results needs a directory name");
    if (std::string why = results_refusal(options.results); !why.empty()) bad(why);
    if (options.dry_run)
      bad("--results with --dry-run: GNU parallel makes directories of DIR then; mpp-run does not");
  }
  if (app.count("--arg-file") > 0) {
    if (arg_file.empty()) bad("-a needs a file name");
    options.arg_file = arg_file;
  }

  InputFormat& format = options.format;
  const bool n_given = app.count("--max-args") > 0;
  const bool big_n_given = app.count("--max-replace-args") > 0;
  const bool l_given = app.count("-L") > 0;
  const bool max_lines_given = app.count("--max-lines") > 0;
  if (n_given + big_n_given + l_given + max_lines_given + context_spread + spread > 1) {
    bad("give one of -N, -n, -L, --max-lines, -X and -m (GNU parallel lets one of them win, mpp-run refuses "
        "the mixture)");
  }
  format.grouped = n_given || big_n_given || l_given || max_lines_given || context_spread || spread;
  format.spread = context_spread || spread;
  if (big_n_given) format.per_job = parse_count("-N", max_replace_args, 0, k_max_per_job);
  if (n_given) format.per_job = parse_count("-n", max_args, 0, k_max_per_job);
  if (l_given) format.per_job = parse_count("-L", max_lines_l, 0, k_max_per_job);
  // --max-lines 0 is --max-lines 1 (GNU parallel's); -L 0 takes one line and leaves it out.
  if (max_lines_given)
    format.per_job = std::max<std::size_t>(1, parse_count("--max-lines", max_lines, 0, k_max_per_job));
  format.context = big_n_given || l_given || max_lines_given || context_spread;
  format.continue_lines = (l_given || max_lines_given) && format.per_job > 0;
  if (app.count("--colsep") > 0) {
    format.colsep = parse_colsep(colsep);
    format.trim = true;
  }
  if (null && app.count("--delimiter") > 0) bad("give one of -0/--null and -d/--delimiter");
  if (null) {
    format.delimiter = std::string(1, '\0');
    format.default_delimiter = false;
  }
  if (app.count("--delimiter") > 0) {
    format.delimiter = parse_delimiter(delimiter);
    format.default_delimiter = format.delimiter == "\n";
  }
  format.eof = eof;  // empty: none (GNU parallel's too)
  if (app.count("--header") > 0) {
    // Outside --pipe, GNU parallel reads one header line whatever the regular expression: only
    // 0 means something else (the files' names as column names).
    if (header.empty()) bad("--header needs a value (':' for the first line)");
    if (header == "0")
      bad("--header 0 (GNU parallel: the files' names as column names) is not implemented by mpp-run");
    format.header = true;
    if (!format.colsep) format.colsep = "\t";  // as GNU parallel's: --header splits at tabs
  }

  std::vector<std::string> rest = app.remaining();
  // Options come first: a word that looks like one before the command is a mistake, not a command.
  if (!rest.empty() && rest.front().size() > 1 && rest.front().starts_with('-') &&
      rest.front() != k_separator) {
    bad("unknown option '" + rest.front() + "'");
  }
  const auto separator = std::find_if(rest.begin(), rest.end(), is_separator);
  options.words.assign(rest.begin(), separator);
  if (separator != rest.end()) {
    options.sources = parse_sources(rest, static_cast<std::size_t>(separator - rest.begin()));
    // -a with other sources is the first of them, as GNU parallel's.
    if (options.arg_file) {
      options.sources.insert(options.sources.begin(), InputSource{{}, *options.arg_file, false});
      options.arg_file.reset();
    }
  }
  if (quote) quote_command(options);
  options.pipe = pipe_format(app, pipe, options);
  check_template(join_words(options.words));
  return options;
}

void quote_command(Options& options) {
  // GNU parallel quotes each word with the values in it: `'pre a b post'` for two values is one
  // word there, two here. So one value per job only.
  const InputFormat& format = options.format;
  if (format.per_job != 1 || format.spread || format.colsep || format.header || options.sources.size() > 1) {
    bad("-q is implemented by mpp-run for one value per job (not with -N, -n or -L other than 1, -X, -m, "
        "--colsep, "
        "--header or several input sources)");
  }
  if (options.words.empty())
    bad("-q needs a command (GNU parallel would run each value quoted, as one word)");
  if (auto found = first_replacement(options.words.front())) {
    bad("'" + *found +
        "' in the command's first word with -q: the values would choose the program to run; mpp-run "
        "refuses that");
  }
  for (std::string& word : options.words) word = quote_word(word);
}

void check_template(std::string_view command_template) {
  // GNU parallel would let the values be code here; mpp-run never does.
  if (values_would_be_the_command(command_template)) {
    bad("a replacement string in the command's first word: GNU parallel would run the values unquoted, "
        "as the command; mpp-run quotes every value, so that no value can run a command of its own. "
        "Give whole commands as values ('{}' alone, or no template: mpp-run ::: 'cmd a' 'cmd b')");
  }
  // GNU parallel would fill in these; run with the text left as it is, a job would do something
  // else than asked (`cp {} {%}.log` writing every log to one file).
  if (auto found = unsupported_replacement(command_template)) {
    bad("'" + *found + "' is a replacement string of GNU parallel's that mpp-run does not implement");
  }
}

}  // namespace mpp::detail::run
