// --memfree and --load: a job starts only while enough memory is free (MemAvailable of
// /proc/meminfo) and the load average (/proc/loadavg) is below a bound. As make -l does, a job
// always starts when none of mpp-run's is running: the machine's state alone never holds a run
// up for good (its own jobs may be what keeps the 1-minute load high after they have ended).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mpp/detail/core/wait.hpp"

namespace mpp::detail::run {

/// Test aids: files read instead of /proc/meminfo and /proc/loadavg when these are set.
inline constexpr const char* k_meminfo_env = "MPP_RUN_MEMINFO";
inline constexpr const char* k_loadavg_env = "MPP_RUN_LOADAVG";

/// How long a held start waits before the files are read again.
inline constexpr auto k_resource_recheck = std::chrono::milliseconds(100);

/// --memfree's SIZE in bytes, as GNU parallel reads it: a number (a fraction too) with an optional
/// unit, k m g t p (powers of 1000), K M G T P (powers of 1024), Ki Mi... or ki mi... (1024 too).
/// 0 is no limit. Throws mpp::ParseError.
[[nodiscard]] std::uint64_t parse_size(std::string_view option, std::string_view text);

/// --load's MAX for `cpus` CPUs: N or N.N, N% of the CPUs, +N or -N CPUs more or fewer. It must be
/// above 0. Throws mpp::ParseError (also for a file name, which GNU parallel reads MAX from).
[[nodiscard]] double parse_load(std::string_view text, std::size_t cpus);

/// MemAvailable of a /proc/meminfo text, in bytes; none when it has no such line.
[[nodiscard]] std::optional<std::uint64_t> mem_available(std::string_view meminfo);
/// The 1-minute load average of a /proc/loadavg text; none when it does not start with a number.
[[nodiscard]] std::optional<double> load_average(std::string_view loadavg);

/// Whether a job may start now, by --memfree and --load.
///
/// Thread safety: one thread. Reads the files each time it is asked while it allows starts, and
/// keeps a "hold" for k_resource_recheck (the run loop sleeps until next_check()).
class ResourceGate {
 public:
  /// `memfree` bytes (0: none), `max_load` (0: none). Reads the sources once: throws
  /// mpp::ParseError when one that is needed cannot be read or understood, before any job starts.
  ResourceGate(std::uint64_t memfree, double max_load);

  [[nodiscard]] bool active() const noexcept { return memfree_ != 0 || max_load_ != 0; }
  /// Whether a job may start while `running` of mpp-run's jobs run (always when none does).
  [[nodiscard]] bool allows(std::size_t running);
  /// When a hold ends and allows() reads the files again (k_no_deadline when not holding).
  [[nodiscard]] Deadline next_check() const noexcept { return held_until_; }

 private:
  [[nodiscard]] bool machine_allows() const;

  std::uint64_t memfree_;
  double max_load_;
  std::string meminfo_path_;
  std::string loadavg_path_;
  Deadline held_until_ = k_no_deadline;
};

}  // namespace mpp::detail::run
