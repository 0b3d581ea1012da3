// read_csv: the reader. It takes the tokeniser's fields and record ends (csv_tokenizer.hpp), tracks
// where each field is, hands it to its column (csv_column.hpp), which infers the column's type, and
// turns every malformed input into mpp::ParseError with a file, a line and a field number. The
// bytes come from a Source (csv_source.hpp); a column that turns to text is read in a second pass.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <istream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "frame/csv_column.hpp"
#include "frame/csv_source.hpp"
#include "frame/csv_tokenizer.hpp"
#include "frame/name_index.hpp"
#include "mpp/csv.hpp"
#include "mpp/errors.hpp"
#include "mpp/frame.hpp"

namespace mpp {
namespace {

using detail::csv::Block;
using detail::csv::ColumnBuilder;
using detail::csv::count_line_breaks;
using detail::csv::FileSource;
using detail::csv::Location;
using detail::csv::PendingError;
using detail::csv::Source;
using detail::csv::StreamSource;
using detail::csv::Token;
using detail::csv::TokenError;
using detail::csv::Tokenizer;
using detail::csv::TokenKind;

class Reader {
 public:
  Reader(Source& source, std::string file, const CsvOptions& options)
      : source_(source), file_(std::move(file)), options_(options) {}

  Frame read() {
    run_pass();
    if (!header_done_)
      fail({1, 0}, options_.header ? "empty input: no header row" : "empty input: no record");
    std::optional<PendingError> first;
    for (const ColumnBuilder& column : columns_) {
      auto error = column.pending_error();
      if (error && (!first || std::pair(error->at.line, error->at.field) <
                                  std::pair(first->at.line, first->at.field))) {
        first = std::move(error);
      }
    }
    if (first) fail(first->at, first->message);
    const auto deferred =
        std::find_if(columns_.begin(), columns_.end(), [](const ColumnBuilder& c) { return c.deferred(); });
    if (deferred != columns_.end()) {
      const std::string first_deferred = deferred->name();
      const std::size_t rows = rows_;
      second_pass_ = true;
      for (ColumnBuilder& column : columns_) {
        if (column.deferred()) {
          column.restart_as_text();
          column.expect(rows);
          collect_.push_back(true);
        } else {
          collect_.push_back(false);
        }
      }
      source_.rewind(first_deferred);
      run_pass();
      if (rows_ != rows) fail({line_, 0}, "the input changed while it was read");
    }
    std::vector<Column> columns;
    columns.reserve(columns_.size());
    for (ColumnBuilder& column : columns_) columns.push_back(column.finish(rows_));
    std::vector<ColumnBuilder>().swap(columns_);  // emptied: their room goes before the frame checks names
    return Frame(std::move(columns));
  }

 private:
  [[noreturn]] void fail(Location at, const std::string& message) const {
    throw ParseError("mpp::read_csv: " + message, file_, at.line, at.field);
  }

  void run_pass() {
    line_ = 1;
    record_line_ = 1;
    fields_ = 0;
    rows_ = 0;
    after_cr_ = false;
    first_record_.clear();
    if (second_pass_) header_done_ = false;
    Tokenizer tokenizer(source_, options_.delimiter, options_.max_field_size);
    std::uint64_t consumed = 0;
    for (;;) {
      std::unique_ptr<Block> block = tokenizer.next();
      const char* text = block->text.data();
      for (const Token& token : block->tokens) {
        switch (token.kind) {
          case TokenKind::null_field:
            field(nullptr, 0, false);
            break;
          case TokenKind::field:
          case TokenKind::quoted_field:
            field(text + token.offset, token.size, token.kind == TokenKind::quoted_field);
            break;
          case TokenKind::record_end:
            record(token.terminator);
            break;
        }
      }
      if (block->failure) std::rethrow_exception(block->failure);
      report(block->error, block->error_breaks);
      consumed += block->input_bytes;
      if (!estimated_ && header_done_ && rows_ > 0) estimate(consumed);
      const bool last = block->last;
      tokenizer.recycle(std::move(block));
      if (last) break;
    }
  }

  // Room for the rows the whole input should hold, from the rows of its first block.
  void estimate(std::uint64_t consumed) {
    estimated_ = true;
    const std::uint64_t total = source_.size_hint();
    if (total == 0 || consumed == 0 || second_pass_) return;
    const double rows =
        static_cast<double>(rows_) * static_cast<double>(total) / static_cast<double>(consumed);
    // A little slack beyond the estimate, less of it for a wide file: 16 rows for each of 6
    // million columns would be 800 MB reserved for nothing.
    const std::size_t slack =
        std::clamp<std::size_t>((std::size_t{1} << 20) / std::max<std::size_t>(columns_.size(), 1), 1, 16);
    const auto expected = static_cast<std::size_t>(rows * 1.02) + slack;
    for (ColumnBuilder& column : columns_) column.expect(expected);
  }

  // A tokenising error, where the tokens before it leave the reader: the field being read.
  void report(TokenError error, std::size_t breaks) const {
    switch (error) {
      case TokenError::none:
        return;
      case TokenError::quote_in_unquoted_field:
        fail({line_ + breaks, fields_ + 1},
             "a quote inside an unquoted field (quote the whole field, and write each quote in it as two "
             "quotes)");
      case TokenError::text_after_closing_quote:
        fail({line_ + breaks, fields_ + 1},
             "text after the closing quote of a quoted field (write a quote inside a quoted field as two "
             "quotes)");
      case TokenError::unterminated_quote:
        fail({line_, fields_ + 1}, "a quoted field is not closed: the input ends inside it");
      case TokenError::field_too_large:
        too_large({line_, fields_ + 1});
    }
  }

  [[noreturn]] void too_large(Location at) const {
    fail(at, "a field is longer than CsvOptions::max_field_size, " + std::to_string(options_.max_field_size) +
                 " bytes (a quote that is never closed, or input that is not CSV, makes one; raise the limit "
                 "to read longer fields)");
  }

  void field(const char* text, std::size_t size, bool quoted) {
    const Location at{line_, fields_ + 1};
    if (quoted && size > 0) line_ += count_line_breaks(text, text + size);
    if (text != nullptr && size > options_.max_field_size) too_large(at);
    ++fields_;
    after_cr_ = false;
    if (!header_done_) {
      first_record_.push_back(
          {text == nullptr ? std::nullopt : std::optional<std::string>(std::string(text, size)), quoted, at});
      return;
    }
    if (fields_ > columns_.size()) {
      fail(at, "a record with more fields than the " + std::to_string(columns_.size()) + " columns" +
                   (options_.header ? " the header names" : " of the first record"));
    }
    const std::size_t c = fields_ - 1;
    if (second_pass_ && !collect_[c]) return;
    ColumnBuilder& column = columns_[c];
    if (text == nullptr) {
      column.add_null();
    } else {
      column.add(std::string_view(text, size), quoted, at, file_);
    }
  }

  void record(int terminator) {
    // CR LF ends one line: libcsv reports the LF after the CR as an empty record.
    if (terminator == '\n' && after_cr_ && fields_ == 0) {
      after_cr_ = false;
      return;
    }
    after_cr_ = terminator == '\r';
    const std::size_t fields = std::exchange(fields_, 0);
    const std::size_t line = record_line_;
    if (terminator != -1) ++line_;
    record_line_ = line_;
    if (fields == 0) {
      // A blank line: before the first record, and among two or more columns, it is no record
      // (it cannot be one); in a one-column file it is a null value.
      if (!header_done_ || columns_.size() != 1) return;
      if (!second_pass_ || collect_[0]) columns_[0].add_null();
      ++rows_;
      return;
    }
    if (!header_done_) {
      start_columns(line);
      return;
    }
    if (fields < columns_.size()) {
      fail({line, fields + 1}, "a record with " + std::to_string(fields) + " field" +
                                   (fields == 1 ? "" : "s") + " where there are " +
                                   std::to_string(columns_.size()) + " columns");
    }
    ++rows_;
  }

  // The first record: the header, or (without one) the first row, whose width names the columns.
  void start_columns(std::size_t line) {
    header_done_ = true;
    if (second_pass_) {
      if (!options_.header) replay_first_record();
      return;
    }
    std::vector<std::string> names;
    names.reserve(first_record_.size());
    for (std::size_t i = 0; i < first_record_.size(); ++i) {
      names.push_back(options_.header ? std::move(first_record_[i].text).value_or(std::string())
                                      : std::to_string(i));
    }
    // The header's fields are names now: free them before the columns take room (a header of
    // millions of names).
    if (options_.header) std::vector<FirstField>().swap(first_record_);
    // Hashing, not pairwise comparisons: a header of n names costs O(n), however wide.
    const auto name_of = [&names](std::size_t i) { return std::string_view(names[i]); };
    std::vector<std::optional<ColumnType>> forced(names.size());
    {
      const detail::NameIndex index(names.size(), name_of);
      if (const auto repeat = index.repeated(); repeat.first != detail::NameIndex::k_npos) {
        fail({line, repeat.second + 1}, "column name '" + names[repeat.second] + "' is repeated (fields " +
                                            std::to_string(repeat.first + 1) + " and " +
                                            std::to_string(repeat.second + 1) + ")");
      }
      for (const auto& [name, type] : options_.types) {  // the last entry for a name wins
        const std::size_t position = index.find(name, name_of);
        if (position == detail::NameIndex::k_npos) {
          throw std::invalid_argument("mpp::read_csv: CsvOptions::types names column '" + name +
                                      "', which the input does not have");
        }
        forced[position] = type;
      }
    }
    columns_.reserve(names.size());
    for (std::size_t i = 0; i < names.size(); ++i) columns_.emplace_back(std::move(names[i]), forced[i]);
    if (!options_.header) replay_first_record();
  }

  // Without a header the first record is the first row.
  void replay_first_record() {
    std::vector<FirstField> fields = std::move(first_record_);
    first_record_.clear();
    for (std::size_t c = 0; c < fields.size(); ++c) {
      if (second_pass_ && !collect_[c]) continue;
      if (!fields[c].text) {
        columns_[c].add_null();
      } else {
        columns_[c].add(*fields[c].text, fields[c].quoted, fields[c].at, file_);
      }
    }
    ++rows_;
  }

  struct FirstField {
    std::optional<std::string> text;  // nullopt: null
    bool quoted;
    Location at;
  };

  Source& source_;
  std::string file_;
  const CsvOptions& options_;
  std::vector<ColumnBuilder> columns_;
  std::vector<bool> collect_;  // second pass: which columns collect their text
  std::vector<FirstField> first_record_;
  std::size_t line_ = 1;         // the line the parser is on
  std::size_t record_line_ = 1;  // the line the current record started on
  std::size_t fields_ = 0;       // fields of the current record so far
  std::size_t rows_ = 0;         // data records so far
  bool after_cr_ = false;        // the last record ended with a CR, and no field came since
  bool header_done_ = false;
  bool second_pass_ = false;
  bool estimated_ = false;
};

void check_options(const CsvOptions& options) {
  if (options.delimiter == '"' || options.delimiter == '\r' || options.delimiter == '\n') {
    throw std::invalid_argument("mpp::read_csv: the delimiter cannot be a quote, CR or LF");
  }
}

}  // namespace

Frame read_csv(const std::filesystem::path& path, const CsvOptions& options) {
  check_options(options);
  FileSource source(path);
  return Reader(source, path.string(), options).read();
}

Frame read_csv(std::istream& in, const CsvOptions& options) {
  check_options(options);
  StreamSource source(in);
  return Reader(source, "<stream>", options).read();
}

}  // namespace mpp
