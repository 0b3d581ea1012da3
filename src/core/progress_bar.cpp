#include "mpp/detail/core/progress_bar.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

#include "posix/syscall.hpp"

namespace mpp::detail {
namespace {

constexpr std::size_t k_default_width = 80;
constexpr std::size_t k_max_bar = 40;
constexpr std::size_t k_min_bar = 5;

std::string clock_text(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--:--";
  // Beyond 99 999 hours the figure says nothing more; it also keeps the cast below in range.
  const auto total = static_cast<long long>(std::min(seconds, 359'999'999.0) + 0.5);
  char text[32];
  if (total >= 3600) {
    std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", total / 3600, total / 60 % 60, total % 60);
  } else {
    std::snprintf(text, sizeof text, "%lld:%02lld", total / 60, total % 60);
  }
  return text;
}

std::string rate_text(double rate) {
  char text[32];
  if (!std::isfinite(rate) || rate <= 0) return "--/s";
  // Three significant figures at most: the bar is read at a glance.
  std::snprintf(text, sizeof text, rate < 10 ? "%.2f/s" : rate < 100 ? "%.1f/s" : "%.0f/s", rate);
  return text;
}

std::size_t terminal_width(int fd) noexcept {
  winsize size{};
  if (::ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return k_default_width;
}

}  // namespace

ProgressBar::ProgressBar(std::size_t total, int fd, bool enabled, Sink sink) noexcept
    : total_(total), fd_(fd), enabled_(enabled), start_(Clock::now()), sink_(std::move(sink)) {
  draw();
}

ProgressBar::ProgressBar(std::size_t total) noexcept
    : ProgressBar(total, STDERR_FILENO, is_terminal(STDERR_FILENO)) {}

ProgressBar::~ProgressBar() { finish(); }

bool ProgressBar::is_terminal(int fd) noexcept { return ::isatty(fd) == 1; }

void ProgressBar::advance(std::size_t n) noexcept {
  done_ += n;
  if (!enabled_) return;
  if (done_ >= total_ || Clock::now() - last_draw_ >= k_redraw_interval) draw();
}

void ProgressBar::tick() noexcept {
  if (enabled_ && Clock::now() >= next_redraw()) draw();
}

Deadline ProgressBar::next_redraw() const noexcept {
  if (!enabled_) return k_no_deadline;
  // A count not shown yet is shown within k_redraw_interval; once a second is enough when only
  // the clock moves.
  return last_draw_ + (drawn_done_ != done_ ? Clock::duration(k_redraw_interval) : std::chrono::seconds(1));
}

void ProgressBar::clear() noexcept {
  if (!enabled_ || !visible_) return;
  emit("\r\033[K");
  visible_ = false;
}

void ProgressBar::draw() noexcept { write_line(false); }

void ProgressBar::finish() noexcept {
  write_line(true);
  enabled_ = false;
}

void ProgressBar::write_line(bool end_line) noexcept {
  if (!enabled_) return;
  const auto now = Clock::now();
  last_draw_ = now;
  drawn_done_ = done_;
  try {
    const double seconds = std::chrono::duration<double>(now - start_).count();
    // One column short of the width: a terminal that wraps at the last column would scroll.
    std::string line = "\r";
    line += render(done_, total_, seconds, terminal_width(fd_) - 1);
    line += "\033[K";
    if (end_line) line += '\n';
    // One write, so the line never reaches the terminal in pieces; a bar that cannot be drawn
    // (the terminal went away) is not worth failing the caller's work for.
    emit(line);
    visible_ = !end_line;
  } catch (...) {  // std::bad_alloc: no bar this time
  }
}

void ProgressBar::emit(std::string_view text) noexcept {
  if (sink_) {
    try {
      sink_(text);
    } catch (...) {  // std::bad_alloc: no bar this time
    }
    return;
  }
  posix::retried("write", [&] { return ::write(fd_, text.data(), text.size()); });
}

std::string ProgressBar::render(std::size_t done, std::size_t total, double seconds, std::size_t width) {
  const bool finished = done >= total;
  const double fraction =
      total == 0 ? 1.0 : std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0.0;
  char head[64];
  std::snprintf(head, sizeof head, "%3d%% %zu/%zu", static_cast<int>(fraction * 100), done, total);
  std::string text = head;
  text += "  ";
  text += rate_text(rate);
  text += finished ? "  took " : "  ETA ";
  text += clock_text(finished ? seconds : rate > 0 ? static_cast<double>(total - done) / rate : -1.0);
  // The bar takes what the figures leave, between k_min_bar and k_max_bar cells.
  if (width >= text.size() + 3 + k_min_bar) {
    const std::size_t cells = std::min(k_max_bar, width - text.size() - 3);
    const auto filled = static_cast<std::size_t>(fraction * static_cast<double>(cells));
    // Appended piece by piece: g++ 12 at -O3 misreads a chain of operator+ here (-Wrestrict).
    std::string bar;
    bar.reserve(cells + 3 + text.size());
    bar += '[';
    bar.append(filled, '#');
    bar.append(cells - filled, '.');
    bar += "] ";
    bar += text;
    text = std::move(bar);
  }
  if (text.size() > width) text.resize(width);
  return text;
}

}  // namespace mpp::detail
