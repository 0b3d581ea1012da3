// Where read_csv's bytes come from: a file or a stream, read a block at a time and read again
// from its first byte when a column needs a second pass; an input that cannot seek is copied to an
// unnamed temporary file as it is read, for that pass. Apart from the parsing: these are the
// system calls and the stream I/O, and the reader sees only Source.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <istream>
#include <string>

#include "mpp/detail/posix/fd.hpp"

namespace mpp::detail::csv {

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
  void keep(const char* data, std::size_t size);

  /// From now on read() returns the copy from its first byte. Throws std::system_error when the
  /// copy could not be made.
  void replay(const std::string& column);
  [[nodiscard]] bool replaying() const noexcept { return replaying_; }

  /// Up to `size` bytes of the copy, from where the last call ended; 0 at its end.
  std::size_t read(char* buffer, std::size_t size);

 private:
  bool open();

  detail::Fd fd_;
  int error_ = 0;  // why the copy failed, or 0
  std::string folder_;
  bool replaying_ = false;
  off_t offset_ = 0;
};

class FileSource final : public Source {
 public:
  explicit FileSource(const std::filesystem::path& path);
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;
  ~FileSource() override = default;

  std::size_t read(char* buffer, std::size_t size) override;
  void rewind(const std::string& column) override;
  [[nodiscard]] std::uint64_t size_hint() const noexcept override { return size_; }

 private:
  [[noreturn]] void fail(const char* what, int error) const;
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
  explicit StreamSource(std::istream& in);

  std::size_t read(char* buffer, std::size_t size) override;
  void rewind(const std::string& column) override;
  [[nodiscard]] std::uint64_t size_hint() const noexcept override { return size_; }

 private:
  [[noreturn]] static void fail();
  std::istream& in_;
  std::streampos start_;
  std::uint64_t size_ = 0;
  Spool spool_;
};

}  // namespace mpp::detail::csv
