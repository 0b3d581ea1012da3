// mpp-run's commands: shell quoting of substituted values, templates with {}, and the choice
// between running a command directly (posix_spawn, no shell) and through /bin/sh -c.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mpp::detail::run {

/// The words of a command, joined by spaces (the template, as GNU parallel makes it).
[[nodiscard]] std::string join_words(const std::vector<std::string>& words);

/// `value` as one word of a POSIX shell command line: unchanged when every character is one no
/// shell treats specially (letters, digits, and `_@%+:,./-`), otherwise in single quotes, with each
/// `'` written as `'\''`. The empty value becomes `''`. Whatever the value holds (`$(...)`,
/// backquotes, `;`, newlines), the shell passes it on as one literal argument.
[[nodiscard]] std::string shell_quote(std::string_view value);

/// `command_template` with GNU parallel's replacement strings filled from one job's values (one per
/// input source) and its number `seq` (from 1), every value shell-quoted: `{}` every value;
/// `{.}` without its extension, `{/}` its base name, `{//}` its directory (as dirname(1) gives it),
/// `{/.}` its base name without extension (each value so, joined by spaces, as GNU parallel does);
/// `{N}`, `{N.}`, `{N/}`, `{N//}`, `{N/.}` the value of input source N (from 1; negative: counted
/// from the last; an empty one where there is no such source); `{#}` seq; `{%}` the job's slot
/// `slot` (from 1). Any other brace is text.
/// A template that is `{}` alone gives the values unquoted: they are the command.
/// A template with none of them gets ` ` and the quoted values appended. With `context` (GNU
/// parallel's -N and -L), each blank-separated part of the template holding `{}`, `{.}`, `{/}`,
/// `{//}` or `{/.}` is repeated for each value, `x{}y` giving `xay xby`. A numbered source that
/// does not exist (`{3}` of two values) is nothing, as GNU parallel fills it; with no values at
/// all (-N 0) every replacement string is.
[[nodiscard]] std::string fill_template(std::string_view command_template,
                                        std::span<const std::string> values, std::size_t seq,
                                        std::size_t slot = 1, bool context = false);

/// `text` (--tagstring, a --results path's part) with the same replacement strings filled, the
/// values as they are, unquoted: the text is no command. Nothing is appended when there is none.
[[nodiscard]] std::string fill_text(std::string_view text, std::span<const std::string> values,
                                    std::size_t seq, std::size_t slot);
/// One value, job 1.
[[nodiscard]] std::string fill_template(std::string_view command_template, std::string_view value);

/// Whether GNU parallel would put the values into `command_template` unquoted, as (part of) the
/// command: a replacement string in its first word (`{1} {2}`, `my_{}`; not an assignment `V={}`),
/// but not `{}` alone, which mpp-run runs so too (each job's values are its command).
[[nodiscard]] bool values_would_be_the_command(std::string_view command_template);

/// -q: `word` shell-quoted as one word, its replacement strings left to fill_template() (which
/// quotes the values): `pre {} post` gives `'pre '{}' post'`.
[[nodiscard]] std::string quote_word(std::string_view word);

/// The first replacement string fill_template() fills in `text`; empty when there is none.
[[nodiscard]] std::optional<std::string> first_replacement(std::string_view text);

/// The first replacement string of GNU parallel's in `text` that mpp-run does not implement:
/// `{N%}` and `{N#}`, and the Perl expressions `{=...=}` and `{N=...=}`. Empty when
/// there is none. GNU parallel would replace them; mpp-run refuses such a template rather than run it with
/// the text left as it is.
[[nodiscard]] std::optional<std::string> unsupported_replacement(std::string_view text);

/// The words of `command` when it is a plain list of words that /bin/sh would run as one program
/// with these arguments: words of unquoted letters, digits and `_@%+:,./-=` (and bytes beyond
/// ASCII), 'single-quoted' text, "double-quoted" text without `$`, backquote or backslash, and
/// backslash-escaped characters; the first word an external program (not a shell keyword or a
/// builtin with no program of the same name, not an assignment). Empty for anything else: then
/// the command needs the shell.
[[nodiscard]] std::optional<std::vector<std::string>> plain_words(std::string_view command);

/// How a job runs: the program and its arguments for posix_spawnp.
struct Plan {
  std::vector<std::string> argv;
  bool shell = false;  // argv is {"/bin/sh", "-c", command}
};

/// Direct when plain_words() finds a plain command (that is what makes mpp-run fast: a shell per
/// job costs as much as a trivial job), through /bin/sh -c otherwise.
[[nodiscard]] Plan plan_command(const std::string& command);

/// The shell that runs commands with shell syntax.
inline constexpr const char* k_shell = "/bin/sh";

}  // namespace mpp::detail::run
