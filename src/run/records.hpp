// How input becomes jobs' values, as GNU parallel reads it: records ended by a delimiter (-d, -0),
// an end-of-file string (-E), lines continued after trailing blanks (-L), columns (--colsep), and
// several records per job (-N, -n, -L).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mpp::detail::run {

/// The options that shape input into values.
struct InputFormat {
  std::string delimiter = "\n";  // -d (escapes resolved), -0: "\0"
  bool default_delimiter = true;
  std::string eof;                    // -E: a record equal to it ends its input; empty: none
  bool continue_lines = false;        // -L N (N > 0): a record ending in a blank goes on in the next
  std::optional<std::string> colsep;  // --colsep, literal (or --header's tab)
  bool trim = false;                  // --colsep given: values lose their surrounding blanks
  std::size_t per_job = 1;            // -N, -n, -L: records per job; 0: one, its values left out
  bool context = false;               // -N, -L: a word holding {} is repeated for each value
  bool grouped = false;               // any of -N, -n, -L given
  bool header = false;                // --header: each source's first record names its columns
  bool spread = false;                // -X, -m: every value, spread evenly over the job slots
  std::size_t slots = 1;              // ... how many (-j)
};

/// -X and -m take input that fits one command line of this length (with room to spare: GNU
/// parallel's is about 128 KiB), so that it is spread as GNU parallel spreads it.
inline constexpr std::size_t k_spread_max = std::size_t{64} * 1024;

/// -X, -m: values per job for `records` records over `slots` job slots, as GNU parallel spreads
/// input that fits one command line.
[[nodiscard]] std::size_t spread_per_job(std::size_t records, std::size_t slots) noexcept;

/// Throws mpp::ParseError for -X or -m with input of `size` bytes, or a command of `size` bytes
/// with every value, longer than k_spread_max.
void check_spread(std::size_t size);

/// The longest record read as a command or a value: longer than the kernel takes for one argument
/// (128 KiB) or a whole command line (2 MiB by default), so it could never run.
inline constexpr std::size_t k_max_line = 4 << 20;

/// Splits text into records, as it arrives. Not thread-safe.
class RecordReader {
 public:
  /// `strip_cr`: with the newline delimiter, a record ending in CR loses it (files from Windows).
  RecordReader(const InputFormat& format, std::string name, bool strip_cr);
  /// Appends the records `text` completes to `out`. Throws mpp::ParseError for a NUL byte (with
  /// the name, record and column) and a record longer than k_max_line.
  void feed(std::string_view text, std::vector<std::string>& out);
  /// The end of the text: appends its last, unended record.
  void finish(std::vector<std::string>& out);
  /// Whether the -E string was met: what follows it is not read.
  [[nodiscard]] bool ended() const noexcept { return ended_; }
  /// With --header, the first record (as GNU parallel reads it: without a CR at its end, and
  /// neither -E nor -L applied), which is no value; none before it was read.
  [[nodiscard]] const std::optional<std::string>& header() const noexcept { return header_; }

 private:
  void emit(std::string_view record, bool delimited, std::vector<std::string>& out);

  InputFormat format_;  // a copy: a reader may outlive the format it was made from
  std::string name_;
  bool strip_cr_;
  std::string buffer_;                    // text not yet made records
  std::size_t scan_ = 0;                  // where in buffer_ the delimiter may start
  std::optional<std::string> continued_;  // -L: a record ending in a blank
  std::size_t number_ = 0;
  bool ended_ = false;
  bool header_pending_;
  std::optional<std::string> header_;
};

/// Every record of `values` (each a ::: value, as GNU parallel writes them to a file, each
/// followed by the delimiter, and reads them back).
/// With --header, the first of them is no value: it is put in `header`.
[[nodiscard]] std::vector<std::string> records_of_values(const InputFormat& format,
                                                         const std::vector<std::string>& values,
                                                         std::optional<std::string>* header = nullptr);

/// --header: the column names in a header record, split at `colsep` (empty ones at the end
/// dropped, as Perl's split drops them).
void append_names(std::string_view header, std::string_view colsep, std::vector<std::string>& names);

/// `command_template` with `{NAME}`, `{NAME.}`, `{NAME/}`, `{NAME//}` and `{NAME/.}` of names[i]
/// made `{i+1}`..., name after name, as GNU parallel rewrites a command for --header (where a `.`
/// in a name matches any character: GNU parallel reads the name as a regular expression). Throws
/// mpp::ParseError for a name with another character of a regular expression's meaning.
[[nodiscard]] std::string apply_names(std::string command_template, const std::vector<std::string>& names);

/// A record's values: its columns split at --colsep (without surrounding blanks), or itself.
void append_columns(const InputFormat& format, std::string_view record, std::vector<std::string>& out);

/// The separator --colsep means, GNU parallel's being a Perl regular expression: a literal text,
/// with `\t`, `\n`, `\r`, `\f`, `\e`, `\\` and a backslash before punctuation. Throws mpp::ParseError
/// for anything with a meaning as a regular expression.
[[nodiscard]] std::string parse_colsep(std::string_view text);

/// -d's delimiter with GNU parallel's escapes: `\t`, `\n`, `\r`, `\0` and octal `\NNN`. Throws
/// mpp::ParseError for an empty one.
[[nodiscard]] std::string parse_delimiter(std::string_view text);

}  // namespace mpp::detail::run
