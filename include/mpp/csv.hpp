// mpp::read_csv and mpp::write_csv: Frames from and to CSV (RFC 4180), with per-column type
// inference. Parsing is libcsv's (Debian's libcsv-dev); inference, positions and errors are ours.
#pragma once

#include <cstddef>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

#include "mpp/errors.hpp"  // mpp::ParseError, which read_csv throws
#include "mpp/frame.hpp"

namespace mpp {

/// How read_csv and write_csv read and write CSV.
struct CsvOptions {
  /// The field separator: any byte but '"', '\r' and '\n' (',', ';', '\t', '|', ...).
  char delimiter = ',';
  /// Whether the first record holds the column names. Without one, read_csv names the columns
  /// "0", "1", ... (as pandas' header=None) and write_csv writes no names.
  bool header = true;
  /// read_csv: columns whose type is given rather than inferred, by name ("0", "1", ... without a
  /// header). Every non-null field of such a column must parse as that type, else ParseError; a
  /// string column takes any field as it is.
  std::vector<std::pair<std::string, ColumnType>> types = {};
  /// read_csv: the most bytes one field may hold (after unquoting), 16 MiB by default. A longer
  /// field is a ParseError (with its file, line and field), found after reading at most this many
  /// bytes of it and one block (1 MiB) more: so a quote never closed, /dev/zero or a binary file
  /// fails at once with bounded memory instead of growing to gigabytes. Raise it for longer fields
  /// (std::numeric_limits<std::size_t>::max() means no limit).
  std::size_t max_field_size = std::size_t{16} << 20;
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
///   null values when there is one), a quote inside an unquoted field or text after a closing
///   quote, a quoted field that never ends, a field longer than CsvOptions::max_field_size.
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

/// Writes `frame` as CSV that read_csv reads back into an equal frame: integers as they are,
/// doubles in the shortest form that reads back to the same bits (std::to_chars; always with a
/// '.', an exponent, or inf/nan, so they read back as float64), strings quoted when they hold the
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
