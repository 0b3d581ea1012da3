// mpp::SharedMemory: creating (exclusively, owner-only unless asked), attaching by name, the
// name's lifetime (the creating process unlinks it; attached copies and forked copies never do),
// bad names and sizes, failed system calls, and children of every start method writing into it.
#include "mpp/shared_memory.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <new>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "mpp/process.hpp"
#include "mpp/start_method.hpp"
#include "mpp/synchronize.hpp"
#include "mpp_test/start_methods.hpp"
#include "mpp_test/sync.hpp"
#include "posix/syscall.hpp"

namespace {

bool listed(const std::string& name) { return std::filesystem::exists("/dev/shm/" + name); }

std::errc error_of(const std::system_error& e) { return static_cast<std::errc>(e.code().value()); }

// Names unique to this test process, so that parallel test runs never meet.
std::string unique(const char* stem) {
  return std::string("mpp-test-") + stem + "-" + std::to_string(::getpid());
}

TEST(SharedMemory, ACreatedSegmentIsZeroFilledAndAttachersSeeItsBytes) {
  mpp::SharedMemory created(4096);
  EXPECT_EQ(created.size(), 4096U);
  EXPECT_TRUE(listed(created.name())) << created.name();
  for (std::byte b : created.bytes()) ASSERT_EQ(b, std::byte{0});
  std::memcpy(created.data(), "hello", 6);
  mpp::SharedMemory attached = mpp::SharedMemory::attach(created.name());
  EXPECT_EQ(attached.size(), 4096U);
  EXPECT_STREQ(reinterpret_cast<const char*>(attached.data()), "hello");
  attached.data()[0] = std::byte{'j'};
  EXPECT_STREQ(reinterpret_cast<const char*>(created.data()), "jello");
}

TEST(SharedMemory, FreshNamesDiffer) {
  const mpp::SharedMemory a(1);
  const mpp::SharedMemory b(1);
  EXPECT_NE(a.name(), b.name());
}

TEST(SharedMemory, CreatingANameThatExistsIsRefusedAndLeavesTheSegmentAlone) {
  const std::string name = unique("exclusive");
  mpp::SharedMemory first = mpp::SharedMemory::create(name, 64);
  first.data()[0] = std::byte{7};
  try {
    (void)mpp::SharedMemory::create("/" + name, 128);
    ADD_FAILURE() << "created twice";
  } catch (const std::system_error& e) {
    EXPECT_EQ(error_of(e), std::errc::file_exists);
    EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
  }
  EXPECT_EQ(mpp::SharedMemory::attach(name).size(), 64U);
  EXPECT_EQ(mpp::SharedMemory::attach(name).data()[0], std::byte{7});
}

TEST(SharedMemory, ASegmentIsOwnerOnlyUnlessAskedAndTheUmaskDoesNotApply) {
  const mpp::SharedMemory fresh(8);
  struct stat status {};
  ASSERT_EQ(::stat(("/dev/shm/" + fresh.name()).c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 0777, 0600U);
  const mode_t old_mask = ::umask(077);
  const mpp::SharedMemory shared = mpp::SharedMemory::create(unique("mode"), 8, 0640);
  ::umask(old_mask);
  ASSERT_EQ(::stat(("/dev/shm/" + shared.name()).c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 0777, 0640U);
}

TEST(SharedMemory, AnotherUserCannotAttachToAnOwnerOnlySegment) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root, to become another user";
  const mpp::SharedMemory segment(8);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(2);
    try {
      (void)mpp::SharedMemory::attach(segment.name());
    } catch (const std::system_error& e) {
      ::_exit(error_of(e) == std::errc::permission_denied ? 0 : 3);
    }
    ::_exit(4);  // attached
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "2: could not change user, 3: another error, 4: attached";
}

TEST(SharedMemory, TheCreatorUnlinksTheNameAndMappingsOutliveIt) {
  std::string name;
  std::optional<mpp::SharedMemory> attached;
  {
    mpp::SharedMemory created(16);
    name = created.name();
    attached.emplace(mpp::SharedMemory::attach(name));
    created.data()[3] = std::byte{42};
  }
  EXPECT_FALSE(listed(name));
  EXPECT_EQ(attached->data()[3], std::byte{42});  // still mapped
  try {
    (void)mpp::SharedMemory::attach(name);
    ADD_FAILURE() << "attached after the creator went";
  } catch (const std::system_error& e) {
    EXPECT_EQ(error_of(e), std::errc::no_such_file_or_directory);
    EXPECT_NE(std::string(e.what()).find("no segment named '" + name + "'"), std::string::npos) << e.what();
  }
}

TEST(SharedMemory, AnAttachedOneNeverUnlinksAndUnlinkIsIdempotent) {
  mpp::SharedMemory created(16);
  { const mpp::SharedMemory attached = mpp::SharedMemory::attach(created.name()); }
  EXPECT_TRUE(listed(created.name()));
  mpp::SharedMemory::attach(created.name()).unlink();  // anyone may unlink
  EXPECT_FALSE(listed(created.name()));
  created.unlink();  // gone already: nothing to do
  EXPECT_NO_THROW(created.unlink());
}

TEST(SharedMemory, KeepNameLetsTheSegmentOutliveItsCreator) {
  std::string name;
  {
    mpp::SharedMemory created(16);
    name = created.name();
    created.keep_name();
  }
  EXPECT_TRUE(listed(name));
  mpp::SharedMemory::attach(name).unlink();
  EXPECT_FALSE(listed(name));
}

TEST(SharedMemory, AMovedSegmentUnlinksOnce) {
  mpp::SharedMemory created(16);
  const std::string name = created.name();
  mpp::SharedMemory moved(std::move(created));
  mpp::SharedMemory other(8);
  const std::string other_name = other.name();
  other = std::move(moved);  // `other`'s own segment is released (and unlinked) here
  EXPECT_FALSE(listed(other_name));
  EXPECT_TRUE(listed(name));
  EXPECT_EQ(other.name(), name);
}

TEST(SharedMemory, BadNamesAndSizesAreInvalidArguments) {
  for (const std::string& bad :
       {std::string(), std::string("/"), std::string("a/b"), std::string(".."), std::string(251, 'x')}) {
    EXPECT_THROW((void)mpp::SharedMemory::create(bad, 8), std::invalid_argument) << bad;
    EXPECT_THROW((void)mpp::SharedMemory::attach(bad), std::invalid_argument) << bad;
  }
  EXPECT_THROW((void)mpp::SharedMemory::create(unique("empty"), 0), std::invalid_argument);
  EXPECT_FALSE(listed(unique("empty")));
}

int fail_call(const char* what) noexcept { return std::strcmp(what, "ftruncate") == 0 ? ENOSPC : 0; }

TEST(SharedMemory, AFailedCreateLeavesNothingBehind) {
  const std::string name = unique("failing");
  mpp::detail::posix::set_fault_hook(&fail_call);
  try {
    (void)mpp::SharedMemory::create(name, 1 << 20);
    ADD_FAILURE() << "created";
  } catch (const std::system_error& e) {
    EXPECT_EQ(error_of(e), std::errc::no_space_on_device);
  }
  mpp::detail::posix::set_fault_hook(nullptr);
  EXPECT_FALSE(listed(name));
}

// --- children -----------------------------------------------------------------------------------

void write_greeting(std::string name) {
  mpp::SharedMemory segment = mpp::SharedMemory::attach(name);
  std::memcpy(segment.data(), "from the child", 15);
}

class SharedMemoryStartMethod : public ::testing::TestWithParam<mpp::StartMethod> {};

TEST_P(SharedMemoryStartMethod, AChildAttachesByNameAndWritesWhatTheParentReads) {
  mpp::SharedMemory segment(64);
  mpp::Process child(mpp::ProcessOptions{.start_method = GetParam()}, &write_greeting, segment.name());
  child.start();
  child.join();
  ASSERT_EQ(child.exitcode(), 0);
  EXPECT_STREQ(reinterpret_cast<const char*>(segment.data()), "from the child");
  EXPECT_TRUE(listed(segment.name()));  // the child attached: it never unlinks
}

// What a child that ends without its destructors made: names, one per line, in the board.
struct Names {
  std::atomic<std::uint32_t> written{0};
  char text[1024];
};

// Makes a segment of each kind, reports the names, and ends by `how` (0: SIGKILL, 1: _exit).
void make_and_die(std::string board_name, std::string chosen, int how) {
  mpp::SharedMemory board = mpp::SharedMemory::attach(board_name);
  auto& names = *std::launder(reinterpret_cast<Names*>(board.data()));
  mpp::SharedMemory fresh(64);
  mpp::SharedMemory named = mpp::SharedMemory::create(chosen, 64);
  mpp::SharedMemory kept(64);
  kept.keep_name();
  mpp::SharedMemory unlinked(64);
  unlinked.unlink();
  mpp::Lock lock;
  mpp::Value<int> value(3);
  const std::string text = fresh.name() + "\n" + named.name() + "\n" + lock.name() + "\n" + value.name() +
                           "\n" + kept.name() + "\n";
  std::memcpy(names.text, text.c_str(), text.size() + 1);
  names.written.store(1);
  if (how == 0) ::raise(SIGKILL);
  ::_exit(0);
}

// Bounded: until the name is gone from /dev/shm.
bool gone(const std::string& name) {
  const auto limit = std::chrono::steady_clock::now() + mpp_test::k_deadlock_limit;
  while (listed(name)) {
    if (std::chrono::steady_clock::now() > limit) return false;
    std::this_thread::yield();
  }
  return true;
}

TEST_P(SharedMemoryStartMethod, NamesOfACreatorThatEndsWithoutItsDestructorsAreUnlinkedExceptKeptOnes) {
  for (const int how : {0, 1}) {
    mpp::SharedMemory board(sizeof(Names));
    new (board.data()) Names;
    const std::string chosen = unique("crash") + "-" + std::to_string(how);
    mpp::Process child(mpp::ProcessOptions{.start_method = GetParam()}, &make_and_die, board.name(), chosen,
                       how);
    child.start();
    child.join();
    EXPECT_EQ(child.exitcode(), how == 0 ? -SIGKILL : 0);
    auto& names = *std::launder(reinterpret_cast<Names*>(board.data()));
    ASSERT_EQ(names.written.load(), 1U);
    std::istringstream lines(names.text);
    std::vector<std::string> listed_names;
    for (std::string line; std::getline(lines, line);) listed_names.push_back(line);
    ASSERT_EQ(listed_names.size(), 5U);
    for (std::size_t i = 0; i < 4; ++i) EXPECT_TRUE(gone(listed_names[i])) << listed_names[i] << " is left";
    EXPECT_TRUE(listed(listed_names[4])) << "keep_name() was not honoured";
    mpp::SharedMemory::attach(listed_names[4]).unlink();
  }
}

// `timeout -s KILL`, a batch system or a test runner ending a job kills its whole process group:
// the tracker is in a session of its own, so it outlives the group and unlinks what is left.
TEST(SharedMemory, NamesOfACreatorKilledWithItsWholeProcessGroupAreUnlinked) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(pipe_fds[0]);
    ::setpgid(0, 0);
    mpp::SharedMemory segment(4096);
    const std::string line = segment.name() + "\n";
    if (::write(pipe_fds[1], line.data(), line.size()) != static_cast<ssize_t>(line.size())) ::_exit(3);
    ::kill(0, SIGKILL);  // the child and everything in its process group
    ::_exit(4);
  }
  ::close(pipe_fds[1]);
  std::string name;
  char c = 0;
  while (::read(pipe_fds[0], &c, 1) == 1 && c != '\n') name += c;
  ::close(pipe_fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  ASSERT_FALSE(name.empty());
  EXPECT_TRUE(gone(name)) << name << " is left";
}

TEST(SharedMemory, AForkedCopyOfTheCreatorDoesNotUnlink) {
  mpp::SharedMemory segment(64);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    { mpp::SharedMemory copy = std::move(segment); }  // the child's copy of the creator goes
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(listed(segment.name()));
}

INSTANTIATE_TEST_SUITE_P(StartMethods, SharedMemoryStartMethod,
                         ::testing::ValuesIn(mpp_test::k_start_methods), mpp_test::start_method_name);

}  // namespace
