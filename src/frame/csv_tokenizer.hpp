// read_csv's tokeniser: libcsv (RFC 4180 quoting, any mix of CR and LF) run over the input on a
// thread of its own, handing the reader blocks of tokens (fields and record ends) in input order.
// Apart from the reader because it is the byte-level half and the only code that sees libcsv or
// runs on another thread; the reader turns its tokens into lines, fields and columns.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

struct csv_parser;  // libcsv's, seen only by csv_tokenizer.cpp

namespace mpp::detail::csv {

class Source;

// Line breaks in [begin, end): CR LF, LF and a lone CR each end one line, as they end records.
template <class Char>
std::size_t count_line_breaks(const Char* begin, const Char* end) noexcept {
  std::size_t breaks = 0;
  for (const Char* c = begin; c != end; ++c) {
    if (*c == '\n') {
      ++breaks;
    } else if (*c == '\r' && (c + 1 == end || c[1] != '\n')) {
      ++breaks;
    }
  }
  return breaks;
}

// What libcsv reports, in order: fields and record ends; and the lines a comment took whole
// (CsvOptions::comment), which are no record but move the line count on.
enum class TokenKind : std::uint8_t { null_field, field, quoted_field, record_end, comment_line };

struct Token {
  std::size_t offset;  // of a field's text in its block's `text`
  std::size_t size;
  int terminator;  // a record end's byte (CR, LF), or -1 at the end of the input
  TokenKind kind;
};

// A tokenising error, found on the tokenising thread and reported by the reader in order.
enum class TokenError : std::uint8_t {
  none,
  quote_in_unquoted_field,
  text_after_closing_quote,
  unterminated_quote,
  field_too_large,
};

// The tokens of one block of input.
struct Block {
  std::string text;
  std::vector<Token> tokens;
  std::uint64_t input_bytes = 0;  // of the input this block covers
  bool last = false;              // nothing follows (the input ended, or an error below)
  TokenError error = TokenError::none;
  std::size_t error_breaks = 0;  // line breaks in the field libcsv was reading when it failed
  std::exception_ptr failure;    // reading failed, or memory ran out

  void clear() {
    text.clear();
    tokens.clear();
    input_bytes = 0;
    last = false;
    error = TokenError::none;
    error_breaks = 0;
    failure = nullptr;
  }
};

// Runs libcsv over the whole input on a thread of its own, a block at a time, while the reader
// converts the previous block's fields: tokenising and converting each take about half of the
// time, so a large file reads in about half the time on two cores. A few blocks are in flight at
// most, so memory holds the columns, not the file.
struct TokenizerOptions {
  char delimiter = ',';
  char quote = '"';
  std::optional<char> comment;
  bool strict_quotes = false;
  std::size_t max_field_size = 0;
};

class Tokenizer {
 public:
  Tokenizer(Source& source, const TokenizerOptions& options);
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;
  ~Tokenizer();

  /// The next block, in input order; blocks until it is tokenised. The last has `last` set.
  std::unique_ptr<Block> next();

  /// Gives a block back for the tokeniser to fill again.
  void recycle(std::unique_ptr<Block> block);

 private:
  static constexpr std::size_t k_blocks = 3;

  // The tokenising thread. Never throws: what fails is handed over in the block.
  void run() noexcept;

  // Whether the field libcsv is in the middle of has more than max_field_size bytes already (its
  // buffer may also hold a quoted field's closing quote). Checked after every block, so the
  // buffer holds at most max_field_size bytes and one block more.
  [[nodiscard]] bool too_large(const csv_parser& parser) const noexcept;

  static void classify_error(const csv_parser& parser, Block& block);

  // Hands [data, data + size) to libcsv, taking out comments and, unless strict_quotes, reading a
  // stray quote as pandas does. False when the input is malformed (the block says why).
  bool feed(csv_parser& parser, const char* data, std::size_t size, Block& block);
  // After libcsv stopped at `c` with CSV_EPARSE: true when `c` was added to the field as pandas
  // reads it (a quote inside an unquoted field, or text after a closing quote).
  bool forgive(csv_parser& parser, char c, Block& block) const;

  std::unique_ptr<Block> take_free();

  void publish(std::unique_ptr<Block> block);

  // libcsv's callbacks, on the tokenising thread. Exceptions must not unwind through libcsv's C
  // frames: one is kept in the block, which then ends the input.
  static void on_field(void* text, std::size_t size, void* data);
  static void on_record(int terminator, void* data);

  Source& source_;
  const TokenizerOptions options_;
  bool in_comment_ = false;        // dropping a comment's bytes up to the line break
  bool comment_line_ = false;      // ... and the line break too: the comment is the whole line
  bool after_comment_cr_ = false;  // a whole-line comment ended with CR at the end of a block
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::unique_ptr<Block>> free_;  // under mutex_
  std::deque<std::unique_ptr<Block>> ready_;  // under mutex_
  bool stop_ = false;                         // under mutex_
  std::thread thread_;                        // last: started once everything it uses is built
};

}  // namespace mpp::detail::csv
