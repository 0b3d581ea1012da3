// mpp-run, the real binary, on a pseudo-terminal (forkpty): the progress bar is drawn there and
// only there, job output is never mixed into it, and Ctrl-C typed on the terminal stops every job.
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "tool_support.hpp"

namespace mpp_run_test {
namespace {

using Words = std::vector<std::string>;

// mpp-run with a terminal for its standard input, output and error, as in an interactive shell.
class OnTerminal {
 public:
  explicit OnTerminal(const Words& args) {
    std::vector<std::string> argv{MPP_RUN_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> pointers;
    for (std::string& a : argv) pointers.push_back(a.data());
    pointers.push_back(nullptr);
    winsize size{};
    size.ws_row = 24;
    size.ws_col = 120;
    pid_ = ::forkpty(&master_, nullptr, nullptr, &size);
    if (pid_ == 0) {
      ::execv(pointers[0], pointers.data());
      ::_exit(127);
    }
  }
  OnTerminal(const OnTerminal&) = delete;
  OnTerminal& operator=(const OnTerminal&) = delete;
  ~OnTerminal() {
    if (pid_ > 0 && !status_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (master_ >= 0) ::close(master_);
  }
  [[nodiscard]] bool ok() const { return pid_ > 0; }

  /// Types `text` on the terminal.
  void type(const std::string& text) {
    ASSERT_EQ(::write(master_, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  }

  /// Everything shown until the terminal closes (mpp-run and its jobs ended), and the exit status.
  std::pair<std::string, int> finish() {
    read_until([] { return false; });
    int status = 0;
    EXPECT_TRUE(wait_until([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }));
    status_ = status;
    return {screen_, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)};
  }

  /// Reads the terminal until `done()` or its end.
  template <class Done>
  void read_until(Done done) {
    const auto deadline = Clock::now() + k_limit;
    while (!done() && Clock::now() < deadline) {
      pollfd p{master_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buffer[4096];
      const ssize_t n = ::read(master_, buffer, sizeof buffer);
      if (n <= 0) return;  // EIO: every process with the terminal open has ended
      screen_.append(buffer, static_cast<std::size_t>(n));
    }
  }

 private:
  pid_t pid_ = -1;
  int master_ = -1;
  std::string screen_;
  std::optional<int> status_;
};

TEST(MppRunTerminal, DrawsTheProgressBar) {
  Words args{"-j", "2"};
  for (int i = 0; i < 20; ++i) args.push_back("true");
  OnTerminal terminal(args);
  ASSERT_TRUE(terminal.ok());
  const auto [screen, code] = terminal.finish();
  EXPECT_EQ(code, 0) << screen;
  EXPECT_NE(screen.find("0% 0/20"), std::string::npos) << screen;
  EXPECT_NE(screen.find("100% 20/20"), std::string::npos) << screen;
  EXPECT_NE(screen.find("/s  took "), std::string::npos) << screen;
  EXPECT_NE(screen.find("\r"), std::string::npos) << screen;
}

TEST(MppRunTerminal, BarOptionDrawsTheProgressBar) {
  Words args{"--bar", "-j", "2"};
  for (int i = 0; i < 5; ++i) args.push_back("true");
  OnTerminal terminal(args);
  ASSERT_TRUE(terminal.ok());
  const auto [screen, code] = terminal.finish();
  EXPECT_EQ(code, 0) << screen;
  EXPECT_NE(screen.find("100% 5/5"), std::string::npos) << screen;
}

TEST(MppRunTerminal, NoBarWhenAskedNot) {
  OnTerminal terminal({"--no-bar", "true", "echo visible"});
  ASSERT_TRUE(terminal.ok());
  const auto [screen, code] = terminal.finish();
  EXPECT_EQ(code, 0) << screen;
  EXPECT_EQ(screen, "visible\r\n");
}

TEST(MppRunTerminal, NoBarWhenStandardErrorIsNotATerminal) {
  Words args{"-j", "2", "echo out"};
  for (int i = 0; i < 20; ++i) args.push_back("true");
  const Result r = run(args);
  EXPECT_EQ(r.code(), 0) << r;
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "");
}

TEST(MppRunTerminal, JobOutputIsNeverMixedWithTheBar) {
  Words args{"-j", "4", "sh -c 'seq -f \"{}-line-%g\" 1 50'", ":::"};
  for (int i = 0; i < 30; ++i) args.push_back("job" + std::to_string(i));
  OnTerminal terminal(args);
  ASSERT_TRUE(terminal.ok());
  const auto [screen, code] = terminal.finish();
  EXPECT_EQ(code, 0) << screen;
  // The bar is erased ("\r\033[K") before a job's output and drawn again after it, so once the
  // erasures are taken out every line holding job output is exactly one line of one job.
  std::size_t job_lines = 0;
  for (std::string line : lines_of(screen)) {
    for (std::size_t at; (at = line.find("\r\033[K")) != std::string::npos;) line.erase(0, at + 4);
    if (line.find("-line-") == std::string::npos) continue;
    ++job_lines;
    EXPECT_TRUE(line.starts_with("job")) << line;
    EXPECT_TRUE(line.ends_with("\r")) << line;
    EXPECT_EQ(line.find('%'), std::string::npos) << line;
  }
  EXPECT_EQ(job_lines, 30u * 50u);
}

TEST(MppRunTerminal, CtrlCOnTheTerminalStopsEveryJob) {
  ScratchDir dir;
  const std::string job = "sh -c 'echo $$ >> " + (dir / "pids") + "; exec sleep 30'";
  OnTerminal terminal({"-j", "2", job, job, "touch " + (dir / "third")});
  ASSERT_TRUE(terminal.ok());
  ASSERT_TRUE(wait_for_lines(dir / "pids", 2));
  terminal.type("\x03");  // ^C: the terminal sends SIGINT to its foreground process group
  const auto [screen, code] = terminal.finish();
  EXPECT_EQ(code, 130) << screen;
  EXPECT_NE(screen.find("SIGINT"), std::string::npos) << screen;
  EXPECT_FALSE(std::filesystem::exists(dir / "third"));
  for (const std::string& line : lines_of(read_file(dir / "pids"))) {
    const pid_t pid = std::stoi(line);
    EXPECT_TRUE(::kill(pid, 0) == -1 && errno == ESRCH) << "job " << pid << " left behind";
  }
}

}  // namespace
}  // namespace mpp_run_test
