// mpp::read_csv and mpp::write_csv: Frames from and to CSV (RFC 4180), with per-column type
// inference. Parsing is libcsv's (Debian's libcsv-dev); inference, positions and errors are ours.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "mpp/errors.hpp"  // mpp::ParseError, which read_csv throws
#include "mpp/frame.hpp"

namespace mpp {

/// A column of a CSV input, by name or by 0-based position (CsvOptions::usecols takes either:
/// `{"a", "c"}`, `{0, 2}`). Throws std::invalid_argument for a negative position.
class CsvColumn {
 public:
  /// Implicit on purpose, so that a list of them reads `{"a", "c"}` or `{0, 2}`.
  CsvColumn(std::string name) : name_(std::move(name)) {}
  CsvColumn(const char* name) : name_(name) {}
  template <std::integral T>
  requires(!std::same_as<T, bool> && !std::same_as<T, char>) CsvColumn(T position)
      : position_(static_cast<std::size_t>(position)) {
    if constexpr (std::is_signed_v<T>) {
      if (position < 0) throw_negative(static_cast<std::int64_t>(position));
    }
  }
  /// The name, or std::nullopt for a position.
  [[nodiscard]] const std::optional<std::string>& name() const noexcept { return name_; }
  /// The position (meaningful when name() is empty).
  [[nodiscard]] std::size_t position() const noexcept { return position_; }

 private:
  [[noreturn]] static void throw_negative(std::int64_t position);
  std::optional<std::string> name_;
  std::size_t position_ = 0;
};

/// The strings pandas 1.5.3's read_csv reads as null by default (its na_values with keep_default_na):
/// "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
/// "<NA>", "N/A", "NA", "NULL", "NaN", "n/a", "nan", "null" ("None" joined them in pandas 2.0). read_csv does
/// not use them unless asked: `options.na_values = mpp::pandas_na_values();`.
[[nodiscard]] std::vector<std::string> pandas_na_values();

/// Whether a CSV file is compressed (CsvOptions::compression, pandas' compression=).
enum class CsvCompression : std::uint8_t {
  infer,  ///< gzip when the path ends in ".gz", else none (pandas' "infer"); a stream: none. Read
          ///< as none, data starting with gzip's magic bytes is a ParseError saying it is gzip
  none,   ///< plain CSV
  gzip,   ///< gzip (zlib), for a path or a stream
};

/// How read_csv and write_csv read and write CSV. The read_csv options are pandas' of the same
/// names (docs/frame.md shows each beside its pandas call).
struct CsvOptions {
  /// The field separator: any byte but the quote character, '\r' and '\n' (',', ';', '\t', '|').
  char delimiter = ',';
  /// The quote character (pandas' quotechar): any byte but the delimiter, '\r' and '\n'. A field
  /// that starts with it is quoted, and holds it doubled.
  char quotechar = '"';
  /// Whether the first record holds the column names. Without one, read_csv names the columns
  /// "0", "1", ... (as pandas' header=None) and write_csv writes no names. With one, an empty
  /// unquoted name reads as "Unnamed: <position>", as pandas names it (a quoted "" stays "").
  bool header = true;
  /// read_csv: columns whose type is given rather than inferred, by name ("0", "1", ... without a
  /// header). Every non-null field of such a column must parse as that type, else ParseError; a
  /// string column takes any field as it is.
  std::vector<std::pair<std::string, ColumnType>> types = {};
  /// read_csv: columns read as datetime (pandas' parse_dates=["col"]), the same as giving them
  /// ColumnType::datetime in `types`: each non-null field ISO 8601 (`2024-01-02`,
  /// `2024-01-02 03:04:05.5`, `2024-01-02T03:04:05Z`, an offset `+02:00` converted to UTC), else
  /// ParseError. A bool column is asked for in `types` (pandas' dtype={"col": bool}): True, False,
  /// true, false, TRUE, FALSE, 1 and 0. Neither type is ever inferred: `True` alone reads as text.
  std::vector<std::string> parse_dates = {};
  /// read_csv: the most bytes one field may hold (after unquoting), 16 MiB by default. A longer
  /// field is a ParseError (with its file, line and field), found after reading at most this many
  /// bytes of it and one block (1 MiB) more: so a quote never closed, /dev/zero or a binary file
  /// fails at once with bounded memory instead of growing to gigabytes. Raise it for longer fields
  /// (std::numeric_limits<std::size_t>::max() means no limit).
  std::size_t max_field_size = std::size_t{16} << 20;
  /// read_csv: only these columns, by name or by position, in the input's order whatever their
  /// order here (pandas' usecols). Empty: every column. A name or position the input does not
  /// have is std::invalid_argument naming it. Every record must still have the header's width.
  std::vector<CsvColumn> usecols = {};
  /// read_csv: at most this many rows, after the header (pandas' nrows); nothing after them is
  /// read, so what follows cannot be an error. std::nullopt: every row.
  std::optional<std::size_t> nrows = std::nullopt;
  /// read_csv: the number of lines skipped at the start of the input, before the header (pandas'
  /// skiprows as a number). Each is a record: a quoted field's line break does not end one.
  std::size_t skiprows = 0;
  /// read_csv: more strings read as null when they are a whole unquoted field (pandas'
  /// na_values): `{"NA", "-"}`. By default only an empty unquoted field is null, unlike pandas,
  /// which also reads "NA", "null", "nan"... as null (mpp::pandas_na_values() gives that list):
  /// "NA" is a country and a name, and `nan` is a float64 value write_csv writes. A quoted field
  /// is text, so `"NA"` stays a string.
  std::vector<std::string> na_values = {};
  /// read_csv: the comment character (pandas' comment): from it to the end of the line is
  /// ignored, and a line that starts with it is no line at all; inside a quoted field it is
  /// text. Any byte but the delimiter, the quote character, '\r' and '\n'. std::nullopt: none.
  std::optional<char> comment = std::nullopt;
  /// read_csv: whether a quote inside an unquoted field (`12" pipe`) or text after a closing quote
  /// (`"ab"cd`) is a ParseError, as RFC 4180 has it. By default they are read as pandas and
  /// Python's csv module read them: the quote is a quote (`12" pipe`), and the text goes on the
  /// field as unquoted text (`abcd`).
  bool strict_quotes = false;
  /// read_csv and write_csv: gzip or not (pandas' compression): by default a path ending in ".gz"
  /// is read and written as gzip, as pandas infers it, and a stream is plain CSV. write_csv
  /// compresses at zlib's default level (6). Corrupt or truncated gzip data is a ParseError
  /// naming the file (line 0: the CSV's lines are not known there).
  CsvCompression compression = CsvCompression::infer;
};

/// Reads a CSV file into a Frame. The file is read in blocks, so memory holds the columns, not
/// the file. Throws std::system_error when it cannot be opened or read, mpp::ParseError (with the
/// file, the 1-based line and the 1-based field number) for malformed input, std::invalid_argument
/// for bad options.
///
/// The format, in short (docs/frame.md has the whole of it):
/// - RFC 4180: fields separated by the delimiter, records by CRLF, LF or CR; a field that holds
///   the delimiter, a quote or a line break is quoted, with quotes doubled. Bytes are kept as they
///   are (UTF-8 passes through); spaces are part of a field. A UTF-8 byte-order mark is skipped.
/// - An empty unquoted field is null; `""` is an empty string.
/// - Each column's type is inferred from its non-null fields: int64 when every one is an integer
///   (`-12`, `+7`, `007`), else float64 when every one is a number (`1.5`, `1e-3`, `inf`, `nan`),
///   else string. A quoted field is text: it makes its column string. A column with no non-null
///   field is string. An integer of an int64 column outside int64's range, or a number of a
///   float64 column outside double's, is a ParseError (not a silent widening or rounding to
///   infinity).
/// - Errors: an empty input (no header), a repeated column name, a record with more or fewer
///   fields than the header (blank lines are skipped when there are two or more columns, and are
///   null values when there is one), a quoted field that never ends, a field longer than
///   CsvOptions::max_field_size; with CsvOptions::strict_quotes, a quote inside an unquoted field
///   or text after a closing quote (by default read as pandas reads them).
/// - CsvOptions: usecols, nrows, skiprows, na_values, comment and quotechar as pandas'.
/// - Linear time and bounded memory on any input: the header's names are checked with a hash
///   table, and no field grows past max_field_size.
/// - An input that cannot seek (a pipe, a FIFO, /dev/stdin, a socket) is copied as it is read into
///   an unnamed temporary file (in $TMPDIR, else /tmp; it has no name, so nothing is left behind),
///   which the second pass reads when a column turns out to be text after numeric rows. Memory
///   holds the columns either way; the disk holds a copy of a pipe's input while it is read.
///
/// Thread safety: reentrant; it reads only its arguments.
[[nodiscard]] Frame read_csv(const std::filesystem::path& path, const CsvOptions& options = {});
/// As above, from a stream (errors name the file "<stream>"). When a column turns out to be
/// text after numeric rows, the input is read a second time: a seekable stream is rewound to
/// where it was, and one that cannot seek is copied to a temporary file as it is read, as above.
[[nodiscard]] Frame read_csv(std::istream& in, const CsvOptions& options = {});

/// Writes `frame` as CSV that read_csv reads back into an equal frame (bool and datetime columns
/// when read with CsvOptions::types): integers as they are, bools `True`/`False`, datetimes as
/// pandas writes them (`2024-01-02` when every value of the column is at midnight, else
/// `2024-01-02 03:04:05` with the fraction digits, 3, 6 or 9, the column's values need),
/// doubles as pandas' to_csv writes them (Python's str(): the shortest digits that read back to
/// the same bits, positional from 1e-4 to below 1e16, `100000.0`, else `1e-05`, `1e+16`; always
/// with a '.', an exponent, or inf/nan, so they read back as float64), strings quoted when they hold the
/// delimiter, a quote, a line break, or when they would read back as something else (empty, a
/// number, leading or trailing spaces); nulls as empty fields; records end in "\n". Two things
/// CSV cannot carry: the type of a column with no non-null value (it reads back as string; pass
/// CsvOptions::types), and a frame with no columns (written as nothing, which read_csv refuses).
/// Throws std::system_error when the file cannot be written, std::invalid_argument for bad
/// options. Thread safety: reentrant.
void write_csv(const Frame& frame, const std::filesystem::path& path, const CsvOptions& options = {});
/// As above, to a stream. Throws std::system_error when the stream fails.
void write_csv(const Frame& frame, std::ostream& out, const CsvOptions& options = {});

}  // namespace mpp
