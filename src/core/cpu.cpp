#include "mpp/cpu.hpp"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "mpp/detail/core/cpu_quota.hpp"
#include "posix/syscall.hpp"

namespace mpp {
namespace detail {
namespace {

namespace fs = std::filesystem;

// Linux supports at most 8192 CPUs today; the bound only stops a runaway loop.
constexpr int k_max_affinity_cpus = 1 << 20;

struct CpuSetFree {
  void operator()(cpu_set_t* set) const noexcept { CPU_FREE(set); }
};

// One cgroup hierarchy as /proc/self/mountinfo describes it.
struct CgroupMount {
  std::string fstype;         // "cgroup" (v1) or "cgroup2"
  std::string root;           // the directory of the hierarchy that is mounted, e.g. "/docker/abc"
  std::string point;          // where it is mounted, e.g. "/sys/fs/cgroup/cpu,cpuacct"
  std::string super_options;  // v1 names its controllers here, e.g. "rw,cpu,cpuacct"
};

// The file the kernel knows as `absolute`, inside the tree `root`.
fs::path under(const fs::path& root, std::string_view absolute) {
  return root / fs::path(absolute).relative_path();
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> fields;
  for (;;) {
    std::size_t end = text.find(separator);
    fields.push_back(text.substr(0, end));
    if (end == std::string_view::npos) return fields;
    text.remove_prefix(end + 1);
  }
}

std::string_view trim(std::string_view text) {
  constexpr std::string_view k_space = " \t\r\n";
  std::size_t begin = text.find_first_not_of(k_space);
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(k_space) - begin + 1);
}

bool has_token(std::string_view list, std::string_view token) {
  std::vector<std::string_view> tokens = split(list, ',');
  return std::find(tokens.begin(), tokens.end(), token) != tokens.end();
}

std::optional<std::int64_t> parse_positive(std::string_view text) {
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || value <= 0) return std::nullopt;
  return value;
}

std::optional<std::string> read_first_line(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  return line;
}

// mountinfo writes space, tab, newline and backslash in paths as three-digit octal escapes ("\040").
std::string unescape_octal(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    std::string_view digits = text[i] == '\\' ? text.substr(i + 1, 3) : std::string_view{};
    if (digits.size() == 3 &&
        std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '7'; })) {
      out.push_back(static_cast<char>((digits[0] - '0') * 64 + (digits[1] - '0') * 8 + (digits[2] - '0')));
      i += 3;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// Fields: id parent major:minor root mount-point options [optional fields...] - fstype source super-options
std::vector<CgroupMount> read_cgroup_mounts(const fs::path& root) {
  std::vector<CgroupMount> mounts;
  std::ifstream in(under(root, "/proc/self/mountinfo"));
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string_view> fields = split(line, ' ');
    auto dash =
        std::find(fields.begin() + std::min<std::ptrdiff_t>(6, std::ssize(fields)), fields.end(), "-");
    if (std::distance(dash, fields.end()) < 4) continue;
    std::string_view fstype = dash[1];
    if (fstype != "cgroup" && fstype != "cgroup2") continue;
    mounts.push_back(
        {std::string(fstype), unescape_octal(fields[3]), unescape_octal(fields[4]), std::string(dash[3])});
  }
  return mounts;
}

// The components of an absolute cgroup path with "." and ".." resolved, or nullopt when ".." climbs
// above the top: the kernel writes such paths for a process outside its cgroup namespace.
std::optional<std::vector<std::string_view>> components(std::string_view path) {
  std::vector<std::string_view> parts;
  for (std::string_view part : split(path, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (parts.empty()) return std::nullopt;
      parts.pop_back();
    } else {
      parts.push_back(part);
    }
  }
  return parts;
}

// The directories from a mount point down to the process's cgroup in that hierarchy, or none when no
// mount shows it. A mount whose root is not "/" (a container runtime mounting only the container's
// own cgroup) shows the cgroup `cgroup_path` at the mount point plus whatever follows that root.
std::vector<fs::path> cgroup_dirs(const fs::path& root, const std::vector<CgroupMount>& mounts,
                                  std::string_view cgroup_path) {
  std::optional<std::vector<std::string_view>> path = components(cgroup_path);
  if (!path) return {};
  for (const CgroupMount& mount : mounts) {
    std::optional<std::vector<std::string_view>> mount_root = components(mount.root);
    if (!mount_root || mount_root->size() > path->size() ||
        !std::equal(mount_root->begin(), mount_root->end(), path->begin())) {
      continue;
    }
    std::vector<fs::path> dirs{under(root, mount.point)};
    for (auto part = path->begin() + std::ssize(*mount_root); part != path->end(); ++part) {
      dirs.push_back(dirs.back() / *part);
    }
    return dirs;
  }
  return {};
}

// cpu.max holds "max PERIOD" (no limit) or "QUOTA PERIOD" in microseconds.
std::optional<double> read_cpu_max(const fs::path& dir) {
  std::optional<std::string> line = read_first_line(dir / "cpu.max");
  if (!line) return std::nullopt;
  std::vector<std::string_view> fields = split(trim(*line), ' ');
  if (fields.size() != 2) return std::nullopt;
  std::optional<std::int64_t> quota = parse_positive(fields[0]);
  std::optional<std::int64_t> period = parse_positive(fields[1]);
  if (!quota || !period) return std::nullopt;
  return static_cast<double>(*quota) / static_cast<double>(*period);
}

// v1 splits the pair over two files; a quota of -1 means no limit.
std::optional<double> read_cfs_quota(const fs::path& dir) {
  std::optional<std::string> quota_line = read_first_line(dir / "cpu.cfs_quota_us");
  if (!quota_line) return std::nullopt;
  std::optional<std::int64_t> quota = parse_positive(trim(*quota_line));
  if (!quota) return std::nullopt;
  std::optional<std::string> period_line = read_first_line(dir / "cpu.cfs_period_us");
  if (!period_line) return std::nullopt;
  std::optional<std::int64_t> period = parse_positive(trim(*period_line));
  if (!period) return std::nullopt;
  return static_cast<double>(*quota) / static_cast<double>(*period);
}

void tighten(std::optional<double>& limit, std::optional<double> candidate) {
  if (candidate && (!limit || *candidate < *limit)) limit = candidate;
}

// A cgroup is held to its own limit and to every ancestor's.
template <class ReadLimit>
std::optional<double> tightest_in(const std::vector<fs::path>& dirs, ReadLimit read_limit) {
  std::optional<double> limit;
  for (const fs::path& dir : dirs) tighten(limit, read_limit(dir));
  return limit;
}

std::optional<double> cgroup_cpu_limit_or_throw(const fs::path& root) {
  std::ifstream cgroups(under(root, "/proc/self/cgroup"));
  if (!cgroups) return std::nullopt;
  std::vector<CgroupMount> mounts = read_cgroup_mounts(root);
  std::vector<CgroupMount> v1_cpu;
  std::vector<CgroupMount> v2;
  for (const CgroupMount& mount : mounts) {
    if (mount.fstype == "cgroup2") {
      v2.push_back(mount);
    } else if (has_token(mount.super_options, "cpu")) {
      v1_cpu.push_back(mount);
    }
  }
  if (v2.empty()) v2.push_back({"cgroup2", "/", "/sys/fs/cgroup", ""});

  // Hybrid hosts list both a v2 line and v1 lines; whichever hierarchy holds the cpu controller is the
  // one with limit files, and taking the tightest of both covers either case.
  std::optional<double> limit;
  std::string line;
  while (std::getline(cgroups, line)) {
    // "hierarchy-id:controllers:path"; the path itself may contain ':'.
    std::size_t first = line.find(':');
    std::size_t second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos) continue;
    std::string_view text = line;
    std::string_view id = text.substr(0, first);
    std::string_view controllers = text.substr(first + 1, second - first - 1);
    std::string_view path = text.substr(second + 1);
    if (id == "0" && controllers.empty()) {
      tighten(limit, tightest_in(cgroup_dirs(root, v2, path), read_cpu_max));
    } else if (has_token(controllers, "cpu")) {
      tighten(limit, tightest_in(cgroup_dirs(root, v1_cpu, path), read_cfs_quota));
    }
  }
  return limit;
}

}  // namespace

std::optional<double> cgroup_cpu_limit(const std::filesystem::path& root) noexcept {
  try {
    return cgroup_cpu_limit_or_throw(root);
  } catch (...) {
    // Only allocation can fail here; without the files' verdict there is no limit to report.
    return std::nullopt;
  }
}

unsigned usable_cpu_count_from(unsigned affinity_cpus, std::optional<double> quota) noexcept {
  unsigned cpus = std::max(affinity_cpus, 1U);
  if (quota && std::isfinite(*quota) && *quota > 0) {
    double rounded = std::ceil(*quota);
    if (rounded < static_cast<double>(cpus)) cpus = static_cast<unsigned>(rounded);
  }
  return cpus;
}

unsigned affinity_cpu_count() noexcept {
  // sched_getaffinity fails with EINVAL while the buffer is smaller than the kernel's CPU mask, which
  // is larger than a plain cpu_set_t (CPU_SETSIZE) on big machines: grow until it fits.
  int cpus = std::max(CPU_SETSIZE,
                      static_cast<int>(std::min(cpu_count(), static_cast<unsigned>(k_max_affinity_cpus))));
  for (; cpus <= k_max_affinity_cpus; cpus *= 2) {
    std::unique_ptr<cpu_set_t, CpuSetFree> set(CPU_ALLOC(cpus));
    if (!set) break;
    std::size_t size = CPU_ALLOC_SIZE(cpus);
    int rc = posix::retried("sched_getaffinity", [&] { return ::sched_getaffinity(0, size, set.get()); });
    if (rc == 0) return static_cast<unsigned>(std::max(CPU_COUNT_S(size, set.get()), 1));
    if (rc != -EINVAL) break;
  }
  return cpu_count();
}

}  // namespace detail

unsigned cpu_count() noexcept {
  try {
    long cpus = detail::posix::checked("sysconf", [] {
      errno = 0;  // sysconf returns -1 without touching errno when it cannot say; don't mistake an old EINTR
      return ::sysconf(_SC_NPROCESSORS_CONF);
    });
    if (cpus > 0 && cpus <= static_cast<long>(UINT_MAX)) return static_cast<unsigned>(cpus);
  } catch (const std::system_error&) {
    // Fall through to the standard library's answer.
  }
  unsigned cpus = std::thread::hardware_concurrency();
  return cpus > 0 ? cpus : 1;
}

unsigned usable_cpu_count() noexcept {
  // Capped by cpu_count() so the documented order cpu_count() >= usable_cpu_count() holds even if the
  // two sources disagree (e.g. sysconf failed and hardware_concurrency() counted fewer CPUs).
  return std::min(detail::usable_cpu_count_from(detail::affinity_cpu_count(), detail::cgroup_cpu_limit("/")),
                  cpu_count());
}

}  // namespace mpp
