// mpp-run's own standard output and error, written without ever blocking its poll loop: a reader
// that does not read (`mpp-run ... | (sleep 1000)`, a terminal stopped with Ctrl-S) must not keep
// mpp-run from acting on a signal or a timeout.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "mpp/detail/posix/fd.hpp"

namespace mpp::detail::run {

/// Text queued for one descriptor and written as it can take it.
///
/// A pipe, FIFO or terminal is reopened through /proc/self/fd with O_NONBLOCK: a descriptor of our
/// own, so that the flag never reaches the file description the shell and other programs share
/// (setting it on descriptor 1 itself would leave their terminal non-blocking). A socket is written
/// with MSG_DONTWAIT. Anything else (a regular file, /dev/null, /dev/full) is written at once, as a
/// write to it does not wait for a reader. When the reopening fails, writes block as before.
///
/// A pipe whose reader has gone is noticed without anything to write (poll reports POLLERR on
/// its write end): error() is EPIPE from then on, and nothing more is written.
///
/// Not thread-safe (one poll loop owns it).
class OutputStream {
 public:
  /// Writes to `fd`, which stays open and owned by the caller.
  explicit OutputStream(int fd);
  OutputStream(const OutputStream&) = delete;
  OutputStream& operator=(const OutputStream&) = delete;
  ~OutputStream();

  /// Queues `text` and writes what the descriptor takes now. Nothing once error() is set.
  void write(std::string_view text);
  /// The descriptor for poll() and the events to ask for (POLLOUT while text waits, none
  /// otherwise: POLLERR and POLLHUP come anyway); -1 when writes never wait.
  [[nodiscard]] int poll_fd() const noexcept { return nonblocking_ ? fd_ : -1; }
  [[nodiscard]] short poll_events() const noexcept;
  /// poll() reported `revents` on poll_fd(): writes what it takes, or records the error.
  void on_ready(short revents);
  /// Bytes queued and not written yet.
  [[nodiscard]] std::size_t pending() const noexcept { return queue_.size() - sent_; }
  /// The errno of the first failed write (EPIPE for a reader gone), 0 while there is none.
  [[nodiscard]] int error() const noexcept { return error_; }
  /// Total bytes written so far: a drain that makes no progress for long can be given up.
  [[nodiscard]] std::size_t written() const noexcept { return written_; }
  /// Whether `fd` is the same pipe, FIFO, socket or terminal as this stream's: such a stream is
  /// shared, so that what is queued on it keeps its order.
  [[nodiscard]] bool same_file(int fd) const noexcept;
  /// Drops what is queued (a stop that cannot wait for a reader any longer).
  void drop() noexcept;

 private:
  void flush();
  [[nodiscard]] ssize_t write_some(const char* data, std::size_t size) const noexcept;

  int fd_ = -1;  // where writes go: the caller's, or our non-blocking copy
  Fd own_fd_;    // our copy, closed with the stream
  bool socket_ = false;
  bool nonblocking_ = false;
  std::string queue_;
  std::size_t sent_ = 0;  // the part of queue_ written already
  std::size_t written_ = 0;
  int error_ = 0;
  dev_t device_ = 0;
  ino_t inode_ = 0;
  bool shareable_ = false;  // a pipe, FIFO, socket or terminal: same_file() may hold
};

}  // namespace mpp::detail::run
