// write_csv: what it writes, read_csv reads back into an equal frame (docs/frame.md, "Round trip").
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "frame/csv_gzip.hpp"
#include "frame/double_text.hpp"
#include "frame/frame_datetime.hpp"
#include "mpp/csv.hpp"
#include "mpp/detail/frame/frame_number.hpp"
#include "mpp/detail/posix/fd.hpp"
#include "mpp/frame.hpp"
#include "posix/syscall.hpp"

namespace mpp {
namespace {

constexpr std::size_t k_flush_size = std::size_t{1} << 20;

// What makes read_csv read a text unquoted as something else: the options it reads with.
struct Quoting {
  char delimiter;
  char quote;
  std::optional<char> comment;
  const std::vector<std::string>& na_values;
};

// Text that read_csv would not read back as this same text when unquoted: empty (null), holding
// the delimiter, a quote, a line break or the comment character, with spaces at an end (other
// readers trim them), starting with a byte-order mark (skipped at the start of a file) or with
// gzip's magic bytes (refused at the start of a file read as plain CSV), one of the na_values, or
// a number.
bool needs_quotes(std::string_view text, const Quoting& quoting) {
  if (text.empty()) return true;
  for (const char c : text) {
    if (c == quoting.delimiter || c == quoting.quote || c == '\n' || c == '\r' || c == quoting.comment)
      return true;
  }
  if (std::find(quoting.na_values.begin(), quoting.na_values.end(), text) != quoting.na_values.end())
    return true;
  const auto blank = [](char c) { return c == ' ' || c == '\t'; };
  if (blank(text.front()) || blank(text.back()) || text.starts_with("\xEF\xBB\xBF") ||
      text.starts_with("\x1F\x8B"))
    return true;
  return detail::parse_number(text).form != detail::NumberForm::text;
}

void append_text(std::string& out, std::string_view text, const Quoting& quoting) {
  const char quote = quoting.quote;
  if (!needs_quotes(text, quoting)) {
    out.append(text);
    return;
  }
  out.push_back(quote);
  for (const char c : text) {
    if (c == quote) out.push_back(quote);
    out.push_back(c);
  }
  out.push_back(quote);
}

void append_integer(std::string& out, std::int64_t value) {
  char buffer[24];
  const auto [end, error] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out.append(buffer, end);
}

// As pandas' to_csv writes a float64 (Python's str()): the shortest text that reads back to the
// same bits, an integral value with ".0" so that it reads back as float64, not int64.
void append_double(std::string& out, double value) { detail::append_double_text(out, value); }

// Builds the CSV in blocks and hands each to `sink`.
template <class Sink>
void write_frame(const Frame& frame, const CsvOptions& options, Sink&& sink) {
  const auto line_break = [](char c) { return c == '\r' || c == '\n'; };
  if (options.delimiter == options.quotechar || line_break(options.delimiter)) {
    throw std::invalid_argument("mpp::write_csv: the delimiter cannot be the quote character, CR or LF");
  }
  if (line_break(options.quotechar))
    throw std::invalid_argument("mpp::write_csv: the quote character cannot be CR or LF");
  if (frame.num_columns() == 0) return;
  const char delimiter = options.delimiter;
  const Quoting quoting{delimiter, options.quotechar, options.comment, options.na_values};
  std::string out;
  out.reserve(k_flush_size + 4096);
  if (options.header) {
    for (std::size_t c = 0; c < frame.num_columns(); ++c) {
      if (c > 0) out.push_back(delimiter);
      append_text(out, frame.column(c).name(), quoting);
    }
    out.push_back('\n');
  }
  const std::vector<Column>& columns = frame.columns();
  // A datetime column is written in one format, chosen from all its values, as pandas does.
  std::vector<detail::DatetimeFormat> formats(columns.size());
  for (std::size_t c = 0; c < columns.size(); ++c) {
    if (columns[c].type() != ColumnType::datetime) continue;
    const detail::ColumnData& data = detail::FrameAccess::data(columns[c]);
    const std::uint8_t* nulls = data.null_flags();
    formats[c] =
        detail::datetime_format(columns[c].values<std::int64_t>(),
                                nulls == nullptr ? nullptr : nulls + detail::FrameAccess::offset(columns[c]));
  }
  for (std::size_t row = 0; row < frame.num_rows(); ++row) {
    for (std::size_t c = 0; c < columns.size(); ++c) {
      if (c > 0) out.push_back(delimiter);
      const Column& column = columns[c];
      if (column.is_null(row)) continue;
      switch (column.type()) {
        case ColumnType::int64:
          append_integer(out, column.values<std::int64_t>()[row]);
          break;
        case ColumnType::float64:
          append_double(out, column.values<double>()[row]);
          break;
        case ColumnType::string:
          append_text(out, column.values<std::string>()[row], quoting);
          break;
        case ColumnType::boolean:
          out.append(column.values<std::int64_t>()[row] != 0 ? "True" : "False");
          break;
        case ColumnType::datetime:
          detail::append_datetime(out, column.values<std::int64_t>()[row], formats[c]);
          break;
      }
    }
    out.push_back('\n');
    if (out.size() >= k_flush_size) {
      sink(out);
      out.clear();
    }
  }
  if (!out.empty()) sink(out);
}

class FileSink {
 public:
  explicit FileSink(const std::filesystem::path& path) : path_(path) {
    const int fd = detail::posix::retried(
        "open", [&] { return ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666); });
    if (fd < 0) fail("cannot create", -fd);
    fd_.reset(fd);
  }
  FileSink(const FileSink&) = delete;
  FileSink& operator=(const FileSink&) = delete;
  ~FileSink() = default;

  void operator()(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t wrote =
          detail::posix::retried("write", [&] { return ::write(fd_.get(), bytes.data(), bytes.size()); });
      if (wrote < 0) fail("cannot write", static_cast<int>(-wrote));
      bytes.remove_prefix(static_cast<std::size_t>(wrote));
    }
  }

  // close() reports what a delayed write failure (a full disk over NFS) leaves for it.
  void close() {
    if (const int error = -fd_.close(); error != 0) fail("cannot write", error);
  }

 private:
  [[noreturn]] void fail(const char* what, int error) const {
    throw std::system_error(error, std::generic_category(),
                            "mpp::write_csv: " + std::string(what) + " '" + path_.string() + "'");
  }
  std::filesystem::path path_;
  detail::Fd fd_;
};

}  // namespace

void write_csv(const Frame& frame, const std::filesystem::path& path, const CsvOptions& options) {
  FileSink sink(path);
  if (detail::csv::gzip_for(path, options)) {
    detail::csv::GzipSink gzip([&](std::string_view bytes) { sink(bytes); });
    write_frame(frame, options, gzip);
    gzip.finish();
  } else {
    write_frame(frame, options, sink);
  }
  sink.close();
}

void write_csv(const Frame& frame, std::ostream& out, const CsvOptions& options) {
  const auto to_stream = [&](std::string_view bytes) {
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      throw std::system_error(std::make_error_code(std::io_errc::stream),
                              "mpp::write_csv: the stream failed");
    }
  };
  if (options.compression == CsvCompression::gzip) {
    detail::csv::GzipSink gzip(to_stream);
    write_frame(frame, options, gzip);
    gzip.finish();
  } else {
    write_frame(frame, options, to_stream);
  }
}

}  // namespace mpp
