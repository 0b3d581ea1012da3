// The pieces of usable_cpu_count(), exposed so tests can feed them fake cgroup trees.
#pragma once

#include <filesystem>
#include <optional>

namespace mpp::detail {

/// The CPU limit of the calling process's cgroups, in CPUs (1.5 means 150 ms of CPU time per 100 ms),
/// or nullopt when nothing limits it. Every absolute path it reads is taken below `root` ("/" in
/// production, a fake tree in tests): /proc/self/cgroup names the process's cgroups,
/// /proc/self/mountinfo where their hierarchies are mounted (cgroup v2 defaults to /sys/fs/cgroup).
/// Reads v2 `cpu.max` and v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us` in the process's cgroup and
/// every ancestor up to the mount point, and returns the tightest limit. Missing, unreadable or
/// malformed files impose no limit. Thread-safe; never throws.
[[nodiscard]] std::optional<double> cgroup_cpu_limit(const std::filesystem::path& root) noexcept;

/// min(affinity_cpus, ceil(quota)), never 0. A missing, non-positive or non-finite quota imposes no
/// limit. Never throws.
[[nodiscard]] unsigned usable_cpu_count_from(unsigned affinity_cpus, std::optional<double> quota) noexcept;

/// The number of CPUs in the calling thread's affinity mask (sched_getaffinity), however many CPUs the
/// kernel supports; cpu_count() when the mask cannot be read. Never 0. Thread-safe; never throws.
[[nodiscard]] unsigned affinity_cpu_count() noexcept;

}  // namespace mpp::detail
