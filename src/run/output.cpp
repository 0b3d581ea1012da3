#include "run/output.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "posix/syscall.hpp"

namespace mpp::detail::run {
namespace {

// Written text is dropped from the front of the queue once it is this large and half of it is
// written, so that a long run keeps a queue of about what waits, not of all it wrote.
constexpr std::size_t k_compact_at = 1 << 20;

}  // namespace

OutputStream::OutputStream(int fd) : fd_(fd) {
  struct stat info {};
  if (::fstat(fd, &info) != 0) return;  // a closed descriptor: the first write says so
  device_ = info.st_dev;
  inode_ = info.st_ino;
  if (S_ISSOCK(info.st_mode)) {
    socket_ = true;
    nonblocking_ = true;
    shareable_ = true;
    return;
  }
  if (!S_ISFIFO(info.st_mode) && !(S_ISCHR(info.st_mode) && ::isatty(fd) == 1)) return;
  shareable_ = true;
  // A new open file description of the same pipe or terminal, ours alone to make non-blocking.
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  const int copy = posix::retried(
      "open", [&] { return ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC); });
  if (copy >= 0) {
    own_fd_.reset(copy);
    fd_ = copy;
    nonblocking_ = true;
  } else if (copy == -ENXIO && S_ISFIFO(info.st_mode)) {
    error_ = EPIPE;  // a FIFO nobody reads any more: as a write to it would fail
  }
  // Anything else (no /proc): writes to `fd` block, as they always did.
}

OutputStream::~OutputStream() = default;

bool OutputStream::same_file(int fd) const noexcept {
  struct stat info {};
  return shareable_ && ::fstat(fd, &info) == 0 && info.st_dev == device_ && info.st_ino == inode_;
}

short OutputStream::poll_events() const noexcept { return error_ == 0 && pending() > 0 ? POLLOUT : 0; }

void OutputStream::write(std::string_view text) {
  if (error_ != 0 || text.empty()) return;
  if (pending() > 0) {  // behind what waits already
    queue_.append(text);
    flush();
    return;
  }
  // Straight from the caller's text: a large output is copied only for the part the reader has
  // not taken yet.
  while (!text.empty()) {
    const ssize_t n = write_some(text.data(), text.size());
    if (n == -EAGAIN) break;
    if (n < 0) {
      error_ = static_cast<int>(-n);
      return;
    }
    text.remove_prefix(static_cast<std::size_t>(n));
    written_ += static_cast<std::size_t>(n);
  }
  queue_.assign(text);
  sent_ = 0;
}

void OutputStream::on_ready(short revents) {
  if (error_ != 0) return;
  if (pending() > 0) {
    flush();  // the write itself says what the error is, if any
  } else if ((revents & (POLLERR | POLLHUP)) != 0) {
    error_ = EPIPE;  // the reader has gone: there is nobody to write to any more
  }
}

void OutputStream::drop() noexcept {
  queue_.clear();
  sent_ = 0;
}

ssize_t OutputStream::write_some(const char* data, std::size_t size) const noexcept {
  if (socket_) {
    return posix::retried("send", [&] { return ::send(fd_, data, size, MSG_DONTWAIT | MSG_NOSIGNAL); });
  }
  return posix::retried("write", [&] { return ::write(fd_, data, size); });
}

void OutputStream::flush() {
  while (error_ == 0 && pending() > 0) {
    const ssize_t n = write_some(queue_.data() + sent_, pending());
    if (n == -EAGAIN) break;  // full: poll() says when it takes more
    if (n < 0) {
      error_ = static_cast<int>(-n);
      drop();
      return;
    }
    sent_ += static_cast<std::size_t>(n);
    written_ += static_cast<std::size_t>(n);
  }
  if (pending() == 0) {
    queue_.clear();
    sent_ = 0;
  } else if (sent_ >= k_compact_at && sent_ * 2 >= queue_.size()) {
    queue_.erase(0, sent_);
    sent_ = 0;
  }
}

}  // namespace mpp::detail::run
