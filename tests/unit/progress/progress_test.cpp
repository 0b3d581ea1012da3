// mpp::progress (progress.hpp) and the bar it shares with mpp-run (detail/progress_bar.hpp): what
// the line says, that it is drawn only on a terminal, and that the elements pass through unchanged.
#include "mpp/progress.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <unistd.h>

#include <numeric>
#include <ranges>
#include <string>
#include <vector>

#include "mpp/pool.hpp"
#include "mpp/process_pool.hpp"

namespace {

using mpp::detail::ProgressBar;

int square(int x) { return x * x; }

// Everything readable on `fd` now, without blocking.
std::string drain(int fd) {
  std::string text;
  char buffer[4096];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0 || (p.revents & POLLIN) == 0) return text;
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) return text;
    text.append(buffer, static_cast<std::size_t>(n));
  }
}

// While it lives, standard error is the slave side of a new pseudo-terminal.
class StderrOnTerminal {
 public:
  StderrOnTerminal() {
    winsize size{};
    size.ws_col = 100;
    size.ws_row = 24;
    if (::openpty(&master_, &slave_, nullptr, nullptr, &size) != 0) return;
    saved_ = ::dup(STDERR_FILENO);
    ::dup2(slave_, STDERR_FILENO);
  }
  StderrOnTerminal(const StderrOnTerminal&) = delete;
  StderrOnTerminal& operator=(const StderrOnTerminal&) = delete;
  ~StderrOnTerminal() {
    restore();
    for (int fd : {master_, slave_}) {
      if (fd >= 0) ::close(fd);
    }
  }
  [[nodiscard]] bool ok() const { return saved_ >= 0; }
  void restore() {
    if (saved_ >= 0) {
      ::dup2(saved_, STDERR_FILENO);
      ::close(saved_);
      saved_ = -1;
    }
  }
  std::string screen() { return drain(master_); }

 private:
  int master_ = -1;
  int slave_ = -1;
  int saved_ = -1;
};

TEST(ProgressBarRender, Figures) {
  const std::string start = ProgressBar::render(0, 2000, 0.0, 100);
  EXPECT_NE(start.find("  0% 0/2000"), std::string::npos) << start;
  EXPECT_NE(start.find("ETA --:--"), std::string::npos) << start;
  const std::string half = ProgressBar::render(1000, 2000, 4.0, 100);
  EXPECT_NE(half.find(" 50% 1000/2000  250/s  ETA 0:04"), std::string::npos) << half;
  EXPECT_NE(half.find("[" + std::string(20, '#') + std::string(20, '.') + "]"), std::string::npos) << half;
  const std::string done = ProgressBar::render(2000, 2000, 8.0, 100);
  EXPECT_NE(done.find("100% 2000/2000  250/s  took 0:08"), std::string::npos) << done;
  EXPECT_NE(ProgressBar::render(1, 3, 1.0, 100).find("1.00/s  ETA 0:02"), std::string::npos);
  EXPECT_NE(ProgressBar::render(1, 100000, 1.0, 100).find("ETA 27:46:39"), std::string::npos);
  EXPECT_NE(ProgressBar::render(0, 0, 0.0, 100).find("100% 0/0"), std::string::npos);
  EXPECT_NE(ProgressBar::render(5, 3, 1.0, 100).find("100% 5/3"), std::string::npos);
}

TEST(ProgressBarRender, FitsTheWidth) {
  for (std::size_t width : {0u, 1u, 10u, 30u, 45u, 80u, 200u}) {
    EXPECT_LE(ProgressBar::render(123, 4567, 3.0, width).size(), width);
  }
  // Too narrow for a bar: the figures alone.
  EXPECT_EQ(ProgressBar::render(1, 2, 1.0, 30).find('['), std::string::npos);
}

TEST(ProgressBar, DrawsInPlaceOnItsDescriptor) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  {
    ProgressBar bar(3, fds[1], true);
    EXPECT_TRUE(bar.enabled());
    bar.advance();
    bar.clear();
    bar.draw();
    bar.advance(2);  // all done: drawn at once, whatever the time since the last drawing
    bar.finish();
    bar.advance();  // finished: nothing more
  }
  ::close(fds[1]);
  const std::string text = drain(fds[0]);
  ::close(fds[0]);
  EXPECT_EQ(text.rfind("\r", 0), 0u) << text;
  EXPECT_NE(text.find("0% 0/3"), std::string::npos) << text;
  EXPECT_NE(text.find("\r\033[K"), std::string::npos) << text;
  EXPECT_NE(text.find("100% 3/3"), std::string::npos) << text;
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(text.find("4/3"), std::string::npos) << text;
}

TEST(ProgressBar, DisabledWritesNothing) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  {
    ProgressBar bar(3, fds[1], false);
    bar.advance(3);
    bar.draw();
    bar.clear();
    EXPECT_EQ(bar.next_redraw(), mpp::detail::k_no_deadline);
  }
  ::close(fds[1]);
  EXPECT_EQ(drain(fds[0]), "");
  ::close(fds[0]);
}

TEST(Progress, PassesElementsThroughAndCountsThem) {
  const std::vector<int> items{1, 2, 3, 4};
  std::vector<int> seen;
  auto wrapped = mpp::progress(items);
  for (int x : wrapped) seen.push_back(x);
  EXPECT_EQ(seen, items);
  EXPECT_EQ(wrapped.done(), items.size());
}

TEST(Progress, SilentWhenStandardErrorIsNotATerminal) {
  if (::isatty(STDERR_FILENO) == 1) GTEST_SKIP() << "standard error is a terminal here";
  auto wrapped = mpp::progress(std::views::iota(0, 10));
  EXPECT_FALSE(wrapped.shown());
  int sum = 0;
  for (int x : wrapped) sum += x;
  EXPECT_EQ(sum, 45);
}

TEST(Progress, OverPoolImap) {
  mpp::Pool pool(2);
  std::vector<int> items(50);
  std::iota(items.begin(), items.end(), 0);
  std::vector<int> results;
  for (int r : mpp::progress(pool.imap(square, items), items.size())) results.push_back(r);
  ASSERT_EQ(results.size(), items.size());
  for (int x : items) EXPECT_EQ(results[static_cast<std::size_t>(x)], x * x);
}

TEST(Progress, OverProcessPoolImapUnordered) {
  mpp::ProcessPool pool(2);
  long sum = 0;
  std::size_t n = 0;
  for (int r : mpp::progress(pool.imap_unordered(square, std::views::iota(0, 40)), 40)) {
    sum += r;
    ++n;
  }
  EXPECT_EQ(n, 40u);
  EXPECT_EQ(sum, 20540);
}

TEST(Progress, DrawsOnATerminal) {
  StderrOnTerminal terminal;
  if (!terminal.ok()) GTEST_SKIP() << "no pseudo-terminal available";
  const std::vector<int> items{1, 2, 3};
  {
    auto wrapped = mpp::progress(items);
    EXPECT_TRUE(wrapped.shown());
    for ([[maybe_unused]] int x : wrapped) {
    }
  }
  terminal.restore();
  const std::string screen = terminal.screen();
  EXPECT_NE(screen.find("0% 0/3"), std::string::npos) << screen;
  EXPECT_NE(screen.find("100% 3/3"), std::string::npos) << screen;
  EXPECT_NE(screen.find("took"), std::string::npos) << screen;
}

TEST(Progress, LeavingEarlyEndsTheLine) {
  StderrOnTerminal terminal;
  if (!terminal.ok()) GTEST_SKIP() << "no pseudo-terminal available";
  {
    const std::vector<int> items{1, 2, 3, 4};
    for (int x : mpp::progress(items)) {
      if (x == 2) break;
    }
  }
  terminal.restore();
  const std::string screen = terminal.screen();
  EXPECT_NE(screen.find("1/4"), std::string::npos) << screen;
  EXPECT_EQ(screen.find("4/4"), std::string::npos) << screen;
  ASSERT_FALSE(screen.empty());
  EXPECT_EQ(screen.back(), '\n') << screen;  // the pty turns "\n" into "\r\n"
}

}  // namespace
