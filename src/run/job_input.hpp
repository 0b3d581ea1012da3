// A job's standard input with --pipe and --pipepart: text mpp-run holds (--header's lines, --pipe's
// block), then a part of a file that goes from the file to the job's pipe in the kernel
// (sendfile), never through mpp-run's memory.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "mpp/detail/posix/fd.hpp"

namespace mpp::detail::run {

/// What a job reads on its standard input, in order: `header`, `block`, then `length` bytes of
/// `file` from `offset`. Shared by a job's tries: a retry reads it all again.
struct JobInput {
  std::shared_ptr<const std::string> header{};  // --header's lines (null: none), shared by all jobs
  std::string block{};                          // --pipe: its block
  std::shared_ptr<const Fd> file{};             // --pipepart: the file (null: none), shared by all jobs
  std::uint64_t offset = 0;                     // ... where its part starts
  std::uint64_t length = 0;                     // ... and how long it is

  /// How many bytes in all.
  [[nodiscard]] std::uint64_t size() const noexcept {
    return (header ? header->size() : 0) + block.size() + (file ? length : 0);
  }
};

/// Writes to `pipe` (non-blocking) what it takes now of `input`, from byte `fed` on, adding what
/// went to `fed`. True when nothing more is to be written: all went, the reader is gone (EPIPE,
/// the job's affair as with any reader that leaves early), or the file ended before the part did
/// (it shrank since it was cut: the job gets what there is). False when the pipe is full. Never
/// blocks; throws std::system_error for another failure of write() or sendfile().
[[nodiscard]] bool write_input(int pipe, const JobInput& input, std::uint64_t& fed);

}  // namespace mpp::detail::run
