// read_csv's sources (csv_source.hpp): reading a file through the system-call seam, reading a
// stream, and the temporary copy that lets an input that cannot seek be read twice.
#include "frame/csv_source.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <ios>
#include <system_error>

#include "posix/syscall.hpp"

namespace mpp::detail::csv {

void Spool::keep(const char* data, std::size_t size) {
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

void Spool::replay(const std::string& column) {
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

std::size_t Spool::read(char* buffer, std::size_t size) {
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

bool Spool::open() {
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

FileSource::FileSource(const std::filesystem::path& path) : path_(path) {
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

std::size_t FileSource::read(char* buffer, std::size_t size) {
  if (spool_.replaying()) return spool_.read(buffer, size);
  const ssize_t got = detail::posix::retried("read", [&] { return ::read(fd_.get(), buffer, size); });
  if (got < 0) fail("cannot read", static_cast<int>(-got));
  if (!seekable_) spool_.keep(buffer, static_cast<std::size_t>(got));
  return static_cast<std::size_t>(got);
}

void FileSource::rewind(const std::string& column) {
  if (!seekable_) {
    spool_.replay(column);
    return;
  }
  const off_t at = detail::posix::retried("lseek", [&] { return ::lseek(fd_.get(), 0, SEEK_SET); });
  if (at < 0) fail("cannot read again", static_cast<int>(-at));
}

void FileSource::fail(const char* what, int error) const {
  throw std::system_error(error, std::generic_category(),
                          "mpp::read_csv: " + std::string(what) + " '" + path_.string() + "'");
}

StreamSource::StreamSource(std::istream& in) : in_(in), start_(in.tellg()) {
  if (start_ != std::streampos(-1)) {
    in_.seekg(0, std::ios::end);
    const std::streampos end = in_.tellg();
    if (end != std::streampos(-1) && end >= start_) size_ = static_cast<std::uint64_t>(end - start_);
    in_.seekg(start_);
  } else {
    in_.clear();  // tellg() on a stream that cannot seek may set failbit
  }
}

std::size_t StreamSource::read(char* buffer, std::size_t size) {
  if (spool_.replaying()) return spool_.read(buffer, size);
  if (in_.bad()) fail();
  in_.read(buffer, static_cast<std::streamsize>(size));
  const auto got = static_cast<std::size_t>(in_.gcount());
  if (in_.bad()) fail();
  if (start_ == std::streampos(-1)) spool_.keep(buffer, got);
  return got;
}

void StreamSource::rewind(const std::string& column) {
  if (start_ == std::streampos(-1)) {
    spool_.replay(column);
    return;
  }
  in_.clear();
  in_.seekg(start_);
  if (!in_) fail();
}

void StreamSource::fail() {
  throw std::system_error(std::make_error_code(std::io_errc::stream),
                          "mpp::read_csv: cannot read the stream");
}

}  // namespace mpp::detail::csv
