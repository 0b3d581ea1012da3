#include "run/parts.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "mpp/errors.hpp"
#include "posix/syscall.hpp"
#include "run/command.hpp"
#include "run/header_lines.hpp"

namespace mpp::detail::run {
namespace {

// How much a search for a cut reads at once (GNU parallel reads 128 KiB; a cut is usually found
// in the first line).
constexpr std::size_t k_search_read = 64 * 1024;

[[noreturn]] void bad(const std::string& message) { throw ParseError(message); }

// Appends up to `count` bytes of `fd` from `offset` to `text`; how many came (0 at the file's end).
std::size_t read_at(int fd, std::string_view name, std::uint64_t offset, std::size_t count,
                    std::string& text) {
  const std::size_t old = text.size();
  text.resize(old + count);
  const ssize_t got = posix::retried(
      "pread", [&] { return ::pread(fd, text.data() + old, count, static_cast<off_t>(offset)); });
  if (got < 0) bad(std::string(name) + ": " + std::strerror(static_cast<int>(-got)));
  text.resize(old + static_cast<std::size_t>(got));
  return static_cast<std::size_t>(got);
}

// The size of file `fd`: a regular file's, or a block device's (its end).
std::uint64_t file_size(int fd, const std::string& name) {
  struct stat st {};
  if (posix::retried("fstat", [&] { return ::fstat(fd, &st); }) < 0) bad("--pipepart: cannot stat " + name);
  if (S_ISREG(st.st_mode)) return static_cast<std::uint64_t>(st.st_size);
  if (!S_ISBLK(st.st_mode)) {
    bad("--pipepart: " + name +
        " is neither a file nor a block device (its parts are read at their offsets); use --pipe < " + name);
  }
  const off_t end = posix::retried("lseek", [&] { return ::lseek(fd, 0, SEEK_END); });
  if (end < 0)
    bad("--pipepart: cannot find the size of " + name + ": " + std::strerror(static_cast<int>(-end)));
  return static_cast<std::uint64_t>(end);
}

// One file to cut: open, its size known, its header read.
struct PartFile {
  std::shared_ptr<const Fd> fd;
  std::uint64_t size = 0;
  std::shared_ptr<const std::string> header;  // null: none
};

PartFile open_part_file(const std::string& path, std::size_t header_lines) {
  // O_NONBLOCK: a FIFO without a writer is refused below instead of blocking the open.
  const int fd =
      posix::retried("open", [&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK); });
  if (fd < 0) bad("--pipepart: cannot read " + path + ": " + std::strerror(-fd));
  PartFile file{std::make_shared<const Fd>(fd), file_size(fd, path), nullptr};
  if (header_lines > 0) {
    HeaderLines header(header_lines);
    std::string text;
    for (std::uint64_t at = 0; !header.done();) {
      text.clear();
      if (read_at(fd, path, at, k_search_read, text) == 0) break;
      at += text.size();
      (void)header.add(text);
    }
    if (header.done()) file.header = std::make_shared<const std::string>(header.header());
  }
  return file;
}

}  // namespace

std::vector<std::uint64_t> part_cuts(int fd, std::string_view name, std::uint64_t begin, std::uint64_t size,
                                     std::uint64_t block, std::string_view separator,
                                     std::size_t recend_size) {
  std::string window;  // bytes of the file from window_at on
  std::uint64_t window_at = begin;
  // The first separator from `from` on, reading on as far as needed; none before the end.
  const auto next_cut = [&](std::uint64_t from) -> std::optional<std::uint64_t> {
    for (;;) {
      const std::uint64_t end = window_at + window.size();
      if (from < end) {
        const std::size_t at =
            std::string_view(window).find(separator, std::max(from, window_at) - window_at);
        if (at != std::string_view::npos) return window_at + at + recend_size;
      }
      if (end >= size) return std::nullopt;
      // Only what a separator not yet seen could start in is kept.
      const std::uint64_t keep =
          std::max(from, end - std::min<std::uint64_t>(end - window_at, separator.size() - 1));
      window.erase(0, std::min<std::uint64_t>(keep - window_at, window.size()));
      window_at = keep;
      const std::uint64_t next = keep + window.size();
      if (read_at(fd, name, next, std::min<std::uint64_t>(k_search_read, size - next), window) == 0) {
        size = std::min(next, file_size(fd, std::string(name)));  // it shrank since its size was taken
      }
    }
  };
  std::vector<std::uint64_t> cuts{begin};
  // GNU parallel searches again from each block past a failed search; none can succeed.
  for (std::uint64_t from = begin + block; from < size; from = cuts.back() + block) {
    const std::optional<std::uint64_t> cut = next_cut(from);
    if (!cut) break;
    cuts.push_back(*cut);
  }
  if (size > cuts.back()) cuts.push_back(size);
  return cuts;
}

CommandSource part_source(const Options& options) {
  const PipeFormat& pipe = *options.pipe;
  std::vector<PartFile> files;
  std::uint64_t total = 0;
  for (const std::string& path : pipe.files) {
    files.push_back(open_part_file(path, pipe.header_lines));
    total += files.back().size;
  }
  std::uint64_t block = pipe.block;
  if (pipe.blocks_per_slot > 0)
    block = 1 + total / std::max<std::size_t>(options.jobs, 1) / pipe.blocks_per_slot;
  const std::string separator = pipe.recend + pipe.recstart;
  auto parts = std::make_shared<std::vector<JobInput>>();
  for (std::size_t i = 0; i < files.size(); ++i) {
    const PartFile& file = files[i];
    const std::uint64_t begin = file.header ? file.header->size() : 0;
    const std::vector<std::uint64_t> cuts =
        part_cuts(file.fd->get(), pipe.files[i], begin, file.size, block, separator, pipe.recend.size());
    for (std::size_t c = 0; c + 1 < cuts.size(); ++c) {
      parts->push_back(JobInput{file.header, {}, file.fd, cuts[c], cuts[c + 1] - cuts[c]});
    }
  }
  const std::size_t count = parts->size();
  return CommandSource(count, [parts, command = join_words(options.words)](std::size_t i, std::size_t slot) {
    Job job{fill_text(command, {}, i + 1, slot), {}, i + 1, 0};
    job.input = std::make_shared<const JobInput>((*parts)[i]);
    return job;
  });
}

}  // namespace mpp::detail::run
