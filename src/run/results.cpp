#include "run/results.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>

#include "mpp/detail/posix/fd.hpp"
#include "posix/syscall.hpp"
#include "run/command.hpp"

namespace mpp::detail::run {
namespace {

constexpr std::size_t k_name_max = 255;

bool ends_with_nocase(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         std::equal(suffix.begin(), suffix.end(), text.end() - static_cast<std::ptrdiff_t>(suffix.size()),
                    [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); });
}

}  // namespace

std::string results_name(std::string_view value) {
  if (value.empty()) return "\\e";
  if (value == ".") return "\\.";
  if (value == "..") return "\\.\\.";
  std::string name;
  name.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') {
      name += "\\\\";
    } else if (c == '\t') {
      name += "\\t";
    } else if (c == '/') {
      name += "\\_";
    } else {
      name += c;
    }
  }
  if (name.size() > k_name_max) name.resize(k_name_max);
  return name;
}

std::string results_path(std::span<const std::string> values, std::size_t row_width) {
  std::string path;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i != 0) path += '/';
    path += std::to_string((row_width == 0 ? i : i % row_width) + 1) + "/" + results_name(values[i]);
  }
  return path;
}

int make_directories(const std::string& dir, std::string& failed) {
  for (std::size_t end = dir.find('/', 1);; end = dir.find('/', end + 1)) {
    const std::string part = dir.substr(0, end);
    const int rc = posix::retried("mkdir", [&] { return ::mkdir(part.c_str(), 0777); });
    if (rc < 0 && rc != -EEXIST) {
      failed = part;
      return -rc;
    }
    if (end == std::string::npos) break;
  }
  struct stat info {};
  if (::stat(dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    failed = dir;
    return ENOTDIR;
  }
  return 0;
}

int write_file(const std::string& path, std::string_view text) {
  const Fd fd(posix::retried("open", [&] {
    return ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0644);
  }));
  if (!fd) return -fd.get();
  while (!text.empty()) {
    const ssize_t n = posix::retried("write", [&] { return ::write(fd.get(), text.data(), text.size()); });
    if (n < 0) return static_cast<int>(-n);
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return 0;
}

std::string results_refusal(std::string_view dir) {
  for (const std::string_view format : {".csv", ".tsv", ".json"}) {
    if (ends_with_nocase(dir, format)) {
      return "--results " + std::string(dir) + ": GNU parallel writes a " + std::string(format.substr(1)) +
             " file for a name ending in " + std::string(format) +
             "; mpp-run writes only the directory tree (give a directory name)";
    }
  }
  if (auto found = first_replacement(dir)) {
    return "--results " + std::string(dir) +
           ": GNU parallel makes a path per job from a replacement string ('" + *found +
           "'); mpp-run writes only the directory tree DIR/1/VALUE/ (give a plain directory name)";
  }
  if (auto found = unsupported_replacement(dir)) {
    return "--results " + std::string(dir) + ": '" + *found + "' is a replacement string of GNU parallel's";
  }
  return {};
}

}  // namespace mpp::detail::run
