// The tokeniser (csv_tokenizer.hpp): libcsv's set-up, its callbacks, and the thread that feeds it
// the input a block at a time; its errors are classified here and reported by the reader.
#include "frame/csv_tokenizer.hpp"

#include <csv.h>

#include <algorithm>
#include <new>
#include <string_view>
#include <utility>

#include "frame/csv_source.hpp"

namespace mpp::detail::csv {
namespace {

constexpr std::size_t k_block_size = std::size_t{1} << 20;  // bytes read and parsed at a time
constexpr std::size_t k_min_step = 4096;                    // libcsv's field buffer grows by at least this
constexpr std::string_view k_bom = "\xEF\xBB\xBF";

// libcsv asks its "space" function about the first byte of every field (and only in quoted fields
// about a quote after that): nothing is a space here, so spaces stay part of fields (RFC 4180),
// and a quote asked about means the field being read is quoted. A quoted field is text.
thread_local bool t_field_quoted = false;

int note_quote(unsigned char c) {
  if (c == '"') t_field_quoted = true;
  return 0;
}

class CsvParser {
 public:
  explicit CsvParser(char delimiter) {
    if (csv_init(&parser_, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL | CSV_EMPTY_IS_NULL) != 0) {
      throw std::bad_alloc();
    }
    csv_set_delim(&parser_, static_cast<unsigned char>(delimiter));
    csv_set_quote(&parser_, '"');
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

Tokenizer::Tokenizer(Source& source, char delimiter, std::size_t max_field_size)
    : source_(source), delimiter_(delimiter), max_field_size_(max_field_size) {
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
    CsvParser parser(delimiter_);
    std::vector<char> buffer(k_block_size);
    t_field_quoted = false;
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
      const std::size_t parsed = csv_parse(parser.get(), data, size, &on_field, &on_record, block.get());
      if (block->failure) {
        block->last = true;
      } else if (parsed != size) {
        classify_error(*parser.get(), *block);
        block->last = true;
      } else if (too_large(*parser.get())) {
        block->error = TokenError::field_too_large;
        block->last = true;
      } else {
        // libcsv grows its field buffer by blk_size at a time: a constant step would copy a long
        // field over and over (quadratic where realloc cannot grow in place), so the step
        // follows the buffer's size, up to the limit; the buffer at most doubles it.
        csv_set_blk_size(parser.get(),
                         std::max(k_min_step, std::min(csv_get_buffer_size(parser.get()), max_field_size_)));
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
  return parser.entry_pos > 1 && parser.entry_pos - 1 > max_field_size_;
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
