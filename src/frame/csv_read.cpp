// read_csv: the reader. It takes the tokeniser's fields and record ends (csv_tokenizer.hpp), tracks
// where each field is, hands it to its column (csv_column.hpp), which infers the column's type, and
// turns every malformed input into mpp::ParseError with a file, a line and a field number. The
// bytes come from a Source (csv_source.hpp); a column that turns to text is read in a second pass.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <istream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "frame/csv_column.hpp"
#include "frame/csv_gzip.hpp"
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
      : source_(source), file_(std::move(file)), options_(options) {
    for (const std::string& value : options_.na_values) {
      if (!value.empty()) na_values_.insert(value);
    }
  }

  Frame read() {
    run_pass();
    if (!header_done_) {
      const std::string skipped = options_.skiprows == 0 ? std::string()
                                                         : " after the " + std::to_string(options_.skiprows) +
                                                               " lines CsvOptions::skiprows skips";
      fail({1, 0}, (options_.header ? "empty input: no header row" : "empty input: no record") + skipped);
    }
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
      collect_.clear();
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
    skipped_ = 0;
    done_ = false;
    after_cr_ = false;
    first_record_.clear();
    if (second_pass_) header_done_ = false;
    Tokenizer tokenizer(source_, {.delimiter = options_.delimiter,
                                  .quote = options_.quotechar,
                                  .comment = options_.comment,
                                  .strict_quotes = options_.strict_quotes,
                                  .max_field_size = options_.max_field_size});
    std::uint64_t consumed = 0;
    for (;;) {
      std::unique_ptr<Block> block = tokenizer.next();
      const char* text = block->text.data();
      for (const Token& token : block->tokens) {
        if (done_) break;
        switch (token.kind) {
          case TokenKind::comment_line:
            ++line_;
            record_line_ = line_;
            after_cr_ = false;
            // pandas' skiprows counts a whole-line comment as one of the lines it skips.
            if (skipped_ < options_.skiprows) ++skipped_;
            break;
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
      if (done_) break;
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
    auto expected = static_cast<std::size_t>(rows * 1.02) + slack;
    if (options_.nrows) expected = std::min(expected, *options_.nrows);
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
    if (skipped_ < options_.skiprows) return;
    if (!header_done_) {
      first_record_.push_back(
          {text == nullptr ? std::nullopt : std::optional<std::string>(std::string(text, size)), quoted, at});
      return;
    }
    if (fields_ > width_) {
      fail(at, "a record with more fields than the " + std::to_string(width_) + " columns" +
                   (options_.header ? " the header names" : " of the first record"));
    }
    const std::size_t c = slots_[fields_ - 1];
    if (c == k_unused || (second_pass_ && !collect_[c])) return;
    ColumnBuilder& column = columns_[c];
    if (text == nullptr || (!quoted && is_na(text, size))) {
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
    if (skipped_ < options_.skiprows) {
      // pandas' skiprows counts lines at the start, blank ones too; the last record of an input
      // without a final line break is no extra line.
      if (fields != 0 || terminator != -1) ++skipped_;
      return;
    }
    if (fields == 0) {
      // A blank line: before the first record, and among two or more columns, it is no record
      // (it cannot be one); in a one-column file it is a null value.
      if (!header_done_ || width_ != 1) return;
      if (slots_[0] != k_unused && (!second_pass_ || collect_[0])) columns_[0].add_null();
      count_row();
      return;
    }
    if (!header_done_) {
      start_columns(line);
      return;
    }
    if (fields < width_) {
      fail({line, fields + 1}, "a record with " + std::to_string(fields) + " field" +
                                   (fields == 1 ? "" : "s") + " where there are " + std::to_string(width_) +
                                   " columns");
    }
    count_row();
  }

  void count_row() {
    ++rows_;
    if (options_.nrows && rows_ >= *options_.nrows) done_ = true;
  }

  [[nodiscard]] bool is_na(const char* text, std::size_t size) const {
    return !na_values_.empty() && na_values_.contains(std::string_view(text, size));
  }

  // Which columns of the input become columns (CsvOptions::usecols), as slots_: each field's
  // column, or k_unused.
  std::vector<bool> used_columns(const std::vector<std::string>& names, const detail::NameIndex& index,
                                 const std::function<std::string_view(std::size_t)>& name_of) const {
    std::vector<bool> used(names.size(), options_.usecols.empty());
    for (const CsvColumn& key : options_.usecols) {
      std::size_t position = key.position();
      if (key.name()) {
        position = index.find(*key.name(), name_of);
        if (position == detail::NameIndex::k_npos) {
          throw std::invalid_argument("mpp::read_csv: CsvOptions::usecols names column '" + *key.name() +
                                      "', which " + file_ + " does not have");
        }
      } else if (position >= names.size()) {
        throw std::invalid_argument("mpp::read_csv: CsvOptions::usecols names column position " +
                                    std::to_string(position) + ", but " + file_ + " has " +
                                    std::to_string(names.size()) + " columns");
      }
      used[position] = true;
    }
    return used;
  }

  // The first record: the header, or (without one) the first row, whose width names the columns.
  void start_columns(std::size_t line) {
    header_done_ = true;
    if (second_pass_) {
      if (!options_.header && options_.nrows != 0U) replay_first_record();
      if (options_.nrows && rows_ >= *options_.nrows) done_ = true;
      return;
    }
    std::vector<std::string> names;
    names.reserve(first_record_.size());
    for (std::size_t i = 0; i < first_record_.size(); ++i) {
      if (!options_.header) {
        names.push_back(std::to_string(i));
      } else if (first_record_[i].text) {
        names.push_back(std::move(*first_record_[i].text));
      } else {
        // An empty unquoted name, as pandas names it: the header df.to_csv() writes for its index
        // (",a,b") reads as in pandas, and two empty names are not a repeated one. A quoted ""
        // stays "", the name write_csv writes so for a column named "".
        std::string name = "Unnamed: ";
        name.append(std::to_string(i));
        names.push_back(std::move(name));
      }
    }
    // The header's fields are names now: free them before the columns take room (a header of
    // millions of names).
    if (options_.header) std::vector<FirstField>().swap(first_record_);
    // Hashing, not pairwise comparisons: a header of n names costs O(n), however wide.
    const std::function<std::string_view(std::size_t)> name_of = [&names](std::size_t i) {
      return std::string_view(names[i]);
    };
    std::vector<std::optional<ColumnType>> forced(names.size());
    std::vector<bool> used;
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
      for (const std::string& name : options_.parse_dates) {
        const std::size_t position = index.find(name, name_of);
        if (position == detail::NameIndex::k_npos) {
          throw std::invalid_argument("mpp::read_csv: CsvOptions::parse_dates names column '" + name +
                                      "', which the input does not have");
        }
        forced[position] = ColumnType::datetime;
      }
      used = used_columns(names, index, name_of);
    }
    width_ = names.size();
    slots_.assign(width_, k_unused);
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (!used[i]) continue;
      slots_[i] = columns_.size();
      columns_.emplace_back(std::move(names[i]), forced[i]);
    }
    if (!options_.header && options_.nrows != 0U) replay_first_record();
    if (options_.nrows && rows_ >= *options_.nrows) done_ = true;
  }

  // Without a header the first record is the first row.
  void replay_first_record() {
    std::vector<FirstField> fields = std::move(first_record_);
    first_record_.clear();
    for (std::size_t f = 0; f < fields.size(); ++f) {
      const std::size_t c = slots_[f];
      if (c == k_unused || (second_pass_ && !collect_[c])) continue;
      const auto& text = fields[f].text;
      if (!text || (!fields[f].quoted && is_na(text->data(), text->size()))) {
        columns_[c].add_null();
      } else {
        columns_[c].add(*text, fields[f].quoted, fields[f].at, file_);
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
  static constexpr std::size_t k_unused = static_cast<std::size_t>(-1);

  std::vector<ColumnBuilder> columns_;
  std::vector<std::size_t> slots_;                  // each field's column in columns_, or k_unused (usecols)
  std::size_t width_ = 0;                           // fields in a record: the header's
  std::unordered_set<std::string_view> na_values_;  // views of options_.na_values
  std::vector<bool> collect_;                       // second pass: which columns collect their text
  std::vector<FirstField> first_record_;
  std::size_t line_ = 1;         // the line the parser is on
  std::size_t record_line_ = 1;  // the line the current record started on
  std::size_t fields_ = 0;       // fields of the current record so far
  std::size_t rows_ = 0;         // data records so far
  std::size_t skipped_ = 0;      // records skipped so far (CsvOptions::skiprows)
  bool done_ = false;            // CsvOptions::nrows rows read: the rest is not
  bool after_cr_ = false;        // the last record ended with a CR, and no field came since
  bool header_done_ = false;
  bool second_pass_ = false;
  bool estimated_ = false;
};

void check_options(const CsvOptions& options) {
  const auto line_break = [](char c) { return c == '\r' || c == '\n'; };
  if (options.delimiter == options.quotechar || line_break(options.delimiter)) {
    throw std::invalid_argument("mpp::read_csv: the delimiter cannot be the quote character, CR or LF");
  }
  if (line_break(options.quotechar)) {
    throw std::invalid_argument("mpp::read_csv: the quote character cannot be CR or LF");
  }
  if (options.comment && (*options.comment == options.delimiter || *options.comment == options.quotechar ||
                          line_break(*options.comment))) {
    throw std::invalid_argument(
        "mpp::read_csv: the comment character cannot be the delimiter, the quote character, CR or LF");
  }
}

}  // namespace

std::vector<std::string> pandas_na_values() {
  return {"",        "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
          "1.#QNAN", "<NA>", "N/A",      "NA",  "NULL",    "NaN",      "n/a",  "nan",  "null"};
}

void CsvColumn::throw_negative(std::int64_t position) {
  throw std::invalid_argument("mpp::CsvColumn: position " + std::to_string(position) + " is negative");
}

Frame read_csv(const std::filesystem::path& path, const CsvOptions& options) {
  check_options(options);
  FileSource source(path);
  if (detail::csv::gzip_for(path, options)) {
    detail::csv::GzipSource gzip(source, path.string());
    return Reader(gzip, path.string(), options).read();
  }
  if (options.compression == CsvCompression::infer) {
    detail::csv::NotGzipSource plain(source, path.string());
    return Reader(plain, path.string(), options).read();
  }
  return Reader(source, path.string(), options).read();
}

Frame read_csv(std::istream& in, const CsvOptions& options) {
  check_options(options);
  StreamSource source(in);
  if (options.compression == CsvCompression::gzip) {
    detail::csv::GzipSource gzip(source, "<stream>");
    return Reader(gzip, "<stream>", options).read();
  }
  if (options.compression == CsvCompression::infer) {
    detail::csv::NotGzipSource plain(source, "<stream>");
    return Reader(plain, "<stream>", options).read();
  }
  return Reader(source, "<stream>", options).read();
}

}  // namespace mpp
