// Reading mpp-run's command line and input in unit tests, as the tool itself does, without running
// any job: the options parsed, a parse error's message, the commands a CommandSource gives.
#pragma once

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <string>
#include <utility>
#include <vector>

#include "mpp/errors.hpp"
#include "run/input.hpp"
#include "run/options.hpp"

namespace mpp_run_test {

using Words = std::vector<std::string>;

/// The options of `mpp-run args...`.
inline mpp::detail::run::Options parse(std::vector<const char*> args) {
  args.insert(args.begin(), "mpp-run");
  return mpp::detail::run::parse_command_line(static_cast<int>(args.size()), args.data());
}

/// The message of the mpp::ParseError that parsing `args` throws; empty when it does not throw.
inline std::string parse_error(std::vector<const char*> args) {
  try {
    (void)parse(std::move(args));
  } catch (const mpp::ParseError& e) {
    return e.what();
  }
  return {};
}

/// The commands a CommandSource gives for `options`, with `input` as standard input (a file in
/// memory: it may be larger than a pipe holds), read as the runner reads it.
inline Words streamed(const mpp::detail::run::Options& options, const std::string& input = {}) {
  const int fd = ::memfd_create("input", MFD_CLOEXEC);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(::write(fd, input.data(), input.size()), static_cast<ssize_t>(input.size()));
  EXPECT_EQ(::lseek(fd, 0, SEEK_SET), 0);
  Words out;
  try {
    mpp::detail::run::CommandSource source = mpp::detail::run::make_source(options, fd);
    for (;;) {
      if (auto command = source.next()) {
        out.push_back(command->command);
      } else if (source.at_end()) {
        break;
      } else {
        source.read_some();
      }
    }
    EXPECT_EQ(source.total(), out.size());
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  return out;
}

}  // namespace mpp_run_test
