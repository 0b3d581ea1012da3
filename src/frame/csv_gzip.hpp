// gzip for read_csv and write_csv (CsvOptions::compression, pandas' compression="gzip"): zlib's
// inflate and deflate over the bytes of a Source or a sink. zlib does no I/O here, so the bytes
// still go through the system-call seam; memory stays a block, whatever the ratio.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "frame/csv_source.hpp"
#include "mpp/csv.hpp"

namespace mpp::detail::csv {

/// Whether `options` make the file at `path` gzip: asked for, or inferred from a ".gz" name.
[[nodiscard]] bool gzip_for(const std::filesystem::path& path, const CsvOptions& options) noexcept;

/// The decompressed bytes of `inner`, a gzip file (one or more members, as gzip writes them; zero
/// bytes after a member are padding, skipped as gzip(1) skips them).
/// Corrupt or truncated data is a ParseError naming `file`; rewind() starts again from the top.
class GzipSource final : public Source {
 public:
  GzipSource(Source& inner, std::string file);
  GzipSource(const GzipSource&) = delete;
  GzipSource& operator=(const GzipSource&) = delete;
  ~GzipSource() override;

  std::size_t read(char* buffer, std::size_t size) override;
  void rewind(const std::string& column) override;

 private:
  struct Stream;
  [[noreturn]] void fail(const std::string& what) const;
  void restart();

  Source& inner_;
  std::string file_;
  std::unique_ptr<Stream> stream_;
  std::vector<char> input_;
  bool input_done_ = false;
  bool member_done_ = false;  // the last member ended: more input starts a new one
  bool any_input_ = false;
};

/// The bytes of `inner` as they are, checked to be no gzip: read_csv's plain input when the
/// compression was inferred (a file not named .gz, a stream not told). gzip data read as CSV
/// would make a frame of one garbage column, so its magic bytes (1f 8b) are a ParseError naming
/// `file` and saying how to read it; CsvCompression::none skips the check.
class NotGzipSource final : public Source {
 public:
  NotGzipSource(Source& inner, std::string file) : inner_(inner), file_(std::move(file)) {}
  NotGzipSource(const NotGzipSource&) = delete;
  NotGzipSource& operator=(const NotGzipSource&) = delete;
  ~NotGzipSource() override = default;

  std::size_t read(char* buffer, std::size_t size) override;
  void rewind(const std::string& column) override { inner_.rewind(column); }
  [[nodiscard]] std::uint64_t size_hint() const noexcept override { return inner_.size_hint(); }

 private:
  Source& inner_;
  std::string file_;
  unsigned char head_[2] = {};
  std::size_t seen_ = 0;  // of the first two bytes (a stream may give them one at a time)
};

/// Compresses what it is given into gzip, handing the compressed bytes to `sink`.
class GzipSink {
 public:
  explicit GzipSink(std::function<void(std::string_view)> sink);
  GzipSink(const GzipSink&) = delete;
  GzipSink& operator=(const GzipSink&) = delete;
  ~GzipSink();

  void operator()(std::string_view bytes);
  /// Writes the end of the gzip stream.
  void finish();

 private:
  struct Stream;
  void run(std::string_view bytes, int flush);

  std::function<void(std::string_view)> sink_;
  std::unique_ptr<Stream> stream_;
  std::string output_;
};

}  // namespace mpp::detail::csv
