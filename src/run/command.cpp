#include "run/command.hpp"

#include <algorithm>
#include <iterator>

namespace mpp::detail::run {
namespace {

bool is_alnum(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Characters that mean nothing to sh in any position of a word ('=' aside: it makes the first
// word an assignment). Bytes beyond ASCII are literal too: UTF-8 file names stay unquoted.
bool is_safe(char c) noexcept {
  return is_alnum(c) || static_cast<unsigned char>(c) >= 0x80 ||
         std::string_view("_@%+:,./-").find(c) != std::string_view::npos;
}

// Words sh gives a meaning of its own in command position: keywords, and builtins with no program
// of the same name (or one that behaves differently, as pwd with symbolic links, kill with job
// numbers). bash's too, for users whose /bin/sh is bash.
constexpr std::string_view k_shell_words[] = {
    "!",       "{",       "}",        "[[",     "]]",      "case",    "do",       "done",
    "elif",    "else",    "esac",     "fi",     "for",     "if",      "in",       "then",
    "until",   "while",   "function", "select", "time",    "coproc",  ".",        ":",
    "alias",   "bg",      "break",    "cd",     "chdir",   "command", "continue", "eval",
    "exec",    "exit",    "export",   "fc",     "fg",      "getopts", "hash",     "jobs",
    "local",   "read",    "readonly", "return", "set",     "shift",   "source",   "times",
    "trap",    "type",    "ulimit",   "umask",  "unalias", "unset",   "wait",     "let",
    "declare", "typeset", "builtin",  "shopt",  "pushd",   "popd",    "pwd",      "kill",
};

bool is_shell_word(std::string_view word) {
  return std::ranges::find(k_shell_words, word) != std::end(k_shell_words);
}

}  // namespace

std::string join_words(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) {
    if (!out.empty()) out += ' ';
    out += w;
  }
  return out;
}

std::string shell_quote(std::string_view value) {
  if (!value.empty() && std::all_of(value.begin(), value.end(), is_safe)) return std::string(value);
  std::string quoted;
  quoted.reserve(value.size() + 2);
  quoted += '\'';
  for (char c : value) {
    if (c == '\'') {
      quoted += "'\\''";  // close the quotes, an escaped quote, open them again
    } else {
      quoted += c;
    }
  }
  quoted += '\'';
  return quoted;
}

namespace {

// GNU parallel's transformations of a value ({.}, {/}, {//}, {/.}).
enum class Part { whole, no_extension, base, directory, base_no_extension };

// Without the last ".ext" of its last component ("a.b.c" -> "a.b", "dir.x/a" unchanged, "a." -> "a").
std::string_view without_extension(std::string_view v) {
  const std::size_t dot = v.rfind('.');
  if (dot == std::string_view::npos || v.find('/', dot) != std::string_view::npos) return v;
  return v.substr(0, dot);
}

std::string_view base_name(std::string_view v) {
  const std::size_t slash = v.rfind('/');
  return slash == std::string_view::npos ? v : v.substr(slash + 1);
}

// dirname(1): "a/b/" -> "a", "/x" -> "/", "a" -> ".", "" -> ".".
std::string_view directory(std::string_view v) {
  while (v.size() > 1 && v.ends_with('/')) v.remove_suffix(1);
  const std::size_t slash = v.rfind('/');
  if (slash == std::string_view::npos) return ".";
  v = v.substr(0, slash);
  while (v.size() > 1 && v.ends_with('/')) v.remove_suffix(1);
  return v.empty() ? "/" : v;
}

std::string_view part_of(std::string_view v, Part part) {
  switch (part) {
    case Part::whole:
      return v;
    case Part::no_extension:
      return without_extension(v);
    case Part::base:
      return base_name(v);
    case Part::directory:
      return directory(v);
    case Part::base_no_extension:
      return without_extension(base_name(v));
  }
  return v;
}

std::optional<Part> part_named(std::string_view modifier) {
  if (modifier.empty()) return Part::whole;
  if (modifier == ".") return Part::no_extension;
  if (modifier == "/") return Part::base;
  if (modifier == "//") return Part::directory;
  if (modifier == "/.") return Part::base_no_extension;
  return std::nullopt;
}

// A replacement string at the start of `text`: how long it is, what it stands for.
struct Replacement {
  std::size_t length = 0;  // 0: none here
  bool seq = false;        // {#}
  bool slot = false;       // {%}
  int source = 0;          // {N...}: N (negative from the last); 0: every value
  Part part = Part::whole;
};

// The length of an input source's number at the start of `rest` ("1", "-12"); 0 for none.
std::size_t source_number_length(std::string_view rest) {
  std::size_t digits = rest.starts_with('-') ? 1 : 0;
  const std::size_t sign = digits;
  while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
  return digits > sign ? digits : 0;
}

// `{}` alone: each job's values are its command.
bool values_alone(std::string_view command_template) {
  return command_template == "{}" || command_template == "{0}";
}

Replacement replacement_at(std::string_view text) {
  if (text.starts_with("{#}")) return {3, true, false, 0, Part::whole};
  if (text.starts_with("{%}")) return {3, false, true, 0, Part::whole};
  std::string_view rest = text.substr(1);
  std::size_t digits = source_number_length(rest);
  const std::size_t sign = rest.starts_with('-') ? 1 : 0;
  const bool numbered = digits != 0 && digits - sign <= 6;  // more is no source number
  if (!numbered) digits = 0;
  const std::size_t close = rest.find('}', digits);
  if (close == std::string_view::npos) return {};
  const auto part = part_named(rest.substr(digits, close - digits));
  if (!part) return {};
  int source = 0;
  if (numbered) {
    for (std::size_t i = sign; i < digits; ++i) source = source * 10 + (rest[i] - '0');
    // {0}: every value, as {} (as GNU parallel's).
    if (sign == 1) source = -source;
  }
  return {close + 2, false, false, source, *part};
}

// Where the first replacement string of `text` starts; npos when there is none.
std::size_t first_replacement_at(std::string_view text) {
  for (std::size_t open = text.find('{'); open != std::string_view::npos; open = text.find('{', open + 1)) {
    if (replacement_at(text.substr(open)).length != 0) return open;
  }
  return std::string_view::npos;
}

}  // namespace

namespace {

// `text` with its replacement strings filled into `out`; `only` (context replacement) gives the
// value that {}, {.}... stand for, else they stand for every value. Returns whether `text` held a
// replacement string, and in `all` whether one stood for all the values ({}, not {1} or {#}).
struct Filled {
  bool any = false;
  bool all = false;
};

Filled fill_into(std::string& out, std::string_view text, std::span<const std::string> values,
                 std::size_t seq, std::size_t slot, bool quote, std::optional<std::size_t> only) {
  const auto put = [&](std::string_view value) {
    if (quote) {
      out += shell_quote(value);
    } else {
      out += value;
    }
  };
  Filled filled;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t open = text.find('{', at);
    out.append(text.substr(at, open - at));
    if (open == std::string_view::npos) break;
    const Replacement r = replacement_at(text.substr(open));
    at = open + (r.length == 0 ? 1 : r.length);
    if (r.length == 0) {
      out += '{';
      continue;
    }
    filled.any = true;
    if (r.seq) {
      out += std::to_string(seq);
    } else if (r.slot) {
      out += std::to_string(slot);
    } else if (r.source != 0) {
      // As GNU parallel's: no such value (a short group, -N 0) is nothing, not an empty word.
      const long count = static_cast<long>(values.size());
      long index = r.source > 0 ? r.source - 1 : count + r.source;
      if (index < 0) index += count;  // Perl's negative index, as GNU parallel counts round again
      if (index >= 0 && index < count) put(part_of(values[static_cast<std::size_t>(index)], r.part));
    } else if (only) {
      filled.all = true;
      if (*only < values.size()) put(part_of(values[*only], r.part));
    } else {
      filled.all = true;
      for (std::size_t i = 0; i < values.size(); ++i) {
        if (i != 0) out += ' ';
        put(part_of(values[i], r.part));
      }
    }
  }
  return filled;
}

// Context replacement (GNU parallel's -N, -X): each blank-separated part of the template that holds
// {} (or {.}...) is repeated for each value, joined by spaces.
bool fill_context(std::string& out, std::string_view command_template, std::span<const std::string> values,
                  std::size_t seq, std::size_t slot) {
  bool any = false;
  for (std::size_t at = 0; at <= command_template.size();) {
    const std::size_t blank = std::min(command_template.find_first_of(" \t", at), command_template.size());
    const std::string_view part = command_template.substr(at, blank - at);
    const Filled first = fill_into(out, part, values, seq, slot, true, 0);
    any = any || first.any;
    for (std::size_t i = 1; first.all && i < values.size(); ++i) {
      out += ' ';
      (void)fill_into(out, part, values, seq, slot, true, i);
    }
    if (blank == command_template.size()) break;
    out += command_template[blank];
    at = blank + 1;
  }
  return any;
}

}  // namespace

std::string fill_template(std::string_view command_template, std::span<const std::string> values,
                          std::size_t seq, std::size_t slot, bool context) {
  // A template that is `{}` alone makes each job's values its command, as given (as with no
  // template); every other template gets them quoted (options.cpp refuses the other forms GNU
  // parallel runs unquoted).
  const bool alone = values_alone(command_template);
  std::string command;
  command.reserve(command_template.size() + 16);
  const bool replaced =
      context && !alone ? fill_context(command, command_template, values, seq, slot)
                        : fill_into(command, command_template, values, seq, slot, !alone, std::nullopt).any;
  if (!replaced) {
    command += ' ';
    (void)fill_into(command, "{}", values, seq, slot, true, std::nullopt);
  }
  return command;
}

std::string fill_text(std::string_view text, std::span<const std::string> values, std::size_t seq,
                      std::size_t slot) {
  std::string out;
  (void)fill_into(out, text, values, seq, slot, false, std::nullopt);
  return out;
}

std::string quote_word(std::string_view word) {
  if (word.empty()) return "''";
  std::string out;
  std::size_t literal = 0;  // where the text not yet quoted starts
  for (std::size_t at = 0; at < word.size();) {
    const std::size_t length = word[at] == '{' ? replacement_at(word.substr(at)).length : 0;
    if (length == 0) {
      ++at;
      continue;
    }
    if (at != literal) out += shell_quote(word.substr(literal, at - literal));
    out.append(word.substr(at, length));
    at += length;
    literal = at;
  }
  if (literal != word.size()) out += shell_quote(word.substr(literal));
  return out;
}

std::optional<std::string> first_replacement(std::string_view text) {
  const std::size_t open = first_replacement_at(text);
  if (open == std::string_view::npos) return std::nullopt;
  return std::string(text.substr(open, replacement_at(text.substr(open)).length));
}

std::string fill_template(std::string_view command_template, std::string_view value) {
  const std::string values[] = {std::string(value)};
  return fill_template(command_template, values, 1);
}

bool values_would_be_the_command(std::string_view command_template) {
  const std::size_t first = first_replacement_at(command_template);
  return first != std::string_view::npos &&
         command_template.substr(0, first).find_first_of(" \t\n=") == std::string_view::npos &&
         !values_alone(command_template);
}

std::optional<std::string> unsupported_replacement(std::string_view text) {
  for (std::size_t open = text.find('{'); open != std::string_view::npos; open = text.find('{', open + 1)) {
    std::string_view rest = text.substr(open + 1);
    // {N...}: an input source's number, negative counting from the last.
    const std::size_t digits = source_number_length(rest);
    const bool numbered = digits != 0;
    const std::string_view after = rest.substr(digits);
    // {=perl=} and {N=perl=}: the expression may hold anything, braces included, up to "=}".
    if (after.starts_with('=')) {
      const std::size_t end = after.find("=}", 1);
      if (end != std::string_view::npos) return std::string(text.substr(open, 1 + digits + end + 2));
      continue;
    }
    // {N%} and {N#}, which GNU parallel reads as forms of the job slot and number.
    if (numbered && (after.starts_with("%}") || after.starts_with("#}")))
      return std::string(text.substr(open, 1 + digits + 2));
  }
  return std::nullopt;
}

std::optional<std::vector<std::string>> plain_words(std::string_view command) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  bool assignment = false;  // an unquoted '=' in the first word: VAR=value program
  for (std::size_t i = 0; i < command.size(); ++i) {
    const char c = command[i];
    if (c == ' ' || c == '\t') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\'') {
      const std::size_t close = command.find('\'', i + 1);
      if (close == std::string_view::npos) return std::nullopt;  // sh reports the syntax error
      word.append(command.substr(i + 1, close - i - 1));
      i = close;
    } else if (c == '"') {
      std::size_t close = i + 1;
      while (close < command.size() && command[close] != '"') {
        // Expansions and escapes inside double quotes are the shell's business.
        if (command[close] == '$' || command[close] == '`' || command[close] == '\\') return std::nullopt;
        ++close;
      }
      if (close == command.size()) return std::nullopt;
      word.append(command.substr(i + 1, close - i - 1));
      i = close;
    } else if (c == '\\') {
      // A backslash quotes the next character, except a newline, which it removes.
      if (i + 1 == command.size() || command[i + 1] == '\n') return std::nullopt;
      word += command[++i];
    } else if (is_safe(c) || c == '=') {
      if (c == '=' && words.empty()) assignment = true;
      word += c;
    } else {
      return std::nullopt;  // | & ; < > ( ) $ ` * ? [ ] ~ # { } ! newline, control characters...
    }
  }
  if (in_word) words.push_back(std::move(word));
  if (words.empty() || assignment || words.front().empty() || is_shell_word(words.front()))
    return std::nullopt;
  // sh's echo interprets backslashes and knows no options; /bin/echo does the opposite.
  if (words.front() == "echo" && std::any_of(words.begin() + 1, words.end(), [](const std::string& w) {
        return w.starts_with('-') || w.find('\\') != std::string::npos;
      })) {
    return std::nullopt;
  }
  return words;
}

Plan plan_command(const std::string& command) {
  if (auto words = plain_words(command)) return Plan{std::move(*words), false};
  return Plan{{k_shell, "-c", command}, true};
}

}  // namespace mpp::detail::run
