#pragma once

namespace mpp {

/// The number of logical CPUs configured on the machine, whether or not this process may use them
/// (sysconf(_SC_NPROCESSORS_CONF), else std::thread::hardware_concurrency(), else 1). Never 0.
/// Thread-safe; never throws; does not block.
[[nodiscard]] unsigned cpu_count() noexcept;

/// The number of CPUs the calling thread may actually run on at once: its affinity mask (so taskset,
/// cpusets and container CPU pinning count), further capped by the cgroup CPU quota (v2 `cpu.max`,
/// v1 `cpu.cfs_quota_us`) rounded up, so a quota of 1.5 CPUs gives 2. Never 0, never above
/// cpu_count(). The default size of every pool.
/// Recomputed on every call (nothing is cached), so a changed mask or a forked child's own mask is
/// seen at once. Thread-safe; never throws; does not block (it reads a few small files under /proc
/// and /sys).
[[nodiscard]] unsigned usable_cpu_count() noexcept;

}  // namespace mpp
