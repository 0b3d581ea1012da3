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

std::string fill_template(std::string_view command_template, std::string_view value) {
  static constexpr std::string_view k_slot = "{}";
  const std::string quoted = shell_quote(value);
  if (command_template.find(k_slot) == std::string_view::npos) {
    std::string command(command_template);
    command += ' ';
    command += quoted;
    return command;
  }
  std::string command;
  command.reserve(command_template.size() + quoted.size());
  for (;;) {
    const std::size_t at = command_template.find(k_slot);
    command.append(command_template.substr(0, at));
    if (at == std::string_view::npos) return command;
    command += quoted;
    command_template.remove_prefix(at + k_slot.size());
  }
}

std::optional<std::string> unsupported_replacement(std::string_view text) {
  static constexpr std::string_view k_modifiers[] = {"", ".", "/", "//", "/."};
  for (std::size_t open = text.find('{'); open != std::string_view::npos; open = text.find('{', open + 1)) {
    std::string_view rest = text.substr(open + 1);
    // {N...}: an input source's number, negative counting from the last.
    std::size_t digits = rest.starts_with('-') ? 1 : 0;
    const std::size_t sign = digits;
    while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
    const bool numbered = digits > sign;
    if (!numbered) digits = 0;
    const std::string_view after = rest.substr(digits);
    // {=perl=} and {N=perl=}: the expression may hold anything, braces included, up to "=}".
    if (after.starts_with('=')) {
      const std::size_t end = after.find("=}", 1);
      if (end != std::string_view::npos) return std::string(text.substr(open, 1 + digits + end + 2));
      continue;
    }
    const std::size_t close = after.find('}');
    if (close == std::string_view::npos) return std::nullopt;
    const std::string_view modifier = after.substr(0, close);
    const bool known = std::ranges::find(k_modifiers, modifier) != std::end(k_modifiers);
    if ((numbered && known) ||
        (!numbered && !modifier.empty() && (known || modifier == "#" || modifier == "%")))
      return std::string(text.substr(open, 1 + digits + close + 1));
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
