// read_csv: libcsv tokenises (RFC 4180 quoting, any mix of CR and LF); this file tracks where each
// field is, infers each column's type as its fields arrive, and turns every malformed input into
// mpp::ParseError with a file, a line and a field number.
#include <csv.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <istream>
#include <limits>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "frame/name_index.hpp"
#include "mpp/csv.hpp"
#include "mpp/detail/core/config.hpp"
#include "mpp/detail/frame/frame_number.hpp"
#include "mpp/detail/frame/frame_storage.hpp"
#include "mpp/detail/posix/fd.hpp"
#include "mpp/errors.hpp"
#include "mpp/frame.hpp"
#include "posix/syscall.hpp"

namespace mpp {
namespace {

using detail::NumberForm;
using detail::ParsedNumber;

constexpr std::size_t k_block_size = std::size_t{1} << 20;  // bytes read and parsed at a time
constexpr std::size_t k_min_step = 4096;                    // libcsv's field buffer grows by at least this
constexpr std::string_view k_bom = "\xEF\xBB\xBF";

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

// -- where the bytes come from ------------------------------------------------------------------

class Source {
 public:
  Source() = default;
  Source(const Source&) = delete;
  Source& operator=(const Source&) = delete;
  virtual ~Source() = default;
  /// Up to `size` bytes; 0 at the end. Throws std::system_error when reading fails.
  virtual std::size_t read(char* buffer, std::size_t size) = 0;
  /// Back to the first byte, for a second pass, which `column` needs (for the error message).
  virtual void rewind(const std::string& column) = 0;
  /// The input's size in bytes when known (to size the columns ahead), else 0.
  [[nodiscard]] virtual std::uint64_t size_hint() const noexcept { return 0; }
};

// An input that cannot seek (a pipe, a FIFO, a socket, a terminal, a stream without seekg) is
// copied as it is read into an unnamed temporary file, which a second pass reads back: the disk,
// not memory, holds the copy, and having no name it disappears with its descriptor, even if the
// process dies. Making or writing the file may fail (no temporary folder, no room left): that is
// remembered and fails only a read that turns out to need the second pass.
class Spool {
 public:
  Spool() = default;
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;
  ~Spool() = default;

  /// Appends `size` bytes of the input to the copy (the first call makes the file).
  void keep(const char* data, std::size_t size) {
    if (error_ != 0 || size == 0) return;
    if (!fd_ && !open()) return;
    while (size > 0) {
      const ssize_t wrote = detail::posix::retried("write", [&] { return ::write(fd_.get(), data, size); });
      if (wrote <= 0) {
        error_ = wrote < 0 ? static_cast<int>(-wrote) : ENOSPC;
        return;
      }
      data += wrote;
      size -= static_cast<std::size_t>(wrote);
    }
  }

  /// From now on read() returns the copy from its first byte. Throws std::system_error when the
  /// copy could not be made.
  void replay(const std::string& column) {
    if (error_ != 0) {
      throw std::system_error(
          error_, std::generic_category(),
          "mpp::read_csv: column '" + column +
              "' turned to text after numeric rows, so the input must be read a second time, but it cannot "
              "seek and its copy in a temporary file in '" +
              folder_ + "' failed (give the column's type in CsvOptions::types, or free room in $TMPDIR)");
    }
    replaying_ = true;
    offset_ = 0;
  }
  [[nodiscard]] bool replaying() const noexcept { return replaying_; }

  /// Up to `size` bytes of the copy, from where the last call ended; 0 at its end.
  std::size_t read(char* buffer, std::size_t size) {
    if (!fd_) return 0;  // nothing was kept: the input was empty
    const ssize_t got =
        detail::posix::retried("pread", [&] { return ::pread(fd_.get(), buffer, size, offset_); });
    if (got < 0) {
      throw std::system_error(static_cast<int>(-got), std::generic_category(),
                              "mpp::read_csv: cannot read the temporary copy of the input");
    }
    offset_ += got;
    return static_cast<std::size_t>(got);
  }

 private:
  bool open() {
    std::error_code error;
    const std::filesystem::path folder = std::filesystem::temp_directory_path(error);
    if (error) {
      // temp_directory_path() refuses a TMPDIR that is not a folder: name what it was given.
      const char* tmpdir = std::getenv("TMPDIR");  // NOLINT(concurrency-mt-unsafe): read only
      folder_ = tmpdir != nullptr ? std::string(tmpdir) : std::string("$TMPDIR");
      error_ = error.value();
      return false;
    }
    folder_ = folder.string();
    int fd = detail::posix::retried(
        "open", [&] { return ::open(folder.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, S_IRUSR | S_IWUSR); });
    if (fd == -EOPNOTSUPP || fd == -EISDIR || fd == -EINVAL) {
      // A file system without O_TMPFILE: a named file, unlinked at once.
      std::string name = (folder / "mpp-read-csv-XXXXXX").string();
      fd = detail::posix::retried("mkostemp", [&] { return ::mkostemp(name.data(), O_CLOEXEC); });
      if (fd >= 0) ::unlink(name.c_str());
    }
    if (fd < 0) {
      error_ = -fd;
      return false;
    }
    fd_.reset(fd);
    return true;
  }

  detail::Fd fd_;
  int error_ = 0;  // why the copy failed, or 0
  std::string folder_;
  bool replaying_ = false;
  off_t offset_ = 0;
};

class FileSource final : public Source {
 public:
  explicit FileSource(const std::filesystem::path& path) : path_(path) {
    const int fd = detail::posix::retried("open", [&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); });
    if (fd < 0) fail("cannot open", -fd);
    fd_.reset(fd);
    struct stat info {};
    if (::fstat(fd_.get(), &info) == 0) {
      if (S_ISREG(info.st_mode)) size_ = static_cast<std::uint64_t>(info.st_size);
      // Anything else (a pipe, a FIFO, /dev/stdin, a socket, a character device) may not seek back.
      seekable_ = S_ISREG(info.st_mode) || S_ISBLK(info.st_mode);
    }
  }
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;
  ~FileSource() override = default;

  std::size_t read(char* buffer, std::size_t size) override {
    if (spool_.replaying()) return spool_.read(buffer, size);
    const ssize_t got = detail::posix::retried("read", [&] { return ::read(fd_.get(), buffer, size); });
    if (got < 0) fail("cannot read", static_cast<int>(-got));
    if (!seekable_) spool_.keep(buffer, static_cast<std::size_t>(got));
    return static_cast<std::size_t>(got);
  }
  void rewind(const std::string& column) override {
    if (!seekable_) {
      spool_.replay(column);
      return;
    }
    const off_t at = detail::posix::retried("lseek", [&] { return ::lseek(fd_.get(), 0, SEEK_SET); });
    if (at < 0) fail("cannot read again", static_cast<int>(-at));
  }
  [[nodiscard]] std::uint64_t size_hint() const noexcept override { return size_; }

 private:
  [[noreturn]] void fail(const char* what, int error) const {
    throw std::system_error(error, std::generic_category(),
                            "mpp::read_csv: " + std::string(what) + " '" + path_.string() + "'");
  }
  std::filesystem::path path_;
  detail::Fd fd_;
  std::uint64_t size_ = 0;
  bool seekable_ = false;
  Spool spool_;
};

// A stream that can seek is rewound for a second pass; one that cannot (a pipe) is copied to a
// temporary file as it is read, for that pass.
class StreamSource final : public Source {
 public:
  explicit StreamSource(std::istream& in) : in_(in), start_(in.tellg()) {
    if (start_ != std::streampos(-1)) {
      in_.seekg(0, std::ios::end);
      const std::streampos end = in_.tellg();
      if (end != std::streampos(-1) && end >= start_) size_ = static_cast<std::uint64_t>(end - start_);
      in_.seekg(start_);
    } else {
      in_.clear();  // tellg() on a stream that cannot seek may set failbit
    }
  }

  std::size_t read(char* buffer, std::size_t size) override {
    if (spool_.replaying()) return spool_.read(buffer, size);
    if (in_.bad()) fail();
    in_.read(buffer, static_cast<std::streamsize>(size));
    const auto got = static_cast<std::size_t>(in_.gcount());
    if (in_.bad()) fail();
    if (start_ == std::streampos(-1)) spool_.keep(buffer, got);
    return got;
  }
  void rewind(const std::string& column) override {
    if (start_ == std::streampos(-1)) {
      spool_.replay(column);
      return;
    }
    in_.clear();
    in_.seekg(start_);
    if (!in_) fail();
  }
  [[nodiscard]] std::uint64_t size_hint() const noexcept override { return size_; }

 private:
  [[noreturn]] static void fail() {
    throw std::system_error(std::make_error_code(std::io_errc::stream),
                            "mpp::read_csv: cannot read the stream");
  }
  std::istream& in_;
  std::streampos start_;
  std::uint64_t size_ = 0;
  Spool spool_;
};

// -- one column as it is read ---------------------------------------------------------------------

// Where a field is: its 1-based line (where it starts) and 1-based field number in its record.
struct Location {
  std::size_t line = 0;
  std::size_t field = 0;
};

struct PendingError {
  Location at;
  std::string message;
};

class ColumnBuilder {
 public:
  enum class State : std::uint8_t {
    unknown,   // no non-null value yet
    int64,     // every value so far an integer
    float64,   // every value so far a number
    string,    // text
    deferred,  // was numeric, then met text: its text is collected by a second pass
  };

  ColumnBuilder(std::string name, std::optional<ColumnType> forced)
      : name_(std::move(name)), forced_(forced) {
    if (forced_) become(state_of(*forced_));
  }

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] bool deferred() const noexcept { return state_ == State::deferred; }

  /// How many rows to make room for, once the reader can estimate it.
  void expect(std::size_t rows) {
    expected_ = rows;
    reserve();
  }

  void add_null() {
    if (nulls_.size() < count_) nulls_.resize(count_);
    nulls_.push_back(1);
    switch (state_) {
      case State::int64:
        ints_.push_back(0);
        break;
      case State::float64:
        doubles_.push_back(detail::null_placeholder<double>());
        break;
      case State::string:
        strings_.emplace_back();
        break;
      case State::unknown:
      case State::deferred:
        break;
    }
    ++count_;
  }

  /// A non-null field. Type errors of a given type throw ParseError at once; those of an inferred
  /// type wait for the end (text later in the column may make them no error at all).
  void add(std::string_view text, bool quoted, Location at, const std::string& file) {
    if (forced_) {
      add_forced(text, at, file);
    } else {
      add_inferred(text, quoted, at);
    }
    ++count_;
  }

  /// Starts the second pass of a deferred column: it now collects every field as text.
  void restart_as_text() {
    count_ = 0;
    nulls_.clear();
    ints_ = {};
    doubles_ = {};
    become(State::string);
  }

  /// The error an inferred type leaves, if any: an integer outside int64 in an int64 column, a
  /// number outside double's range in a float64 column.
  [[nodiscard]] std::optional<PendingError> pending_error() const {
    if (state_ != State::float64) return std::nullopt;
    if (!overflows_) return std::nullopt;
    const auto& integer_overflow = overflows_->integer;
    const auto& real_overflow = overflows_->real;
    if (integer_overflow && !real_form_) {
      return PendingError{integer_overflow->at, "integer " + integer_overflow->message +
                                                    " does not fit int64 (every value of column '" + name_ +
                                                    "' is an integer, so its type is int64)"};
    }
    if (real_overflow) {
      return PendingError{real_overflow->at, "number " + real_overflow->message +
                                                 " is out of the range of double (column '" + name_ +
                                                 "' is float64)"};
    }
    return std::nullopt;
  }

  /// The finished column: `rows` values.
  [[nodiscard]] Column finish(std::size_t rows) {
    if (state_ == State::unknown) become(State::string);  // no value says otherwise
    auto data = std::make_shared<detail::ColumnData>();
    data->name = std::move(name_);
    switch (state_) {
      case State::int64:
        data->values = trimmed(std::move(ints_));
        break;
      case State::float64:
        data->values = trimmed(std::move(doubles_));
        break;
      default:
        data->values = trimmed(std::move(strings_));
        break;
    }
    MPP_ASSERT(count_ == rows);
    if (!nulls_.empty()) {
      nulls_.resize(rows);
      data->nulls = std::move(nulls_);
    }
    return detail::FrameAccess::column(std::move(data));
  }

  [[nodiscard]] std::size_t count() const noexcept { return count_; }

 private:
  // The room reserved from the first block's estimate is kept when it is about right; a column
  // of a few rows (a wide file) gives back the rest.
  template <class T>
  static std::vector<T> trimmed(std::vector<T> values) {
    if (values.capacity() - values.size() > 16 + values.size() / 4) values.shrink_to_fit();
    return values;
  }

  static State state_of(ColumnType type) noexcept {
    switch (type) {
      case ColumnType::int64:
        return State::int64;
      case ColumnType::float64:
        return State::float64;
      case ColumnType::string:
        break;
    }
    return State::string;
  }

  // Enters `state` with the values so far (nulls only, or the integers of an int64 column).
  void become(State state) {
    switch (state) {
      case State::int64:
        ints_.assign(count_, 0);
        break;
      case State::float64:
        doubles_.reserve(std::max(expected_, count_));
        if (state_ == State::int64) {
          for (const std::int64_t v : ints_) doubles_.push_back(static_cast<double>(v));
        } else {
          doubles_.assign(count_, detail::null_placeholder<double>());
        }
        ints_ = {};
        // The integers so far: their nulls hold 0, a null holds NaN; "-0" was 0 and is -0.0.
        for (std::size_t i = 0; i < nulls_.size(); ++i) {
          if (nulls_[i] != 0) doubles_[i] = detail::null_placeholder<double>();
        }
        for (const std::size_t i : negative_zeros_) doubles_[i] = -0.0;
        negative_zeros_ = {};
        break;
      case State::string:
        strings_.assign(count_, std::string());
        break;
      case State::deferred:
        ints_ = {};
        doubles_ = {};
        negative_zeros_ = {};
        break;
      case State::unknown:
        break;
    }
    state_ = state;
    reserve();
  }

  void reserve() {
    if (expected_ <= count_) return;
    switch (state_) {
      case State::int64:
        ints_.reserve(expected_);
        break;
      case State::float64:
        doubles_.reserve(expected_);
        break;
      case State::string:
        strings_.reserve(expected_);
        break;
      default:
        break;
    }
  }

  void add_inferred(std::string_view text, bool quoted, Location at) {
    if (state_ == State::string) {
      strings_.emplace_back(text);
      return;
    }
    if (state_ == State::deferred) return;
    const ParsedNumber number = quoted ? ParsedNumber{} : detail::parse_number(text);
    if (number.form == NumberForm::text) {
      // Text: the column is string. Numbers already read lost their text, so a column that had
      // some is read again for it (a second pass, only for such columns).
      become(state_ == State::unknown ? State::string : State::deferred);
      if (state_ == State::string) strings_.emplace_back(text);
      return;
    }
    if (number.form == NumberForm::integer && !number.integer_out_of_range) {
      if (state_ == State::float64) {
        doubles_.push_back(number.as_double());
        return;
      }
      if (state_ == State::unknown) become(State::int64);
      // "-0" is 0 as an integer, but -0.0 if the column becomes float64.
      if (number.integer == 0 && number.negative) negative_zeros_.push_back(count_);
      ints_.push_back(number.integer);
      return;
    }
    if (number.form == NumberForm::real) real_form_ = true;
    if (number.integer_out_of_range || number.real_out_of_range) {
      if (!overflows_) overflows_ = std::make_unique<Overflows>();
      if (number.integer_out_of_range && !overflows_->integer)
        overflows_->integer = PendingError{at, std::string(text)};
      if (number.real_out_of_range && !overflows_->real)
        overflows_->real = PendingError{at, std::string(text)};
    }
    if (state_ != State::float64) become(State::float64);
    doubles_.push_back(number.real);
  }

  void add_forced(std::string_view text, Location at, const std::string& file) {
    const auto refuse = [&](const char* what) {
      throw ParseError("mpp::read_csv: '" + std::string(text) + "' " + what + " (column '" + name_ +
                           "' was given type " + to_string(*forced_) + ")",
                       file, at.line, at.field);
    };
    switch (state_) {
      case State::int64: {
        const ParsedNumber number = detail::parse_number(text);
        if (number.form != NumberForm::integer) refuse("is not an integer");
        if (number.integer_out_of_range) refuse("does not fit int64");
        ints_.push_back(number.integer);
        break;
      }
      case State::float64: {
        const ParsedNumber number = detail::parse_number(text);
        if (number.form == NumberForm::text) refuse("is not a number");
        if (number.real_out_of_range) refuse("is out of the range of double");
        doubles_.push_back(number.as_double());
        break;
      }
      default:
        strings_.emplace_back(text);
        break;
    }
  }

  std::string name_;
  std::optional<ColumnType> forced_;
  State state_ = State::unknown;
  std::size_t count_ = 0;     // values so far, nulls included
  std::size_t expected_ = 0;  // rows to reserve room for
  std::vector<std::int64_t> ints_;
  std::vector<double> doubles_;
  std::vector<std::string> strings_;
  std::vector<std::size_t> negative_zeros_;  // int64: the rows that read "-0"
  std::vector<std::uint8_t> nulls_;  // grown lazily: shorter than count_ means "not null" past its end
  bool real_form_ = false;           // some value is a number but not an integer
  // The first number out of range, kept apart: rare, and a wide file has millions of columns.
  struct Overflows {
    std::optional<PendingError> integer;  // message: the field's text
    std::optional<PendingError> real;
  };
  std::unique_ptr<Overflows> overflows_;
};

// -- the reader -----------------------------------------------------------------------------------

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

// What libcsv reports, in order: fields and record ends.
enum class TokenKind : std::uint8_t { null_field, field, quoted_field, record_end };

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
class Tokenizer {
 public:
  Tokenizer(Source& source, char delimiter, std::size_t max_field_size)
      : source_(source), delimiter_(delimiter), max_field_size_(max_field_size) {
    for (std::size_t i = 0; i < k_blocks; ++i) free_.push_back(std::make_unique<Block>());
    thread_ = std::thread([this] { run(); });
  }
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;
  ~Tokenizer() {
    {
      const std::lock_guard lock(mutex_);
      stop_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }

  /// The next block, in input order; blocks until it is tokenised. The last has `last` set.
  std::unique_ptr<Block> next() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return !ready_.empty(); });
    std::unique_ptr<Block> block = std::move(ready_.front());
    ready_.pop_front();
    return block;
  }

  /// Gives a block back for the tokeniser to fill again.
  void recycle(std::unique_ptr<Block> block) {
    {
      const std::lock_guard lock(mutex_);
      free_.push_back(std::move(block));
    }
    changed_.notify_all();
  }

 private:
  static constexpr std::size_t k_blocks = 3;

  // The tokenising thread. Never throws: what fails is handed over in the block.
  void run() noexcept {
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
          csv_set_blk_size(parser.get(), std::max(k_min_step, std::min(csv_get_buffer_size(parser.get()),
                                                                       max_field_size_)));
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

  // Whether the field libcsv is in the middle of has more than max_field_size bytes already (its
  // buffer may also hold a quoted field's closing quote). Checked after every block, so the
  // buffer holds at most max_field_size bytes and one block more.
  [[nodiscard]] bool too_large(const csv_parser& parser) const noexcept {
    return parser.entry_pos > 1 && parser.entry_pos - 1 > max_field_size_;
  }

  static void classify_error(const csv_parser& parser, Block& block) {
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

  std::unique_ptr<Block> take_free() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return stop_ || !free_.empty(); });
    if (stop_) return nullptr;
    std::unique_ptr<Block> block = std::move(free_.back());
    free_.pop_back();
    block->clear();
    return block;
  }

  void publish(std::unique_ptr<Block> block) {
    {
      const std::lock_guard lock(mutex_);
      ready_.push_back(std::move(block));
    }
    changed_.notify_all();
  }

  // libcsv's callbacks, on the tokenising thread. Exceptions must not unwind through libcsv's C
  // frames: one is kept in the block, which then ends the input.
  static void on_field(void* text, std::size_t size, void* data) {
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
  static void on_record(int terminator, void* data) {
    auto& block = *static_cast<Block*>(data);
    if (block.failure) return;
    try {
      block.tokens.push_back({0, 0, terminator, TokenKind::record_end});
    } catch (...) {
      block.failure = std::current_exception();
    }
  }

  Source& source_;
  const char delimiter_;
  const std::size_t max_field_size_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::unique_ptr<Block>> free_;  // under mutex_
  std::deque<std::unique_ptr<Block>> ready_;  // under mutex_
  bool stop_ = false;                         // under mutex_
  std::thread thread_;                        // last: started once everything it uses is built
};

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
