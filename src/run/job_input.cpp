#include "run/job_input.hpp"

#include <sys/sendfile.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string_view>

#include "posix/syscall.hpp"

namespace mpp::detail::run {
namespace {

// What sendfile() moves at most in one call (Linux's bound, 2 GiB less a page).
constexpr std::uint64_t k_max_sendfile = 0x7ffff000;

// Outcome of one step: some went, the pipe is full, or nothing more can go (the reader left, or
// another error, which the job sees as the end of its input, as a write error of --pipe's).
enum class Step { wrote, full, over };

Step outcome(ssize_t n, std::uint64_t& fed) {
  if (n == -EAGAIN) return Step::full;
  if (n <= 0) return Step::over;  // sendfile's 0: the file ended early
  fed += static_cast<std::uint64_t>(n);
  return Step::wrote;
}

Step write_text(int pipe, std::string_view text, std::uint64_t& fed) {
  return outcome(posix::retried("write", [&] { return ::write(pipe, text.data(), text.size()); }), fed);
}

Step send_part(int pipe, int file, std::uint64_t offset, std::uint64_t count, std::uint64_t& fed) {
  auto from = static_cast<off_t>(offset);
  const std::size_t most = std::min(count, k_max_sendfile);
  return outcome(posix::retried("sendfile", [&] { return ::sendfile(pipe, file, &from, most); }), fed);
}

}  // namespace

bool write_input(int pipe, const JobInput& input, std::uint64_t& fed) {
  const std::string_view header = input.header ? std::string_view(*input.header) : std::string_view();
  const std::string_view block = input.block;
  const std::uint64_t text = header.size() + block.size();
  for (;;) {
    Step step = Step::over;
    if (fed < header.size()) {
      step = write_text(pipe, header.substr(fed), fed);
    } else if (fed < text) {
      step = write_text(pipe, block.substr(fed - header.size()), fed);
    } else if (fed < input.size()) {
      step = send_part(pipe, input.file->get(), input.offset + (fed - text), input.size() - fed, fed);
    }
    if (step != Step::wrote) return step != Step::full;
  }
}

}  // namespace mpp::detail::run
