#include "mpp/cpu.hpp"

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "mpp/detail/core/cpu_quota.hpp"

namespace {

namespace fs = std::filesystem;
using mpp::detail::affinity_cpu_count;
using mpp::detail::cgroup_cpu_limit;
using mpp::detail::usable_cpu_count_from;

// CPUs in the calling thread's mask read the simple way, which is exact below CPU_SETSIZE CPUs.
int plain_affinity_count() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return -1;
  return CPU_COUNT(&set);
}

// Exit codes of the forked child, so a failure says which step went wrong.
enum ChildResult : int {
  k_child_ok = 0,
  k_child_getaffinity_failed = 10,
  k_child_too_few_cpus = 11,
  k_child_setaffinity_failed = 12,
  k_child_wrong_affinity_count = 13,
  k_child_wrong_usable_count = 14,
};

// Pins the calling (child) process to the first `cpus` CPUs of its mask and checks what mpp sees.
int pin_and_count(int cpus) {
  cpu_set_t current;
  CPU_ZERO(&current);
  if (sched_getaffinity(0, sizeof current, &current) != 0) return k_child_getaffinity_failed;
  cpu_set_t wanted;
  CPU_ZERO(&wanted);
  int picked = 0;
  for (int cpu = 0; cpu < CPU_SETSIZE && picked < cpus; ++cpu) {
    if (CPU_ISSET(cpu, &current)) {
      CPU_SET(cpu, &wanted);
      ++picked;
    }
  }
  if (picked != cpus) return k_child_too_few_cpus;
  if (sched_setaffinity(0, sizeof wanted, &wanted) != 0) return k_child_setaffinity_failed;
  auto expected = static_cast<unsigned>(cpus);
  if (affinity_cpu_count() != expected) return k_child_wrong_affinity_count;
  // A quota on this machine could lower the answer below the mask (never for one CPU).
  if (mpp::usable_cpu_count() != usable_cpu_count_from(expected, cgroup_cpu_limit("/"))) {
    return k_child_wrong_usable_count;
  }
  if (cpus == 1 && mpp::usable_cpu_count() != 1) return k_child_wrong_usable_count;
  return k_child_ok;
}

// Runs pin_and_count in a forked child so the parent's mask stays as it was; returns its exit code.
int exit_code_of_pinned_child(int cpus) {
  pid_t child = fork();
  if (child == -1) return -1;
  if (child == 0) _exit(pin_and_count(cpus));
  int status = 0;
  while (waitpid(child, &status, 0) == -1) {
    if (errno != EINTR) return -2;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -3;
}

TEST(CpuCount, IsNeverZero) { EXPECT_GE(mpp::cpu_count(), 1U); }

TEST(CpuCount, MatchesSysconf) {
  long configured = sysconf(_SC_NPROCESSORS_CONF);
  if (configured <= 0) GTEST_SKIP() << "sysconf(_SC_NPROCESSORS_CONF) cannot say on this system";
  EXPECT_EQ(mpp::cpu_count(), static_cast<unsigned>(configured));
}

TEST(CpuCount, IsAtLeastUsableCpuCountWhichIsAtLeastOne) {
  unsigned usable = mpp::usable_cpu_count();
  EXPECT_GE(usable, 1U);
  EXPECT_GE(mpp::cpu_count(), usable);
}

TEST(AffinityCpuCount, MatchesPlainSchedGetaffinity) {
  int expected = plain_affinity_count();
  ASSERT_GT(expected, 0);
  EXPECT_EQ(affinity_cpu_count(), static_cast<unsigned>(expected));
}

TEST(UsableCpuCount, IsAffinityCappedByThisMachinesQuota) {
  EXPECT_EQ(mpp::usable_cpu_count(), usable_cpu_count_from(affinity_cpu_count(), cgroup_cpu_limit("/")));
}

TEST(UsableCpuCount, EqualsAffinityCountWithoutQuota) {
  if (std::optional<double> quota = cgroup_cpu_limit("/")) {
    GTEST_SKIP() << "this machine's cgroup limits the process to " << *quota << " CPUs";
  }
  int expected = plain_affinity_count();
  ASSERT_GT(expected, 0);
  EXPECT_EQ(mpp::usable_cpu_count(), static_cast<unsigned>(expected));
}

TEST(UsableCpuCount, SeesForkedChildPinnedToOneCpu) { EXPECT_EQ(exit_code_of_pinned_child(1), k_child_ok); }

TEST(UsableCpuCount, SeesForkedChildPinnedToTwoCpus) {
  if (plain_affinity_count() < 2) GTEST_SKIP() << "needs at least 2 CPUs in the affinity mask";
  EXPECT_EQ(exit_code_of_pinned_child(2), k_child_ok);
}

TEST(UsableCpuCountFrom, RoundsFractionalQuotaUp) {
  EXPECT_EQ(usable_cpu_count_from(4, 1.01), 2U);
  EXPECT_EQ(usable_cpu_count_from(4, 1.5), 2U);
  EXPECT_EQ(usable_cpu_count_from(4, 2.0), 2U);
}

TEST(UsableCpuCountFrom, TinyQuotaStillGivesOneCpu) {
  EXPECT_EQ(usable_cpu_count_from(4, 0.1), 1U);
  EXPECT_EQ(usable_cpu_count_from(4, 0.5), 1U);
}

TEST(UsableCpuCountFrom, QuotaAboveAffinityKeepsAffinity) {
  EXPECT_EQ(usable_cpu_count_from(2, 8.0), 2U);
  EXPECT_EQ(usable_cpu_count_from(3, std::nullopt), 3U);
}

TEST(UsableCpuCountFrom, IsNeverZero) {
  EXPECT_EQ(usable_cpu_count_from(0, std::nullopt), 1U);
  EXPECT_EQ(usable_cpu_count_from(0, 0.5), 1U);
}

TEST(UsableCpuCountFrom, IgnoresNonsenseQuota) {
  EXPECT_EQ(usable_cpu_count_from(4, 0.0), 4U);
  EXPECT_EQ(usable_cpu_count_from(4, -1.0), 4U);
  EXPECT_EQ(usable_cpu_count_from(4, std::numeric_limits<double>::quiet_NaN()), 4U);
  EXPECT_EQ(usable_cpu_count_from(4, std::numeric_limits<double>::infinity()), 4U);
}

// A fake filesystem root in a fresh temporary directory, removed afterwards.
class CgroupCpuLimit : public ::testing::Test {
 protected:
  CgroupCpuLimit() {
    static int serial = 0;
    root_ = fs::temp_directory_path() /
            ("mpp-cpu-test-" + std::to_string(getpid()) + "-" + std::to_string(++serial) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  ~CgroupCpuLimit() override {
    std::error_code ignored;
    fs::remove_all(root_, ignored);
  }

  // Writes `content` to the file the process would see as `absolute`.
  void write(std::string_view absolute, std::string_view content) { write(absolute, {content}); }
  // In parts: GCC 12 takes a std::string built with `+` here for an out-of-bounds copy
  // (-Warray-bounds) in some builds.
  void write(std::string_view absolute, std::initializer_list<std::string_view> parts) {
    fs::path file = root_ / fs::path(absolute).relative_path();
    fs::create_directories(file.parent_path());
    std::ofstream out(file, std::ios::trunc);
    for (std::string_view part : parts) out << part;
    ASSERT_TRUE(out.good()) << file;
  }

  void write_v1_quota(const std::string& dir, std::string_view quota, std::string_view period) {
    write(dir + "/cpu.cfs_quota_us", quota);
    write(dir + "/cpu.cfs_period_us", period);
  }

  // A v1 cpu,cpuacct hierarchy mounted the way systemd and Docker do it.
  static constexpr std::string_view k_v1_mountinfo =
      "25 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
      "30 25 0:26 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755\n"
      "34 30 0:30 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup "
      "rw,cpu,cpuacct\n";

  [[nodiscard]] std::optional<double> limit() const { return cgroup_cpu_limit(root_); }

  [[nodiscard]] const fs::path& root() const { return root_; }

 private:
  fs::path root_;
};

TEST_F(CgroupCpuLimit, V2ReadsFractionalLimit) {
  write("/proc/self/cgroup", "0::/app.slice/job\n");
  write("/sys/fs/cgroup/app.slice/job/cpu.max", "150000 100000\n");
  std::optional<double> cpus = limit();
  ASSERT_TRUE(cpus.has_value());
  EXPECT_DOUBLE_EQ(*cpus, 1.5);
  EXPECT_EQ(usable_cpu_count_from(4, cpus), 2U);
}

TEST_F(CgroupCpuLimit, V2MaxMeansNoLimit) {
  write("/proc/self/cgroup", "0::/app\n");
  write("/sys/fs/cgroup/app/cpu.max", "max 100000\n");
  EXPECT_EQ(limit(), std::nullopt);
}

TEST_F(CgroupCpuLimit, V2TighterParentWins) {
  write("/proc/self/cgroup", "0::/parent/child\n");
  write("/sys/fs/cgroup/parent/child/cpu.max", "300000 100000\n");
  write("/sys/fs/cgroup/parent/cpu.max", "100000 100000\n");
  write("/sys/fs/cgroup/cpu.max", "max 100000\n");
  std::optional<double> cpus = limit();
  ASSERT_TRUE(cpus.has_value());
  EXPECT_DOUBLE_EQ(*cpus, 1.0);
}

TEST_F(CgroupCpuLimit, V2TighterChildWins) {
  write("/proc/self/cgroup", "0::/parent/child\n");
  write("/sys/fs/cgroup/parent/child/cpu.max", "25000 100000\n");
  write("/sys/fs/cgroup/parent/cpu.max", "400000 100000\n");
  std::optional<double> cpus = limit();
  ASSERT_TRUE(cpus.has_value());
  EXPECT_DOUBLE_EQ(*cpus, 0.25);
}

TEST_F(CgroupCpuLimit, V2ReadsTopOfHierarchy) {
  // Inside a cgroup namespace the container's own limit sits at the mount point.
  write("/proc/self/cgroup", "0::/\n");
  write("/sys/fs/cgroup/cpu.max", "200000 100000\n");
  std::optional<double> cpus = limit();
  ASSERT_TRUE(cpus.has_value());
  EXPECT_DOUBLE_EQ(*cpus, 2.0);
}

TEST_F(CgroupCpuLimit, V2GarbageMeansNoLimit) {
  write("/proc/self/cgroup", "0::/app\n");
  for (std::string_view garbage :
       {"abc", "", "\n", "100000 0", "-5 100000", "0 100000", "150000", "150000 100000 7", "1.5 1", "max",
        "150000  100000", "99999999999999999999999 100000"}) {
    SCOPED_TRACE(std::string("cpu.max = \"") + std::string(garbage) + "\"");
    write("/sys/fs/cgroup/app/cpu.max", garbage);
    EXPECT_EQ(limit(), std::nullopt);
  }
}

TEST_F(CgroupCpuLimit, V2GarbageDoesNotHideValidAncestor) {
  write("/proc/self/cgroup", "0::/parent/child\n");
  write("/sys/fs/cgroup/parent/child/cpu.max", "garbage\n");
  write("/sys/fs/cgroup/parent/cpu.max", "300000 100000\n");
  std::optional<double> cpus = limit();
  ASSERT_TRUE(cpus.has_value());
  EXPECT_DOUBLE_EQ(*cpus, 3.0);
}

TEST_F(CgroupCpuLimit, V2UsesMountPointFromMountinfo) {
  // A hybrid host mounts cgroup2 at /sys/fs/cgroup/unified; /sys/fs/cgroup/app is not the process's.
  write("/proc/self/cgroup", "0::/app\n");
  write("/proc/self/mountinfo",
        "30 25 0:26 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755\n"
        "31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw\n");
  write("/sys/fs/cgroup/app/cpu.max", "10000 100000\n");
  write("/sys/fs/cgroup/unified/app/cpu.max", "50000 100000\n");
  std::optional<double> cpus = limit();
  ASSERT_TRUE(cpus.has_value());
  EXPECT_DOUBLE_EQ(*cpus, 0.5);
}

TEST_F(CgroupCpuLimit, V2PathOutsideNamespaceIsNotMisread) {
  // The kernel writes "/../x" for a cgroup outside the reader's namespace; no visible file is its.
  write("/proc/self/cgroup", "0::/../other\n");
  write("/sys/fs/cgroup/other/cpu.max", "10000 100000\n");
  write("/sys/fs/cgroup/cpu.max", "20000 100000\n");
  write("/sys/fs/other/cpu.max", "30000 100000\n");
  EXPECT_EQ(limit(), std::nullopt);
}

TEST_F(CgroupCpuLimit, V1ReadsQuotaOverPeriod) {
  write("/proc/self/cgroup", "5:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n0::/\n");
  write("/proc/self/mountinfo", k_v1_mountinfo);
  write_v1_quota("/sys/fs/cgroup/cpu,cpuacct/docker/abc", "50000\n", "100000\n");
  std::optional<double> cpus = limit();
  ASSERT_TRUE(cpus.has_value());
  EXPECT_DOUBLE_EQ(*cpus, 0.5);
  EXPECT_EQ(usable_cpu_count_from(4, cpus), 1U);
}

TEST_F(CgroupCpuLimit, V1MinusOneMeansNoLimit) {
  write("/proc/self/cgroup", "4:cpu,cpuacct:/docker/abc\n");
  write("/proc/self/mountinfo", k_v1_mountinfo);
  write_v1_quota("/sys/fs/cgroup/cpu,cpuacct/docker/abc", "-1\n", "100000\n");
  write_v1_quota("/sys/fs/cgroup/cpu,cpuacct/docker", "-1\n", "100000\n");
  write_v1_quota("/sys/fs/cgroup/cpu,cpuacct", "-1\n", "100000\n");
  EXPECT_EQ(limit(), std::nullopt);
}

TEST_F(CgroupCpuLimit, V1TighterParentWins) {
  write("/proc/self/cgroup", "4:cpu,cpuacct:/docker/abc\n");
  write("/proc/self/mountinfo", k_v1_mountinfo);
  write_v1_quota("/sys/fs/cgroup/cpu,cpuacct/docker/abc", "400000\n", "100000\n");
  write_v1_quota("/sys/fs/cgroup/cpu,cpuacct/docker", "150000\n", "100000\n");
  std::optional<double> cpus = limit();
  ASSERT_TRUE(cpus.has_value());
  EXPECT_DOUBLE_EQ(*cpus, 1.5);
}

TEST_F(CgroupCpuLimit, V1MountRootIsStrippedFromCgroupPath) {
  // Docker without a cgroup namespace mounts only the container's cgroup: the files for
  // /docker/abc are at the mount point itself, and mount-point + /docker/abc is a stranger's.
  write("/proc/self/cgroup", "4:cpu,cpuacct:/docker/abc\n");
  write("/proc/self/mountinfo",
        "34 30 0:30 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro,nosuid - cgroup cgroup rw,cpu,cpuacct\n");
  write_v1_quota("/sys/fs/cgroup/cpu,cpuacct", "50000\n", "100000\n");
  write_v1_quota("/sys/fs/cgroup/cpu,cpuacct/docker/abc", "10000\n", "100000\n");
  std::optional<double> cpus = limit();
  ASSERT_TRUE(cpus.has_value());
  EXPECT_DOUBLE_EQ(*cpus, 0.5);
}

TEST_F(CgroupCpuLimit, V1MountRootStripsOnlyWholeComponents) {
  // The process sits below the mounted root: walk from the mount point down to it.
  write("/proc/self/cgroup", "4:cpu,cpuacct:/docker/abc/worker\n");
  write("/proc/self/mountinfo",
        "34 30 0:30 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro,nosuid - cgroup cgroup rw,cpu,cpuacct\n");
  write_v1_quota("/sys/fs/cgroup/cpu,cpuacct", "300000\n", "100000\n");
  write_v1_quota("/sys/fs/cgroup/cpu,cpuacct/worker", "200000\n", "100000\n");
  std::optional<double> cpus = limit();
  ASSERT_TRUE(cpus.has_value());
  EXPECT_DOUBLE_EQ(*cpus, 2.0);

  // "/docker/abcdef" is not below "/docker/abc": no visible file belongs to the process.
  write("/proc/self/cgroup", "4:cpu,cpuacct:/docker/abcdef\n");
  EXPECT_EQ(limit(), std::nullopt);
}

TEST_F(CgroupCpuLimit, V1PicksTheCpuControllerNotCpuacctOrCpuset) {
  write("/proc/self/cgroup", "3:cpuset:/a\n2:cpuacct:/a\n1:cpu:/b\n");
  write("/proc/self/mountinfo",
        "32 30 0:29 / /sys/fs/cgroup/cpuset rw - cgroup cgroup rw,cpuset\n"
        "33 30 0:30 / /sys/fs/cgroup/cpuacct rw - cgroup cgroup rw,cpuacct\n"
        "34 30 0:31 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n");
  write_v1_quota("/sys/fs/cgroup/cpuset/a", "10000\n", "100000\n");
  write_v1_quota("/sys/fs/cgroup/cpuacct/a", "10000\n", "100000\n");
  write_v1_quota("/sys/fs/cgroup/cpuacct/b", "10000\n", "100000\n");
  write_v1_quota("/sys/fs/cgroup/cpu/b", "200000\n", "100000\n");
  std::optional<double> cpus = limit();
  ASSERT_TRUE(cpus.has_value());
  EXPECT_DOUBLE_EQ(*cpus, 2.0);
}

TEST_F(CgroupCpuLimit, V1UnescapesMountPoint) {
  write("/proc/self/cgroup", "4:cpu:/job\n");
  write("/proc/self/mountinfo", "34 30 0:30 / /cg\\040roups/cpu rw - cgroup cgroup rw,cpu\n");
  write_v1_quota("/cg roups/cpu/job", "75000\n", "100000\n");
  std::optional<double> cpus = limit();
  ASSERT_TRUE(cpus.has_value());
  EXPECT_DOUBLE_EQ(*cpus, 0.75);
}

TEST_F(CgroupCpuLimit, V1WithoutMountinfoMeansNoLimit) {
  write("/proc/self/cgroup", "4:cpu,cpuacct:/docker/abc\n");
  write_v1_quota("/sys/fs/cgroup/cpu,cpuacct/docker/abc", "50000\n", "100000\n");
  EXPECT_EQ(limit(), std::nullopt);
}

TEST_F(CgroupCpuLimit, V1GarbageMeansNoLimit) {
  write("/proc/self/cgroup", "4:cpu,cpuacct:/\n");
  write("/proc/self/mountinfo", k_v1_mountinfo);
  const std::string dir = "/sys/fs/cgroup/cpu,cpuacct";
  for (auto [quota, period] : {std::pair<std::string_view, std::string_view>{"abc", "100000"},
                               {"50000", "0"},
                               {"0", "100000"},
                               {"50000", "-100000"},
                               {"50000", "x"},
                               {"", ""},
                               {"-2", "100000"}}) {
    SCOPED_TRACE(std::string("quota \"") + std::string(quota) + "\", period \"" + std::string(period) + "\"");
    write_v1_quota(dir, quota, period);
    EXPECT_EQ(limit(), std::nullopt);
  }
  fs::remove(root() / "sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us");
  write(dir + "/cpu.cfs_quota_us", "50000\n");
  EXPECT_EQ(limit(), std::nullopt);
}

TEST_F(CgroupCpuLimit, HybridHostTakesTighterOfV1AndV2) {
  write("/proc/self/cgroup", "4:cpu,cpuacct:/job\n0::/job\n");
  write("/proc/self/mountinfo",
        {k_v1_mountinfo, "31 30 0:27 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n"});
  write_v1_quota("/sys/fs/cgroup/cpu,cpuacct/job", "300000\n", "100000\n");
  write("/sys/fs/cgroup/unified/job/cpu.max", "120000 100000\n");
  std::optional<double> cpus = limit();
  ASSERT_TRUE(cpus.has_value());
  EXPECT_DOUBLE_EQ(*cpus, 1.2);
}

TEST_F(CgroupCpuLimit, MissingProcSelfCgroupMeansNoLimit) {
  write("/sys/fs/cgroup/cpu.max", "50000 100000\n");
  EXPECT_EQ(limit(), std::nullopt);
  EXPECT_EQ(cgroup_cpu_limit(root() / "does-not-exist"), std::nullopt);
}

TEST_F(CgroupCpuLimit, MalformedLinesAreSkipped) {
  write("/proc/self/cgroup", "\nnonsense\n7:\n::\n0::/app\n");
  write("/proc/self/mountinfo", "\n- cgroup2\n1 2 3 4 - cgroup\n31 30 0:27 / - cgroup2\n");
  write("/sys/fs/cgroup/app/cpu.max", "50000 100000\n");
  std::optional<double> cpus = limit();
  ASSERT_TRUE(cpus.has_value());
  EXPECT_DOUBLE_EQ(*cpus, 0.5);
}

}  // namespace
