#include "run/resume.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <string_view>

#include "mpp/detail/posix/fd.hpp"
#include "mpp/errors.hpp"
#include "posix/syscall.hpp"

namespace mpp::detail::run {
namespace {

// The joblog's columns: Seq Host Starttime JobRuntime Send Receive Exitval Signal Command.
constexpr std::size_t k_columns = 9;

// The largest seq believed: a row claiming more is no joblog of a run that could have happened.
constexpr std::size_t k_max_seq = std::size_t{1} << 32;

// A number column, as the joblog pads it (JobRuntime is right-aligned with spaces).
bool is_number(std::string_view text) {
  while (text.starts_with(' ')) text.remove_prefix(1);
  while (text.ends_with(' ')) text.remove_suffix(1);
  if (text.starts_with('-')) text.remove_prefix(1);
  return !text.empty() && text.find_first_not_of("0123456789.") == std::string_view::npos;
}

}  // namespace

std::optional<EarlierRun> read_earlier_run(const std::string& path, bool failed_only) {
  const Fd fd(posix::retried("open", [&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); }));
  if (!fd) {
    if (fd.get() == -ENOENT) return std::nullopt;
    throw ParseError("cannot read the joblog " + path + ": " + std::strerror(-fd.get()));
  }
  std::string text;
  char buffer[65536];
  for (;;) {
    const ssize_t got = posix::retried("read", [&] { return ::read(fd.get(), buffer, sizeof buffer); });
    if (got == 0) break;
    if (got < 0)
      throw ParseError("cannot read the joblog " + path + ": " + std::strerror(static_cast<int>(-got)));
    text.append(buffer, static_cast<std::size_t>(got));
  }
  EarlierRun run;
  std::string_view rest = text;
  bool first = true;
  while (!rest.empty()) {
    const std::size_t newline = rest.find('\n');
    const std::string_view line = rest.substr(0, newline);
    rest.remove_prefix(newline == std::string_view::npos ? rest.size() : newline + 1);
    if (first) {
      // The header, or whatever the first line is: GNU parallel skips it and appends after it.
      first = false;
      run.append = true;
      continue;
    }
    std::vector<std::string_view> fields;
    std::string_view left = line;
    while (fields.size() + 1 < k_columns) {
      const std::size_t tab = left.find('\t');
      if (tab == std::string_view::npos) break;
      fields.push_back(left.substr(0, tab));
      left.remove_prefix(tab + 1);
    }
    fields.push_back(left);
    std::size_t seq = 0;
    const auto [end, error] = std::from_chars(fields[0].data(), fields[0].data() + fields[0].size(), seq);
    bool ok = fields.size() == k_columns && error == std::errc{} &&
              end == fields[0].data() + fields[0].size() && seq >= 1 && seq <= k_max_seq;
    for (std::size_t i = 2; ok && i < 8; ++i) ok = is_number(fields[i]);
    if (!ok)
      throw ParseError("the joblog " + path + " is not in the joblog's format: '" + std::string(line) + "'");
    const bool succeeded = fields[6] == "0" && fields[7] == "0";
    if (run.done.size() < seq) {
      run.done.resize(seq);
      run.commands.resize(seq);
    }
    if (!failed_only || succeeded) run.done[seq - 1] = true;
    run.commands[seq - 1] = std::string(fields[8]);
  }
  return run;
}

}  // namespace mpp::detail::run
