#include "run/records.hpp"

#include <utility>

#include "mpp/errors.hpp"

namespace mpp::detail::run {
namespace {

[[noreturn]] void bad(const std::string& message) { throw ParseError(message); }

// Perl's \s: what --colsep trims and what continues a line under -L.
bool is_blank(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// Every `from` in `text` replaced by `to`, left to right (one of Perl's s/from/to/g).
std::string replace_all(std::string_view text, std::string_view from, std::string_view to) {
  std::string out;
  for (std::size_t at = 0;;) {
    const std::size_t found = text.find(from, at);
    out.append(text.substr(at, found - at));
    if (found == std::string_view::npos) return out;
    out.append(to);
    at = found + from.size();
  }
}

// Backslash and `digits` digits, in octal, as Perl reads "\NNN" (one of GNU parallel's passes).
std::string replace_octal(std::string_view text, std::size_t digits) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    bool all = i + digits < text.size() && text[i] == '\\';
    for (std::size_t d = 1; all && d <= digits; ++d) all = is_digit(text[i + d]);
    if (!all) {
      out += text[i];
      continue;
    }
    unsigned value = 0;
    for (std::size_t d = 1; d <= digits; ++d) {
      const char c = text[i + d];
      if (c > '7') bad("-d: '\\" + std::string(text.substr(i + 1, digits)) + "' is no octal escape");
      value = value * 8 + static_cast<unsigned>(c - '0');
    }
    if (value > 0377) bad("-d: '\\" + std::string(text.substr(i + 1, digits)) + "' is more than one byte");
    out += static_cast<char>(value);
    i += digits;
  }
  return out;
}

}  // namespace

std::string parse_delimiter(std::string_view text) {
  // GNU parallel's unquote_printf(), pass by pass.
  std::string d = replace_all(text, "\\t", "\t");
  d = replace_all(d, "\\n", "\n");
  d = replace_all(d, "\\r", "\r");
  d = replace_octal(d, 3);
  d = replace_octal(d, 1);
  if (d.empty()) bad("-d needs a delimiter (it was given an empty one)");
  return d;
}

std::string parse_colsep(std::string_view text) {
  if (text.empty()) bad("--colsep needs a separator (it was given an empty one)");
  std::string sep;
  const auto refuse = [&](std::string_view what) {
    bad("--colsep '" + std::string(text) + "': " + std::string(what) +
        " has a meaning in GNU parallel's --colsep, a Perl regular expression; mpp-run implements "
        "literal separators only (escape punctuation with a backslash: '\\|')");
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c != '\\') {
      if (std::string_view(".^$|()[]{}*+?").find(c) != std::string_view::npos)
        refuse("'" + std::string(1, c) + "'");
      sep += c;
      continue;
    }
    if (++i == text.size()) refuse("a backslash at the end");
    const char e = text[i];
    switch (e) {
      case 't':
        sep += '\t';
        break;
      case 'n':
        sep += '\n';
        break;
      case 'r':
        sep += '\r';
        break;
      case 'f':
        sep += '\f';
        break;
      case 'e':
        sep += '\x1b';
        break;
      case 'a':
        sep += '\a';
        break;
      default:
        if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || is_digit(e) || e == '_' ||
            static_cast<unsigned char>(e) >= 0x80) {
          refuse("'\\" + std::string(1, e) + "'");
        }
        sep += e;  // \\, \|, \. ...: the character itself
    }
  }
  return sep;
}

RecordReader::RecordReader(const InputFormat& format, std::string name, bool strip_cr)
    : format_(format),
      name_(std::move(name)),
      strip_cr_(strip_cr && format.default_delimiter),
      header_pending_(format.header) {}

void RecordReader::feed(std::string_view text, std::vector<std::string>& out) {
  if (ended_) return;
  buffer_.append(text);
  const std::string& delimiter = format_.delimiter;
  std::size_t start = 0;
  for (std::size_t found; !ended_ && (found = buffer_.find(delimiter, scan_)) != std::string::npos;) {
    emit(std::string_view(buffer_).substr(start, found - start), true, out);
    start = found + delimiter.size();
    scan_ = start;
  }
  if (ended_) {
    buffer_.clear();
    return;
  }
  buffer_.erase(0, start);
  // The delimiter may begin in this text and end in the next.
  scan_ = buffer_.size() >= delimiter.size() ? buffer_.size() - delimiter.size() + 1 : 0;
  if (buffer_.size() > k_max_line) {
    ended_ = true;
    throw ParseError("line " + std::to_string(number_ + 1) + " is longer than " +
                     std::to_string(k_max_line >> 20) + " MiB, more than any command line can hold (" +
                     name_ + ")");
  }
}

void RecordReader::finish(std::vector<std::string>& out) {
  if (!ended_ && !buffer_.empty()) emit(std::exchange(buffer_, {}), false, out);
  ended_ = true;
  if (continued_) out.push_back(*std::exchange(continued_, std::nullopt));
}

void RecordReader::emit(std::string_view record, bool delimited, std::vector<std::string>& out) {
  ++number_;
  // CRLF loses its CR (mpp-run's own rule: GNU parallel only warns).
  if (strip_cr_ && delimited && record.ends_with('\r')) record.remove_suffix(1);
  if (const std::size_t nul = record.find('\0'); nul != std::string_view::npos) {
    ended_ = true;
    throw ParseError("a NUL byte cannot be part of a command", name_, number_, nul + 1);
  }
  if (header_pending_) {
    header_pending_ = false;
    if (record.ends_with('\r')) record.remove_suffix(1);
    header_ = std::string(record);
    return;
  }
  if (!format_.eof.empty() && record == format_.eof) {
    ended_ = true;
    if (continued_) out.push_back(*std::exchange(continued_, std::nullopt));
    return;
  }
  // Appended in place: a long run of continued lines costs linear time.
  std::string whole;
  if (continued_) {
    whole = std::move(*continued_);
    continued_.reset();
  }
  whole.append(record);
  if (format_.continue_lines && !whole.empty() && is_blank(whole.back())) {
    if (whole.size() > k_max_line) {
      ended_ = true;
      bad("a line continued by -L is longer than " + std::to_string(k_max_line >> 20) + " MiB (" + name_ +
          ")");
    }
    continued_ = std::move(whole);
    return;
  }
  out.push_back(std::move(whole));
}

std::vector<std::string> records_of_values(const InputFormat& format, const std::vector<std::string>& values,
                                           std::optional<std::string>* header) {
  RecordReader reader(format, ":::", false);
  std::vector<std::string> records;
  for (const std::string& value : values) {
    reader.feed(value, records);
    reader.feed(format.delimiter, records);
  }
  reader.finish(records);
  if (header != nullptr) *header = reader.header();
  return records;
}

void append_names(std::string_view header, std::string_view colsep, std::vector<std::string>& names) {
  std::vector<std::string> fields;
  for (;;) {
    const std::size_t found = header.find(colsep);
    fields.emplace_back(header.substr(0, found));
    if (found == std::string_view::npos) break;
    header.remove_prefix(found + colsep.size());
  }
  while (!fields.empty() && fields.back().empty()) fields.pop_back();
  names.insert(names.end(), fields.begin(), fields.end());
}

namespace {

// The length of `{NAME` + suffix + `}` at the start of `text` (`.` in NAME any character but a
// newline, as in Perl's regular expression); 0 when it is not there.
std::size_t name_at(std::string_view text, std::string_view name) {
  if (!text.starts_with('{') || text.size() < name.size() + 2) return 0;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = text[1 + i];
    if (name[i] == '.' ? c == '\n' : c != name[i]) return 0;
  }
  const std::string_view rest = text.substr(1 + name.size());
  // GNU parallel's (|/|//|\.|/\.)\}: the first alternative that a } follows.
  for (const std::string_view suffix : {"", "/", "//", ".", "/."}) {
    if (rest.starts_with(suffix) && rest.substr(suffix.size()).starts_with('}')) {
      return 1 + name.size() + suffix.size() + 1;
    }
  }
  return 0;
}

}  // namespace

std::string apply_names(std::string command_template, const std::vector<std::string>& names) {
  for (std::size_t id = 1; id <= names.size(); ++id) {
    const std::string& name = names[id - 1];
    if (name.find_first_of("\\^$|()[]{}*+?") != std::string::npos) {
      bad("--header: the column name '" + name +
          "' holds a character with a meaning in a regular expression, as GNU parallel reads it; mpp-run "
          "does not implement that");
    }
    std::string out;
    for (std::size_t at = 0; at < command_template.size();) {
      const std::size_t length = name_at(std::string_view(command_template).substr(at), name);
      if (length == 0) {
        out += command_template[at++];
        continue;
      }
      out += '{' + std::to_string(id);
      out.append(std::string_view(command_template).substr(at + 1 + name.size(), length - 1 - name.size()));
      at += length;
    }
    command_template = std::move(out);
  }
  return command_template;
}

std::size_t spread_per_job(std::size_t records, std::size_t slots) noexcept {
  if (records <= 1 || slots <= 1) return records == 0 ? 1 : records;
  return records / slots + (records % slots != 0 ? 1 : 0);
}

void check_spread(std::size_t size) {
  if (size > k_spread_max) {
    bad("-X and -m are implemented by mpp-run for input that fits one command line (" +
        std::to_string(k_spread_max >> 10) +
        " KiB with every value); GNU parallel would fill command lines of its maximum length. Use -N or -n");
  }
}

void append_columns(const InputFormat& format, std::string_view record, std::vector<std::string>& out) {
  if (!format.colsep) {
    out.emplace_back(record);
    return;
  }
  const std::string& sep = *format.colsep;
  for (;;) {
    const std::size_t found = record.find(sep);
    std::string_view column = record.substr(0, found);
    // As GNU parallel's --colsep, which implies --trim lr (--header's tab does not).
    while (format.trim && !column.empty() && is_blank(column.front())) column.remove_prefix(1);
    while (format.trim && !column.empty() && is_blank(column.back())) column.remove_suffix(1);
    out.emplace_back(column);
    if (found == std::string_view::npos) return;
    record.remove_prefix(found + sep.size());
  }
}

}  // namespace mpp::detail::run
