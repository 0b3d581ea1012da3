// The tokeniser (csv_tokenizer.hpp): libcsv's set-up, its callbacks, and the thread that feeds it
// the input a block at a time; its errors are classified here and reported by the reader.
#include "frame/csv_tokenizer.hpp"

#include <csv.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>
#include <utility>

#include "frame/csv_source.hpp"

namespace mpp::detail::csv {
namespace {

constexpr std::size_t k_block_size = std::size_t{1} << 20;  // bytes read and parsed at a time
constexpr std::size_t k_min_step = 4096;                    // libcsv's field buffer grows by at least this
constexpr std::string_view k_bom = "\xEF\xBB\xBF";

// libcsv's parser states (libcsv.c, 3.0.3), which it saves in csv_parser::pstate when csv_parse
// returns: where a comment character is (tests/unit/frame/csv_test.cpp covers each case).
constexpr int k_row_not_begun = 0;
constexpr int k_field_begun = 2;

// libcsv asks its "space" function about the bytes of unquoted fields and the first byte of every
// field, but not about a quote inside an unquoted field, nor about the bytes of a quoted one:
// nothing is a space here, so spaces stay part of fields (RFC 4180), and a quote asked about means
// the field being read is quoted. A quoted field is text.
thread_local bool t_field_quoted = false;
thread_local char t_quote = '"';

int note_quote(unsigned char c) {
  if (c == static_cast<unsigned char>(t_quote)) t_field_quoted = true;
  return 0;
}

class CsvParser {
 public:
  explicit CsvParser(const TokenizerOptions& options) {
    if (csv_init(&parser_, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL | CSV_EMPTY_IS_NULL) != 0) {
      throw std::bad_alloc();
    }
    csv_set_delim(&parser_, static_cast<unsigned char>(options.delimiter));
    csv_set_quote(&parser_, static_cast<unsigned char>(options.quote));
    csv_set_space_func(&parser_, &note_quote);
    csv_set_blk_size(&parser_, k_min_step);
  }
  CsvParser(const CsvParser&) = delete;
  CsvParser& operator=(const CsvParser&) = delete;
  ~CsvParser() { csv_free(&parser_); }
  csv_parser* get() noexcept { return &parser_; }

 private:
  csv_parser parser_{};
};

}  // namespace

Tokenizer::Tokenizer(Source& source, const TokenizerOptions& options) : source_(source), options_(options) {
  for (std::size_t i = 0; i < k_blocks; ++i) free_.push_back(std::make_unique<Block>());
  thread_ = std::thread([this] { run(); });
}

Tokenizer::~Tokenizer() {
  {
    const std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

std::unique_ptr<Block> Tokenizer::next() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return !ready_.empty(); });
  std::unique_ptr<Block> block = std::move(ready_.front());
  ready_.pop_front();
  return block;
}

void Tokenizer::recycle(std::unique_ptr<Block> block) {
  {
    const std::lock_guard lock(mutex_);
    free_.push_back(std::move(block));
  }
  changed_.notify_all();
}

void Tokenizer::run() noexcept {
  std::unique_ptr<Block> block;
  try {
    CsvParser parser(options_);
    std::vector<char> buffer(k_block_size);
    t_field_quoted = false;
    t_quote = options_.quote;
    bool first = true;
    for (;;) {
      block = take_free();
      if (!block) return;  // stopped
      std::size_t size = source_.read(buffer.data(), buffer.size());
      block->input_bytes = size;
      if (size == 0) {
        if (csv_fini(parser.get(), &on_field, &on_record, block.get()) != 0) {
          block->error = TokenError::unterminated_quote;
        }
        block->last = true;
        publish(std::move(block));
        return;
      }
      const char* data = buffer.data();
      if (first && std::string_view(data, size).starts_with(k_bom)) {
        data += k_bom.size();
        size -= k_bom.size();
      }
      first = false;
      const bool parsed = feed(*parser.get(), data, size, *block);
      if (block->failure || !parsed) {  // failed, or malformed input: the block says which
        block->last = true;
      } else if (too_large(*parser.get())) {
        block->error = TokenError::field_too_large;
        block->last = true;
      } else {
        // libcsv grows its field buffer by blk_size at a time: a constant step would copy a long
        // field over and over (quadratic where realloc cannot grow in place), so the step
        // follows the buffer's size, up to the limit; the buffer at most doubles it.
        csv_set_blk_size(parser.get(), std::max(k_min_step, std::min(csv_get_buffer_size(parser.get()),
                                                                     options_.max_field_size)));
      }
      const bool last = block->last;
      publish(std::move(block));
      if (last) return;
    }
  } catch (...) {
    if (!block) block = std::make_unique<Block>();
    block->failure = std::current_exception();
    block->last = true;
    publish(std::move(block));
  }
}

bool Tokenizer::too_large(const csv_parser& parser) const noexcept {
  return parser.entry_pos > 1 && parser.entry_pos - 1 > options_.max_field_size;
}

bool Tokenizer::feed(csv_parser& parser, const char* data, std::size_t size, Block& block) {
  const char* end = data + size;
  while (data != end) {
    if (after_comment_cr_) {  // the LF of a whole-line comment's CR LF
      after_comment_cr_ = false;
      if (*data == '\n') ++data;
      continue;
    }
    if (in_comment_) {
      const char* line_end = std::find_if(data, end, [](char c) { return c == '\n' || c == '\r'; });
      data = line_end;
      if (data == end) return true;
      in_comment_ = false;
      if (comment_line_) {
        // A line that is a comment is no record (pandas ignores it): its line break goes too.
        comment_line_ = false;
        if (*data == '\r' && data + 1 == end) after_comment_cr_ = true;
        data += *data == '\r' && data + 1 != end && data[1] == '\n' ? 2 : 1;
        block.tokens.push_back({0, 0, 0, TokenKind::comment_line});
        continue;
      }
    }
    // Up to the next comment character, which libcsv takes for an ordinary byte.
    const char* stop = end;
    if (options_.comment) {
      stop = static_cast<const char*>(
          std::memchr(data, *options_.comment, static_cast<std::size_t>(end - data)));
      if (stop == nullptr) stop = end;
    }
    const auto chunk = static_cast<std::size_t>(stop - data);
    const std::size_t parsed = csv_parse(&parser, data, chunk, &on_field, &on_record, &block);
    if (block.failure) return false;
    if (parsed != chunk) {
      if (!forgive(parser, data[parsed], block)) return false;
      data += parsed + 1;
      continue;
    }
    data = stop;
    if (data == end) break;
    if (parser.quoted != 0 && parser.pstate == k_field_begun) {
      // Inside a quoted field a comment character is text, as pandas reads it.
      csv_parse(&parser, data, 1, &on_field, &on_record, &block);
      if (block.failure) return false;
      ++data;
      continue;
    }
    in_comment_ = true;
    comment_line_ = parser.pstate == k_row_not_begun;
    ++data;
  }
  return true;
}

bool Tokenizer::forgive(csv_parser& parser, char c, Block& block) const {
  if (options_.strict_quotes || csv_error(&parser) != CSV_EPARSE) {
    classify_error(parser, block);
    return false;
  }
  // As pandas and Python's csv module read them: a quote inside an unquoted field is a quote
  // (12" pipe), and text after a closing quote goes on as unquoted text ("ab"cd is abcd). libcsv
  // stopped in front of that byte with the field so far in its buffer: the byte is added, and
  // libcsv goes on as in an unquoted field (its saved state, which csv_parse reads back).
  // After a closing quote libcsv holds the quote at the end of its buffer, to drop or keep it.
  if (parser.quoted != 0 && parser.entry_pos > 0) --parser.entry_pos;
  if (parser.entry_pos == parser.entry_size) {
    const std::size_t size = parser.entry_size + std::max<std::size_t>(parser.blk_size, k_min_step);
    auto* grown = static_cast<unsigned char*>(parser.realloc_func != nullptr
                                                  ? parser.realloc_func(parser.entry_buf, size)
                                                  : std::realloc(parser.entry_buf, size));
    if (grown == nullptr) {
      block.failure = std::make_exception_ptr(std::bad_alloc());
      return false;
    }
    parser.entry_buf = grown;
    parser.entry_size = size;
  }
  parser.entry_buf[parser.entry_pos++] = static_cast<unsigned char>(c);
  parser.quoted = 0;
  parser.pstate = k_field_begun;
  parser.status = CSV_SUCCESS;
  return true;
}

void Tokenizer::classify_error(const csv_parser& parser, Block& block) {
  switch (csv_error(const_cast<csv_parser*>(&parser))) {
    case CSV_ENOMEM:
      block.failure = std::make_exception_ptr(std::bad_alloc());
      return;
    case CSV_ETOOBIG:
      block.error = TokenError::field_too_large;
      return;
    default:
      break;
  }
  // The field being read so far is in libcsv's buffer: its line breaks move the line on.
  block.error_breaks = count_line_breaks(parser.entry_buf, parser.entry_buf + parser.entry_pos);
  block.error =
      parser.quoted != 0 ? TokenError::text_after_closing_quote : TokenError::quote_in_unquoted_field;
}

std::unique_ptr<Block> Tokenizer::take_free() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return stop_ || !free_.empty(); });
  if (stop_) return nullptr;
  std::unique_ptr<Block> block = std::move(free_.back());
  free_.pop_back();
  block->clear();
  return block;
}

void Tokenizer::publish(std::unique_ptr<Block> block) {
  {
    const std::lock_guard lock(mutex_);
    ready_.push_back(std::move(block));
  }
  changed_.notify_all();
}

void Tokenizer::on_field(void* text, std::size_t size, void* data) {
  auto& block = *static_cast<Block*>(data);
  const bool quoted = std::exchange(t_field_quoted, false);
  if (block.failure) return;
  try {
    if (text == nullptr) {
      block.tokens.push_back({0, 0, 0, TokenKind::null_field});
    } else {
      block.tokens.push_back(
          {block.text.size(), size, 0, quoted ? TokenKind::quoted_field : TokenKind::field});
      block.text.append(static_cast<const char*>(text), size);
    }
  } catch (...) {
    block.failure = std::current_exception();
  }
}

void Tokenizer::on_record(int terminator, void* data) {
  auto& block = *static_cast<Block*>(data);
  if (block.failure) return;
  try {
    block.tokens.push_back({0, 0, terminator, TokenKind::record_end});
  } catch (...) {
    block.failure = std::current_exception();
  }
}

}  // namespace mpp::detail::csv
