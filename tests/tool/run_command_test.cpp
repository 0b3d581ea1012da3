// mpp-run's command planning (src/run/command.hpp): quoting, templates, and which commands run
// without a shell. Quoting is also checked against /bin/sh itself, with hostile and random values.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>
#include <string>
#include <vector>

#include "mpp/detail/posix/child.hpp"
#include "run/command.hpp"
#include "run/results.hpp"

namespace {

using mpp::detail::run::fill_template;
using mpp::detail::run::plain_words;
using mpp::detail::run::plan_command;
using mpp::detail::run::shell_quote;
using Words = std::vector<std::string>;

// What /bin/sh prints for `printf '%s\0' <words>`: the arguments it passed, NUL-separated.
Words shell_arguments(const std::string& words) {
  int fds[2];
  EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  mpp::detail::Child::SpawnOptions options;
  options.stdout_fd = fds[1];
  auto child = mpp::detail::Child::spawn({"/bin/sh", "-c", "printf '%s\\0' " + words}, options);
  ::close(fds[1]);
  std::string out;
  char buffer[4096];
  for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;)
    out.append(buffer, static_cast<std::size_t>(n));
  ::close(fds[0]);
  EXPECT_EQ(child.wait(), 0);
  Words args;
  for (std::size_t start = 0; start < out.size();) {
    const std::size_t nul = out.find('\0', start);
    args.push_back(out.substr(start, nul - start));
    start = nul + 1;
  }
  return args;
}

const Words k_hostile{
    "a b",
    "it's",
    "\"quoted\"",
    "$(touch /tmp/mpp-run-pwned)",
    "`touch /tmp/mpp-run-pwned`",
    "; rm -rf x",
    "a\nb",
    "-n",
    "--help",
    "",
    "*",
    "~",
    "$HOME",
    "a\\b",
    "'",
    "''",
    "\\",
    "{}",
    "a&b|c>d<e",
    "#comment",
    "x=1",
    "!",
    "\t tab",
    "é ü 字",
    "'\"'\"'",
};

TEST(ShellQuote, LeavesSafeValuesAlone) {
  EXPECT_EQ(shell_quote("file.log"), "file.log");
  EXPECT_EQ(shell_quote("/a/b-c_d,e:f@g%h+i"), "/a/b-c_d,e:f@g%h+i");
  EXPECT_EQ(shell_quote("-rf"), "-rf");
  EXPECT_EQ(shell_quote("é"), "é");
}

TEST(ShellQuote, QuotesEverythingElse) {
  EXPECT_EQ(shell_quote(""), "''");
  EXPECT_EQ(shell_quote("a b"), "'a b'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote("$(x)"), "'$(x)'");
  EXPECT_EQ(shell_quote("x=1"), "'x=1'");
  EXPECT_EQ(shell_quote("~"), "'~'");
}

TEST(ShellQuote, ShellSeesEachHostileValueAsOneLiteralArgument) {
  for (const std::string& value : k_hostile) {
    EXPECT_EQ(shell_arguments(shell_quote(value)), Words{value}) << "value: " << value;
  }
}

TEST(ShellQuote, ShellSeesRandomBytesAsOneLiteralArgument) {
  std::mt19937 engine(7);
  std::uniform_int_distribution<int> byte(1, 255);  // every byte but NUL, which argv cannot hold
  std::uniform_int_distribution<int> length(0, 12);
  std::string words;
  Words expected;
  for (int i = 0; i < 300; ++i) {
    std::string value;
    for (int n = length(engine); n > 0; --n) value += static_cast<char>(byte(engine));
    words += shell_quote(value) + ' ';
    expected.push_back(value);
  }
  EXPECT_EQ(shell_arguments(words), expected);
}

TEST(FillTemplate, ReplacesEverySlotWithTheQuotedValue) {
  EXPECT_EQ(fill_template("gzip -9 {}", "a.log"), "gzip -9 a.log");
  EXPECT_EQ(fill_template("cp {} {}.bak", "my file"), "cp 'my file' 'my file'.bak");
  EXPECT_EQ(fill_template("echo {}", ""), "echo ''");
}

TEST(FillTemplate, AppendsTheValueWhenThereIsNoSlot) {
  EXPECT_EQ(fill_template("gzip -9", "a b"), "gzip -9 'a b'");
}

// Each as GNU parallel 20221122 gives it (tests/tool/parallel/corpus.txt compares them there too).
TEST(FillTemplate, ReplacementStrings) {
  struct Case {
    const char* value;
    const char* expected;  // {}|{.}|{/}|{//}|{/.}
  };
  const Case cases[] = {
      {"a", "a|a|a|.|a"},
      {"a.b.c", "a.b.c|a.b|a.b.c|.|a.b"},
      {"dir/a.b", "dir/a.b|dir/a|a.b|dir|a"},
      {"dir.x/a", "dir.x/a|dir.x/a|a|dir.x|a"},
      {".hidden", ".hidden|''|.hidden|.|''"},
      {"dir/", "dir/|dir/|''|.|''"},
      {"/", "/|/|''|/|''"},
      {"a/b/", "a/b/|a/b/|''|a|''"},
      {"a.", "a.|a|a.|.|a"},
      {"/x/y.z", "/x/y.z|/x/y|y.z|/x|y"},
      {"dir/.x", "dir/.x|dir/|.x|dir|''"},
      {"a..b", "a..b|a.|a..b|.|a."},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(fill_template("x {}|{.}|{/}|{//}|{/.}", c.value), std::string("x ") + c.expected) << c.value;
  }
  EXPECT_EQ(fill_template("cp {} {.}.bak", "my file.txt"), "cp 'my file.txt' 'my file'.bak");
}

TEST(FillTemplate, NumberedSourcesAndTheJobNumber) {
  const std::vector<std::string> values{"d/a.x", "b c"};
  EXPECT_EQ(fill_template("x {2} {1} {-1} {#}", values, 7), "x 'b c' d/a.x 'b c' 7");
  EXPECT_EQ(fill_template("x {1.} {1/} {1//} {1/.}", values, 1), "x d/a a.x d a");
  // No such source: nothing, not an empty word (GNU parallel's `sh -c 'echo $#' _ {3}` says 0).
  EXPECT_EQ(fill_template("x [{3}] [{-5}]", values, 1), "x [] []");
  EXPECT_EQ(fill_template("x {-3} {-4}", values, 1), "x 'b c' d/a.x");  // as GNU parallel counts round
  EXPECT_EQ(fill_template("x {} {0}", values, 1), "x d/a.x 'b c' d/a.x 'b c'");
  EXPECT_EQ(fill_template("echo", values, 1), "echo d/a.x 'b c'");
  EXPECT_EQ(fill_template("x {.}", values, 1), "x d/a 'b c'");
}

// `{}` alone: the values are the command, as given; every other template quotes them.
TEST(FillTemplate, BracesAloneAreTheCommand) {
  using mpp::detail::run::values_would_be_the_command;
  const std::vector<std::string> values{"echo", "$HOME x"};
  EXPECT_EQ(fill_template("{}", values, 1), "echo $HOME x");
  EXPECT_EQ(fill_template("V={2} ; {1}", values, 1), "V='$HOME x' ; echo");
  EXPECT_EQ(fill_template("x {2}", values, 1), "x '$HOME x'");
  // GNU parallel runs these unquoted; mpp-run refuses them (options.cpp).
  for (const char* text : {"{1} {2}", "my_{}", "{.}", "{1}", "a{#}b c"})
    EXPECT_TRUE(values_would_be_the_command(text)) << text;
  for (const char* text : {"{}", "{0}", "V={}", " {}", "x {}", "echo", "awk '{print}' {}"}) {
    EXPECT_FALSE(values_would_be_the_command(text)) << text;
  }
}

TEST(PlainWords, SplitsPlainCommands) {
  EXPECT_EQ(plain_words("true"), Words{"true"});
  EXPECT_EQ(plain_words("  gzip\t-9  a.log "), (Words{"gzip", "-9", "a.log"}));
  EXPECT_EQ(plain_words("printf '%s\\n' 'a b' \"c d\" e\\ f ''"),
            (Words{"printf", "%s\\n", "a b", "c d", "e f", ""}));
  EXPECT_EQ(plain_words("cmd key=value"), (Words{"cmd", "key=value"}));
  EXPECT_EQ(plain_words("/usr/bin/env x"), (Words{"/usr/bin/env", "x"}));
}

TEST(PlainWords, LeavesShellSyntaxToTheShell) {
  for (const char* command : {"a | b",
                              "a && b",
                              "a; b",
                              "a > f",
                              "a < f",
                              "(a)",
                              "echo $HOME",
                              "echo `x`",
                              "ls *.log",
                              "ls ?",
                              "ls [ab]",
                              "cd ~",
                              "a # c",
                              "a\nb",
                              "{ a; }",
                              "a &",
                              "echo \"$x\"",
                              "echo \"a\\b\"",
                              "'unterminated",
                              "\"unterminated",
                              "trailing\\",
                              "x=1 cmd",
                              "",
                              "   ",
                              "!",
                              "a\\\nb"}) {
    EXPECT_FALSE(plain_words(command)) << "command: " << command;
  }
}

TEST(PlainWords, LeavesShellBuiltinsToTheShell) {
  for (const char* command : {"cd /tmp", "export A=1", "exit 3", "set -e", ". ./env", "source x", "exec ls",
                              "if", "for", "while", "wait", "ulimit -n", "kill %1", "pwd", "''"}) {
    EXPECT_FALSE(plain_words(command)) << "command: " << command;
  }
}

TEST(PlainWords, RunsEchoDirectlyOnlyWhereItBehavesAsShEcho) {
  EXPECT_TRUE(plain_words("echo hello world"));
  EXPECT_FALSE(plain_words("echo -n x"));
  EXPECT_FALSE(plain_words("echo 'a\\nb'"));
}

TEST(PlainWords, AgreesWithTheShellOnQuotedValues) {
  // A template filled with hostile values: when it is plain, its words are what sh would pass.
  for (const std::string& value : k_hostile) {
    const std::string command = fill_template("printf '%s\\0' {} tail", value);
    const auto words = plain_words(command);
    ASSERT_TRUE(words) << command;
    EXPECT_EQ(Words(words->begin() + 2, words->end()), (Words{value, "tail"})) << command;
  }
}

TEST(PlanCommand, DirectOrThroughTheShell) {
  const auto direct = plan_command("gzip -9 'a b'");
  EXPECT_FALSE(direct.shell);
  EXPECT_EQ(direct.argv, (Words{"gzip", "-9", "a b"}));
  const auto shell = plan_command("gzip -9 *.log");
  EXPECT_TRUE(shell.shell);
  EXPECT_EQ(shell.argv, (Words{"/bin/sh", "-c", "gzip -9 *.log"}));
}

TEST(UnsupportedReplacement, FindsTheJobSlotAndPerlExpressions) {
  using mpp::detail::run::unsupported_replacement;
  for (const char* text : {"{1%}", "{-2%}", "{1#}", "{=1=}", "{= s/x/y/ =}", "{2=uc=}", "{= \"}\" =}"}) {
    EXPECT_EQ(unsupported_replacement(std::string("cp ") + text + " x"), text) << text;
  }
  EXPECT_EQ(unsupported_replacement("cp {} {.}.bak {/} {%} {1%}"), "{1%}");
}

TEST(UnsupportedReplacement, LeavesOtherBracesAlone) {
  using mpp::detail::run::unsupported_replacement;
  for (const char* text :
       {"", "{}", "gzip {}", "awk '{print $1}'", "echo {a,b}", "echo ${HOME}", "{1..3}", "{x}", "{-}", "{.x}",
        "{=unclosed", "{", "}{", "{{}}", "{.}", "{#}", "{1/.}", "{%}"}) {
    EXPECT_EQ(unsupported_replacement(text), std::nullopt) << text;
  }
}

TEST(FillTemplate, TheJobSlot) {
  const std::vector<std::string> values{"a b"};
  EXPECT_EQ(fill_template("echo {%} {#} {}", values, 7, 3), "echo 3 7 'a b'");
  EXPECT_EQ(fill_template("echo {%}", values, 1, 2), "echo 2");  // a replacement string: nothing appended
}

TEST(FillText, ValuesUnquotedAndNothingAppended) {
  using mpp::detail::run::fill_text;
  const std::vector<std::string> values{"it's a.txt", "$(x)"};
  EXPECT_EQ(fill_text("{}", values, 4, 2), "it's a.txt $(x)");
  EXPECT_EQ(fill_text("<{1.}|{2}|{#}|{%}>", values, 4, 2), "<it's a|$(x)|4|2>");
  EXPECT_EQ(fill_text("plain", values, 4, 2), "plain");
  EXPECT_EQ(fill_text("{-1}{3}", values, 4, 2), "$(x)");
}

TEST(ResultsName, GnuParallelsQuotingAndNoWayOut) {
  using mpp::detail::run::results_name;
  EXPECT_EQ(results_name("a b"), "a b");
  EXPECT_EQ(results_name("dir/x"), "dir\\_x");
  EXPECT_EQ(results_name("a\\b"), "a\\\\b");
  EXPECT_EQ(results_name("a\tb"), "a\\tb");
  EXPECT_EQ(results_name("a\nb"), "a\nb");
  // Names of the directory itself or the one above: each value a directory of its own.
  EXPECT_EQ(results_name(""), "\\e");
  EXPECT_EQ(results_name("."), "\\.");
  EXPECT_EQ(results_name(".."), "\\.\\.");
  EXPECT_EQ(results_name("../.."), "..\\_..");
  EXPECT_EQ(results_name("..."), "...");
  EXPECT_EQ(results_name(std::string(300, 'x')).size(), 255u);
}

TEST(ResultsPath, SourceNumbersAndValues) {
  using mpp::detail::run::results_path;
  const std::vector<std::string> values{"a", "/etc", ".."};
  EXPECT_EQ(results_path(values), "1/a/2/\\_etc/3/\\.\\.");
  EXPECT_EQ(results_path(std::vector<std::string>{}), "");
  EXPECT_EQ(results_path(values, 1), "1/a/1/\\_etc/1/\\.\\.");  // -N3 of one source
}

TEST(ResultsRefusal, FileFormatsAndReplacementStrings) {
  using mpp::detail::run::results_refusal;
  EXPECT_EQ(results_refusal("out"), "");
  EXPECT_EQ(results_refusal("out/"), "");
  EXPECT_EQ(results_refusal("out.csvx"), "");
  for (const char* dir : {"out.csv", "x.TSV", "a.Json", "-.csv", "my_{}", "r/{1}/", "r{%}", "{=uc=}"}) {
    EXPECT_NE(results_refusal(dir), "") << dir;
  }
}

}  // namespace
