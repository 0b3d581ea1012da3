// gzip for read_csv and write_csv (csv_gzip.hpp), with zlib's z_stream.
#include "frame/csv_gzip.hpp"

#include <zlib.h>

#include <new>
#include <stdexcept>
#include <utility>

#include "mpp/errors.hpp"

namespace mpp::detail::csv {
namespace {

constexpr std::size_t k_chunk = std::size_t{1} << 18;  // compressed bytes read or written at a time
constexpr int k_gzip_window = 15 + 16;                 // zlib: the largest window, gzip framing

}  // namespace

bool gzip_for(const std::filesystem::path& path, const CsvOptions& options) noexcept {
  switch (options.compression) {
    case CsvCompression::gzip:
      return true;
    case CsvCompression::none:
      return false;
    case CsvCompression::infer:
      break;
  }
  return path.extension() == ".gz";
}

struct GzipSource::Stream {
  z_stream z{};
};

GzipSource::GzipSource(Source& inner, std::string file)
    : inner_(inner), file_(std::move(file)), stream_(std::make_unique<Stream>()), input_(k_chunk) {
  if (inflateInit2(&stream_->z, k_gzip_window) != Z_OK) throw std::bad_alloc();
}

GzipSource::~GzipSource() { inflateEnd(&stream_->z); }

std::size_t GzipSource::read(char* buffer, std::size_t size) {
  z_stream& z = stream_->z;
  for (;;) {
    if (z.avail_in == 0 && !input_done_) {
      const std::size_t got = inner_.read(input_.data(), input_.size());
      input_done_ = got == 0;
      any_input_ = any_input_ || got != 0;
      z.next_in = reinterpret_cast<Bytef*>(input_.data());
      z.avail_in = static_cast<uInt>(got);
    }
    if (member_done_) {
      // Zero bytes after a member are padding (tape and block tools pad a file to a block size):
      // skipped, as gzip(1) and Python's gzip module skip them.
      while (z.avail_in != 0 && *z.next_in == 0) {
        ++z.next_in;
        --z.avail_in;
      }
      if (z.avail_in == 0) {
        if (input_done_) return 0;
        continue;
      }
      // Another member follows (gzip's concatenated files): inflate it as well.
      if (inflateReset(&z) != Z_OK) fail("zlib could not start the next member");
      member_done_ = false;
    }
    if (z.avail_in == 0 && input_done_) {
      if (!any_input_) return 0;  // an empty file: no data at all
      fail("the gzip data ends before its end (a truncated file)");
    }
    z.next_out = reinterpret_cast<Bytef*>(buffer);
    z.avail_out = static_cast<uInt>(size);
    const int status = inflate(&z, Z_NO_FLUSH);
    const std::size_t produced = size - z.avail_out;
    if (status == Z_STREAM_END) {
      member_done_ = true;
    } else if (status == Z_MEM_ERROR) {
      throw std::bad_alloc();
    } else if (status != Z_OK && status != Z_BUF_ERROR) {
      fail(std::string("the data is not gzip, or is corrupt (zlib: ") + (z.msg != nullptr ? z.msg : "error") +
           ")");
    }
    if (produced != 0) return produced;
  }
}

void GzipSource::rewind(const std::string& column) {
  inner_.rewind(column);
  restart();
}

void GzipSource::restart() {
  if (inflateReset(&stream_->z) != Z_OK) fail("zlib could not start again");
  stream_->z.avail_in = 0;
  input_done_ = false;
  member_done_ = false;
  any_input_ = false;
}

void GzipSource::fail(const std::string& what) const {
  throw ParseError("mpp::read_csv: " + what, file_, 0, 0);
}

struct GzipSink::Stream {
  z_stream z{};
};

GzipSink::GzipSink(std::function<void(std::string_view)> sink)
    : sink_(std::move(sink)), stream_(std::make_unique<Stream>()) {
  if (deflateInit2(&stream_->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, k_gzip_window, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK)
    throw std::bad_alloc();
  output_.resize(k_chunk);
}

GzipSink::~GzipSink() { deflateEnd(&stream_->z); }

void GzipSink::operator()(std::string_view bytes) {
  // zlib counts in 32 bits: a longer run of bytes (a row of huge strings) goes in pieces.
  constexpr std::size_t k_piece = std::size_t{1} << 30;
  while (bytes.size() > k_piece) {
    run(bytes.substr(0, k_piece), Z_NO_FLUSH);
    bytes.remove_prefix(k_piece);
  }
  run(bytes, Z_NO_FLUSH);
}

void GzipSink::finish() { run({}, Z_FINISH); }

void GzipSink::run(std::string_view bytes, int flush) {
  z_stream& z = stream_->z;
  // zlib's API takes a non-const pointer but does not write through next_in.
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = static_cast<uInt>(bytes.size());
  for (;;) {
    z.next_out = reinterpret_cast<Bytef*>(output_.data());
    z.avail_out = static_cast<uInt>(output_.size());
    const int status = deflate(&z, flush);
    if (status == Z_STREAM_ERROR) throw std::logic_error("mpp::write_csv: zlib's deflate failed");
    const std::size_t produced = output_.size() - z.avail_out;
    if (produced != 0) sink_(std::string_view(output_.data(), produced));
    if (flush == Z_FINISH ? status == Z_STREAM_END : (z.avail_in == 0 && z.avail_out != 0)) return;
  }
}

std::size_t NotGzipSource::read(char* buffer, std::size_t size) {
  const std::size_t n = inner_.read(buffer, size);
  if (seen_ == 2) return n;
  for (std::size_t i = 0; i < n && seen_ < 2; ++i) head_[seen_++] = static_cast<unsigned char>(buffer[i]);
  if (seen_ == 2 && head_[0] == 0x1f && head_[1] == 0x8b) {
    throw ParseError(
        "mpp::read_csv: the data is gzip (it starts with gzip's magic bytes), read as plain CSV: name the "
        "file "
        "*.gz or give CsvOptions::compression = CsvCompression::gzip",
        file_, 0, 0);
  }
  return n;
}

}  // namespace mpp::detail::csv
