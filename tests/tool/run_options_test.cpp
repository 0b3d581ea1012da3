// mpp-run's command line and inputs (src/run/options.hpp).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "mpp/errors.hpp"
#include "run/input.hpp"
#include "run/options.hpp"
#include "run_input_support.hpp"

namespace {

using mpp::detail::run::Halt;
using mpp::detail::run::Options;
using mpp_run_test::parse;
using mpp_run_test::parse_error;
using mpp_run_test::streamed;
using mpp_run_test::Words;

// make_commands with `input` as standard input.
Words commands(const Options& options, const std::string& input = {}) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  EXPECT_EQ(::write(fds[1], input.data(), input.size()), static_cast<ssize_t>(input.size()));
  ::close(fds[1]);
  Words out;
  try {
    out = mpp::detail::run::make_commands(options, fds[0]);
  } catch (...) {
    ::close(fds[0]);
    throw;
  }
  ::close(fds[0]);
  return out;
}

TEST(RunOptions, Defaults) {
  const Options o = parse({"true"});
  EXPECT_EQ(mpp::detail::run::resolve_jobs(o.jobs_spec, 6), 6u);  // main gives usable_cpu_count()
  EXPECT_FALSE(o.keep_order);
  EXPECT_EQ(o.timeout, 0.0);
  EXPECT_EQ(o.tries, 1u);
  EXPECT_TRUE(o.joblog.empty());
  EXPECT_EQ(o.halt.when, Halt::When::never);
  EXPECT_FALSE(o.dry_run);
  EXPECT_TRUE(o.bar);
  EXPECT_EQ(o.words, Words{"true"});
  EXPECT_TRUE(o.sources.empty());
}

TEST(RunOptions, EveryOption) {
  const Options o = parse({"-j", "3", "-k", "--timeout", "1.5", "--retries", "4", "--joblog", "log", "--halt",
                           "now,fail=2", "--dry-run", "--no-bar", "-a", "file", "gzip", "{}"});
  EXPECT_EQ(mpp::detail::run::resolve_jobs(o.jobs_spec, 8), 3u);
  EXPECT_TRUE(o.keep_order);
  EXPECT_EQ(o.timeout, 1.5);
  EXPECT_EQ(o.tries, 4u);
  EXPECT_EQ(o.joblog, "log");
  EXPECT_EQ(o.halt.when, Halt::When::now);
  EXPECT_EQ(o.halt.count, 2u);
  EXPECT_TRUE(o.dry_run);
  EXPECT_FALSE(o.bar);
  EXPECT_EQ(o.arg_file, "file");
  EXPECT_EQ(o.words, (Words{"gzip", "{}"}));
  EXPECT_TRUE(parse({"--help"}).help);
  EXPECT_TRUE(parse({"-h"}).help);
  EXPECT_TRUE(parse({"--version"}).version);
  EXPECT_EQ(mpp::detail::run::resolve_jobs(parse({"-j2", "x"}).jobs_spec, 8), 2u);
  EXPECT_EQ(mpp::detail::run::resolve_jobs(parse({"--jobs=5", "x"}).jobs_spec, 8), 5u);
  EXPECT_TRUE(parse({"--keep-order", "x"}).keep_order);
  EXPECT_EQ(parse({"--arg-file", "f"}).arg_file, "f");
}

TEST(RunOptions, OptionsEndAtTheCommand) {
  const Options o = parse({"-j", "2", "grep", "-k", "--halt", "x", ":::", "-j", "--timeout"});
  EXPECT_EQ(mpp::detail::run::resolve_jobs(o.jobs_spec, 8), 2u);
  EXPECT_FALSE(o.keep_order);
  EXPECT_EQ(o.words, (Words{"grep", "-k", "--halt", "x"}));
  ASSERT_EQ(o.sources.size(), 1u);
  EXPECT_EQ(o.sources[0].values, (Words{"-j", "--timeout"}));
}

TEST(RunOptions, Values) {
  const Options o = parse({"gzip {}", ":::", "a", "b c", ""});
  EXPECT_EQ(o.words, Words{"gzip {}"});
  ASSERT_EQ(o.sources.size(), 1u);
  EXPECT_EQ(o.sources[0].values, (Words{"a", "b c", ""}));
  EXPECT_EQ(parse({"echo", ":::"}).sources.at(0).values, Words{});
}

// Several sources, as GNU parallel reads them: ::: values, :::: files (each a source), + links to
// the source before; -a with them is the first.
TEST(RunOptions, SeveralInputSources) {
  const Options o =
      parse({"-a", "first", "echo", ":::", "a", "b", ":::+", "1", "::::", "f", "g", "::::+", "h"});
  ASSERT_EQ(o.sources.size(), 6u);
  EXPECT_EQ(o.sources[0].file, "first");
  EXPECT_EQ(o.sources[1].values, (Words{"a", "b"}));
  EXPECT_FALSE(o.sources[1].linked);
  EXPECT_EQ(o.sources[2].values, Words{"1"});
  EXPECT_TRUE(o.sources[2].linked);
  EXPECT_EQ(o.sources[3].file, "f");
  EXPECT_EQ(o.sources[4].file, "g");
  EXPECT_FALSE(o.sources[4].linked);
  EXPECT_EQ(o.sources[5].file, "h");
  EXPECT_TRUE(o.sources[5].linked);
  EXPECT_FALSE(o.arg_file);
  EXPECT_NE(parse_error({"echo", ":::+", "a"}).find("there is none"), std::string::npos);
  EXPECT_NE(parse_error({"echo", "::::"}).find("needs a file name"), std::string::npos);
}

TEST(RunOptions, CombinationsOfSeveralSources) {
  EXPECT_EQ(commands(parse({"echo", ":::", "a", "b", ":::", "1", "2"})),
            (Words{"echo a 1", "echo a 2", "echo b 1", "echo b 2"}));
  EXPECT_EQ(commands(parse({"echo {2}-{1}", ":::", "a", "b", "c", ":::+", "1", "2"})),
            (Words{"echo 1-a", "echo 2-b"}));
  EXPECT_EQ(commands(parse({"echo {#}", ":::", "a", "b", ":::", "x", "y"})),
            (Words{"echo 1", "echo 2", "echo 3", "echo 4"}));
  // An empty source among others is one empty value; alone, no job.
  EXPECT_EQ(commands(parse({"echo", ":::", "a", ":::"})), Words{"echo a ''"});
  EXPECT_EQ(commands(parse({"echo", ":::"})), Words{});
  // No template: the values are the command.
  EXPECT_EQ(commands(parse({":::", "echo", "printf", ":::", "x"})), (Words{"echo x", "printf x"}));
  EXPECT_EQ(commands(parse({"echo", "::::", "-"}), "p\nq\n"), (Words{"echo p", "echo q"}));
}

TEST(RunOptions, BadInputSourcesAreClearErrors) {
  const auto error = [](const Options& options) {
    try {
      (void)commands(options, "p\n");
    } catch (const mpp::ParseError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error(parse({"echo", "::::", "-", "::::", "-"})).find("given as an input source twice"),
            std::string::npos);
  EXPECT_NE(error(parse({"echo", "::::", "/nonexistent/file"})).find("/nonexistent/file"), std::string::npos);
  // 2^65 combinations: more jobs than can be counted.
  std::vector<const char*> many{"echo"};
  for (int i = 0; i < 65; ++i) many.insert(many.end(), {":::", "a", "b"});
  EXPECT_NE(error(parse(many)).find("more jobs than can be counted"), std::string::npos);
}

// -j as GNU parallel reads it, against the CPUs mpp-run may use.
TEST(RunOptions, JobsRelativeToTheCpus) {
  using mpp::detail::run::resolve_jobs;
  const auto jobs = [](const char* text, std::size_t cpus) {
    return resolve_jobs(parse({"-j", text, "x"}).jobs_spec, cpus);
  };
  EXPECT_EQ(jobs("50%", 8), 4u);
  EXPECT_EQ(jobs("50%", 1), 1u);  // at least one
  EXPECT_EQ(jobs("150%", 4), 6u);
  EXPECT_EQ(jobs("+2", 4), 6u);
  EXPECT_EQ(jobs("+0", 4), 4u);
  EXPECT_EQ(jobs("-1", 4), 3u);
  EXPECT_EQ(jobs("0", 4), mpp::detail::run::k_max_jobs);  // as many as can run
  EXPECT_EQ(jobs("7", 4), 7u);
  EXPECT_NE(parse_error({"-j", "1.5", "x"}).find("whole number"), std::string::npos);
  EXPECT_NE(parse_error({"-j", "%", "x"}).find("-j N%"), std::string::npos);
  EXPECT_NE(parse_error({"-j", "0%", "x"}).find("at least 1"), std::string::npos);
  EXPECT_NE(parse_error({"-j", "+x", "x"}).find("-j +N"), std::string::npos);
  try {
    (void)jobs("-4", 4);
    ADD_FAILURE() << "-j -4 on 4 CPUs leaves no job";
  } catch (const mpp::ParseError& e) {
    EXPECT_NE(std::string(e.what()).find("leaves no job"), std::string::npos) << e.what();
  }
}

TEST(RunOptions, BadCommandLines) {
  EXPECT_NE(parse_error({"--bogus", "x"}).find("--bogus"), std::string::npos);
  EXPECT_NE(parse_error({"-Z", "x"}).find("-Z"), std::string::npos);
  EXPECT_NE(parse_error({"-j", "two", "x"}).find("whole number"), std::string::npos);
  EXPECT_NE(parse_error({"-j", "99999999999999999999999", "x"}).find("too large"), std::string::npos);
  EXPECT_NE(parse_error({"-j"}).find("-j"), std::string::npos);
  EXPECT_NE(parse_error({"--timeout", "0", "x"}).find("more than 0"), std::string::npos);
  EXPECT_NE(parse_error({"--timeout", "-1", "x"}).find("--timeout"), std::string::npos);
  EXPECT_NE(parse_error({"--timeout", "nan", "x"}).find("seconds"), std::string::npos);
  EXPECT_NE(parse_error({"--timeout", "1e30", "x"}).find("too long"), std::string::npos);
  EXPECT_NE(parse_error({"--retries", "-1", "x"}).find("--retries"), std::string::npos);
  EXPECT_NE(parse_error({"--halt", "later", "x"}).find("--halt"), std::string::npos);
  EXPECT_NE(parse_error({"--halt", "now,fail=0", "x"}).find("at least 1"), std::string::npos);
  EXPECT_NE(parse_error({"--halt", "now,succeed=1", "x"}).find("fail=N"), std::string::npos);
  EXPECT_NE(parse_error({"--halt", "now", "x"}).find("fail=N"), std::string::npos);
  EXPECT_NE(parse_error({"--halt", "now,fail", "x"}).find("=N"), std::string::npos);
  EXPECT_NE(parse_error({"--halt", "now,fail=0%", "x"}).find("at least 1"), std::string::npos);
  EXPECT_NE(parse_error({"--halt", "soon,done=101%", "x"}).find("too large"), std::string::npos);
  EXPECT_NE(parse_error({"--halt", "-3", "x"}).find("--halt"), std::string::npos);
  EXPECT_NE(parse_error({"--tagstring", "{=uc=}", "x"}).find("--tagstring"), std::string::npos);
  EXPECT_NE(parse_error({"--tagstring", "{1%}", "x"}).find("{1%}"), std::string::npos);
  EXPECT_NE(parse_error({"--results", "", "x"}).find("--results"), std::string::npos);
  EXPECT_NE(parse_error({"--joblog", "", "x"}).find("--joblog"), std::string::npos);
}

TEST(RunOptions, EmptyValuesAreRefused) {
  // Not "the default": `-j ''` from an unset variable is a mistake to report.
  for (const std::vector<const char*>& args : {std::vector<const char*>{"-j", "", "x"},
                                               {"--jobs=", "x"},
                                               {"--timeout", "", "x"},
                                               {"--timeout=", "x"},
                                               {"--retries", "", "x"},
                                               {"--retries=", "x"},
                                               {"--halt", "", "x"},
                                               {"--halt=", "x"}}) {
    const std::string error = parse_error(args);
    EXPECT_NE(error.find("needs a value"), std::string::npos) << args[0] << ": " << error;
    EXPECT_NE(error.find(std::string(args[0]).substr(0, 4)), std::string::npos) << error;
  }
}

TEST(RunOptions, AnOptionWithAValueGivenTwiceIsRefusedByName) {
  const std::string twice_a = parse_error({"-a", "x", "-a", "y", "echo"});
  EXPECT_NE(twice_a.find("-a/--arg-file is given more than once"), std::string::npos) << twice_a;
  EXPECT_EQ(twice_a.find("At Most"), std::string::npos) << twice_a;
  EXPECT_NE(parse_error({"-a", "x", "--arg-file=y", "echo"}).find("-a/--arg-file"), std::string::npos);
  EXPECT_NE(parse_error({"-j4", "--jobs", "2", "x"}).find("-j/--jobs is given more than once"),
            std::string::npos);
  EXPECT_NE(parse_error({"--joblog", "a", "--joblog=b", "x"}).find("--joblog is given more than once"),
            std::string::npos);
  EXPECT_NE(parse_error({"--timeout", "1", "--timeout", "2", "x"}).find("--timeout is given more than once"),
            std::string::npos);
  // Flags may repeat; the command's own words are not options of mpp-run.
  EXPECT_TRUE(parse({"-k", "-k", "x", "-a", "-a"}).keep_order);
}

TEST(RunOptions, FlagsTakeNoValue) {
  for (const char* flag : {"--dry-run=0", "--keep-order=1", "--bar=1", "--no-bar=0", "--help=x",
                           "--version=1", "--dry-run=true", "--keep-order="}) {
    const std::string error = parse_error({flag, "x"});
    EXPECT_NE(error.find("takes no value"), std::string::npos) << flag << ": " << error;
  }
  // Behind options with values too, in both spellings.
  EXPECT_NE(parse_error({"--retries", "2", "--timeout=3", "-j4", "--dry-run=0", "x"})
                .find("--dry-run takes no value"),
            std::string::npos);
  // The command's own words are the command's.
  const Options o = parse({"-k", "grep", "--dry-run=0", "--keep-order=1"});
  EXPECT_TRUE(o.keep_order);
  EXPECT_EQ(o.words, (Words{"grep", "--dry-run=0", "--keep-order=1"}));
}

TEST(RunOptions, BarAskedFor) {
  EXPECT_FALSE(parse({"x"}).bar_requested);
  EXPECT_TRUE(parse({"--bar", "x"}).bar_requested);
  EXPECT_FALSE(parse({"--bar", "--no-bar", "x"}).bar);
}

TEST(RunOptions, Halt) {
  using mpp::detail::run::parse_halt;
  EXPECT_EQ(parse_halt("never").when, Halt::When::never);
  EXPECT_EQ(parse_halt("0").when, Halt::When::never);
  EXPECT_EQ(parse_halt("1").when, Halt::When::soon);
  EXPECT_EQ(parse_halt("2").when, Halt::When::now);
  EXPECT_EQ(parse_halt("-1").on, Halt::On::success);
  EXPECT_EQ(parse_halt("-2").when, Halt::When::now);
  EXPECT_EQ(parse_halt("-2").on, Halt::On::success);
  const Halt soon = parse_halt("soon,fail=3");
  EXPECT_EQ(soon.when, Halt::When::soon);
  EXPECT_EQ(soon.on, Halt::On::fail);
  EXPECT_EQ(soon.count, 3u);
  EXPECT_EQ(soon.percent, 0u);
  const Halt share = parse_halt("now,success=25%");
  EXPECT_EQ(share.when, Halt::When::now);
  EXPECT_EQ(share.on, Halt::On::success);
  EXPECT_EQ(share.percent, 25u);
  EXPECT_EQ(parse_halt("soon,done=2").on, Halt::On::done);
  // GNU parallel's P% alone is soon,fail=P%.
  const Halt shorthand = parse_halt("10%");
  EXPECT_EQ(shorthand.when, Halt::When::soon);
  EXPECT_EQ(shorthand.on, Halt::On::fail);
  EXPECT_EQ(shorthand.percent, 10u);
  EXPECT_THROW((void)parse_halt("now,fail=x"), mpp::ParseError);
  EXPECT_THROW((void)parse_halt(""), mpp::ParseError);
}

TEST(RunOptions, RetriesCountTriesInAll) {
  EXPECT_EQ(parse({"--retries", "3", "x"}).tries, 3u);
  EXPECT_EQ(parse({"--retries", "0", "x"}).tries, 1u);
}

TEST(MakeCommands, EachArgumentIsACommand) {
  EXPECT_EQ(commands(parse({"echo a", "echo b"})), (Words{"echo a", "echo b"}));
}

TEST(MakeCommands, TemplateFilledFromValues) {
  EXPECT_EQ(commands(parse({"gzip", "-9", "{}", ":::", "a.log", "b c.log"})),
            (Words{"gzip -9 a.log", "gzip -9 'b c.log'"}));
  EXPECT_EQ(commands(parse({"gzip", ":::", "a"})), Words{"gzip a"});
  // Values without a template are commands, unquoted (as GNU parallel's `parallel ::: cmd...`).
  EXPECT_EQ(commands(parse({":::", "echo a", "true"})), (Words{"echo a", "true"}));
}

TEST(MakeCommands, LinesOfStandardInputAreCommands) {
  EXPECT_EQ(commands(parse({}), "echo 1\n\necho 2"), (Words{"echo 1", "echo 2"}));
  EXPECT_EQ(commands(parse({"-a", "-"}), "true\n"), Words{"true"});
  EXPECT_EQ(commands(parse({}), ""), Words{});
}

TEST(MakeCommands, LinesAreValuesForATemplate) {
  EXPECT_EQ(commands(parse({"-a", "-", "echo"}), "a b\n\n$x\n"),
            (Words{"echo 'a b'", "echo ''", "echo '$x'"}));
}

TEST(MakeCommands, ArgumentFile) {
  char path[] = "/tmp/mpp-run-options-XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  const std::string text = "one\ntwo\n";
  ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  ::close(fd);
  EXPECT_EQ(commands(parse({"-a", path})), (Words{"one", "two"}));
  EXPECT_EQ(commands(parse({"-a", path, "wc", "-c"})), (Words{"wc -c one", "wc -c two"}));
  ::unlink(path);
  try {
    (void)commands(parse({"-a", path}));
    ADD_FAILURE() << "a missing file must throw";
  } catch (const mpp::ParseError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

TEST(MakeCommands, NulByteIsAnErrorWithItsPlace) {
  try {
    (void)commands(parse({}), std::string("true\nab\0c\n", 10));
    ADD_FAILURE() << "a NUL byte must throw";
  } catch (const mpp::ParseError& e) {
    EXPECT_EQ(e.line(), 2u);
    EXPECT_EQ(e.column(), 3u);
    EXPECT_EQ(e.file(), "<stdin>");
  }
}

TEST(SplitLines, KeepsEverythingButTheNewlines) {
  using mpp::detail::run::split_lines;
  EXPECT_EQ(split_lines("a\rb\n\nc\r", "x"), (Words{"a\rb", "", "c\r"}));
  EXPECT_EQ(split_lines("", "x"), Words{});
  EXPECT_EQ(split_lines("\n", "x"), Words{""});
}

TEST(SplitLines, CrlfLinesLoseTheirCarriageReturn) {
  using mpp::detail::run::split_lines;
  EXPECT_EQ(split_lines("a\r\nb c\r\n\r\nd\r\r\n", "x"), (Words{"a", "b c", "", "d\r"}));
}

TEST(MakeCommands, CrlfArgumentFileGivesValuesWithoutCarriageReturns) {
  EXPECT_EQ(commands(parse({"-a", "-", "gzip"}), "a.txt\r\nb.txt\r\n"), (Words{"gzip a.txt", "gzip b.txt"}));
}

TEST(MakeCommands, ArgumentsComeFromStandardInputWhenItHoldsSome) {
  // As GNU parallel's: a command and no input source read the values from standard input.
  EXPECT_EQ(commands(parse({"gzip"}), "a.txt\nb c\n\n"), (Words{"gzip a.txt", "gzip 'b c'", "gzip ''"}));
  EXPECT_EQ(commands(parse({"cp {} {.}.bak"}), "x.txt"), Words{"cp x.txt x.bak"});
  EXPECT_EQ(commands(parse({"echo", "{#}"}), "p\nq\n"), (Words{"echo 1", "echo 2"}));
  // With nothing to read each argument is a command, and a replacement string has no value.
  EXPECT_EQ(commands(parse({"gzip"}), ""), Words{"gzip"});  // an empty pipe holds no arguments
  try {
    (void)commands(parse({"echo", "{.}"}), "");
    ADD_FAILURE() << "a replacement string with no values must throw";
  } catch (const mpp::ParseError& e) {
    EXPECT_NE(std::string(e.what()).find("'{.}' in a command without ::: or -a"), std::string::npos)
        << e.what();
  }
  const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(null, 0);
  EXPECT_EQ(mpp::detail::run::make_commands(parse({"true", "false"}), null), (Words{"true", "false"}));
  ::close(null);
}

TEST(CommandSource, GivesWhatMakeCommandsLists) {
  for (const std::string input : {"", "a\n", "a\r\nb c\r\n\r\nd\r\r\n", "a\n\nb", "x\ry\n\n\n"}) {
    for (const Options& options : {parse({"-a", "-", "echo"}), parse({})}) {
      EXPECT_EQ(streamed(options, input), commands(options, input)) << input;
    }
    // Arguments from standard input (with nothing there, a replacement string is an error).
    if (!input.empty()) {
      EXPECT_EQ(streamed(parse({"echo", "{/}"}), input), commands(parse({"echo", "{/}"}), input));
    }
  }
  EXPECT_EQ(streamed(parse({"x", ":::", "a", "b c"}), ""), (Words{"x a", "x 'b c'"}));
  EXPECT_EQ(streamed(parse({"x", ":::", "a", ":::", "1", "2"}), ""), (Words{"x a 1", "x a 2"}));
}

TEST(CommandSource, LinesLongerThanOneRead) {
  const std::string line(200000, 'v');
  EXPECT_EQ(streamed(parse({"-a", "-", "echo"}), line + "\n" + line),
            (Words{"echo " + line, "echo " + line}));
}

TEST(CommandSource, NulByteIsAnErrorWithItsPlace) {
  try {
    (void)streamed(parse({"-a", "-", "echo"}),
                   "a\nb\n" + std::string(100000, 'c') + std::string("\nd\0e\n", 5));
    FAIL() << "no error";
  } catch (const mpp::ParseError& e) {
    EXPECT_EQ(e.line(), 4u);
    EXPECT_EQ(e.column(), 2u);
    EXPECT_NE(std::string(e.what()).find("<stdin>"), std::string::npos) << e.what();
  }
}

TEST(CommandSource, LineLongerThanAnyCommandLineIsAnError) {
  const std::string huge(mpp::detail::run::k_max_line + 10, 'x');
  try {
    (void)streamed(parse({"-a", "-", "echo"}), huge);
    FAIL() << "no error";
  } catch (const mpp::ParseError& e) {
    EXPECT_NE(std::string(e.what()).find("line 1 is longer than"), std::string::npos) << e.what();
  }
}

TEST(RunOptions, RefusesGnuParallelSyntaxItDoesNotImplement) {
  struct Case {
    std::vector<const char*> args;
    const char* message;  // a part of the error
  };
  const Case cases[] = {
      {{"echo {1%}", ":::", "a"}, "'{1%}' is a replacement string"},
      {{"echo {= s/a/b/ =}", ":::", "a"}, "'{= s/a/b/ =}'"},
      {{"echo {1= $_ .= \"}\" =}", ":::", "a"}, "'{1= $_ .= \"}\" =}'"},
      {{"-a", "-", "echo {2%}"}, "'{2%}'"},
      {{"-a", "f", "-a", "g", "echo"}, "--arg-file"},
      {{"--joblog", "+log", "echo"}, "--joblog +FILE"},
      {{"--pipepart", "wc"}, "--pipepart needs a file"},
      {{"--plus", "echo"}, "unknown option '--plus'"},
      {{"--halt", "now,fail=x%", "echo"}, "whole number"},
      {{"--halt", "soon,fail,1", "echo"}, "=N"},
      {{"--results", "out.csv", "echo"}, "csv"},
      {{"--results", "OUT.JSON", "echo"}, "json"},
      {{"--results", "out.tsv", "echo"}, "tsv"},
      {{"--results", "out_{}", "echo"}, "replacement string"},
      {{"--dry-run", "--results", "out", "echo"}, "--dry-run"},
      {{"--resume", "echo"}, "need --joblog FILE"},
      {{"-u", "--tag", "echo"}, "--ungroup"},
      {{"--delay", "auto", "echo"}, "auto"},
      {{"--results=-.csv", "echo"}, "csv"},
      {{"--xargs", "echo"}, "unknown option '--xargs'"},
  };
  for (const Case& c : cases) {
    EXPECT_NE(parse_error(c.args).find(c.message), std::string::npos)
        << c.args.front() << "...: " << parse_error(c.args);
  }
}

TEST(RunOptions, BracesThatAreNoReplacementStringsStay) {
  EXPECT_EQ(parse({"awk '{print $1}'", ":::", "a"}).words, Words{"awk '{print $1}'"});
  EXPECT_EQ(parse({"sh -c 'echo {a,b} ${x}'", ":::", "a"}).words, Words{"sh -c 'echo {a,b} ${x}'"});
  EXPECT_EQ(parse({"echo {} {{}} {=x}", ":::", "a"}).words, Words{"echo {} {{}} {=x}"});
  EXPECT_EQ(parse({"--bar", "echo"}).words, Words{"echo"});
}

}  // namespace
