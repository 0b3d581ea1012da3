// The one progress bar of mpp, drawn by mpp::progress (progress.hpp) and by mpp-run: a single line
// on a terminal, redrawn in place, such as
//   [###########.........]  55% 1100/2000  412/s  ETA 0:02
// Compiled in src/progress_bar.cpp.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "mpp/detail/core/wait.hpp"

namespace mpp::detail {

/// Draws done/total, the rate and the time left on a terminal. Does nothing at all when disabled,
/// so callers need no test of their own. Redraws at most every k_redraw_interval, except that the
/// first and the last drawing always happen.
///
/// Thread safety: one thread at a time. Not copyable or movable (its owner keeps it in place).
class ProgressBar {
 public:
  static constexpr auto k_redraw_interval = std::chrono::milliseconds(100);

  /// Where the bar's text goes instead of a write() to the descriptor (a writer that must never
  /// block, such as mpp-run's, queues it behind the output it holds).
  using Sink = std::function<void(std::string_view)>;

  /// A bar on `fd` when `enabled` (its owner decides, usually is_terminal(fd)); draws 0/total now.
  /// With a `sink`, the text goes there and `fd` only gives the width (80 when not a terminal).
  ProgressBar(std::size_t total, int fd, bool enabled, Sink sink = {}) noexcept;
  /// A bar on standard error when standard error is a terminal, silent otherwise.
  explicit ProgressBar(std::size_t total) noexcept;
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;
  /// finish()
  ~ProgressBar();

  [[nodiscard]] bool enabled() const noexcept { return enabled_; }
  [[nodiscard]] std::size_t done() const noexcept { return done_; }

  /// `n` more items are done; redraws when the last drawing is old enough (or all are done).
  void advance(std::size_t n = 1) noexcept;
  /// Redraws when due: time alone changes the rate and the ETA.
  void tick() noexcept;
  /// When tick() would redraw next (k_no_deadline when disabled or finished).
  [[nodiscard]] Deadline next_redraw() const noexcept;
  /// Erases the bar, so that other output to the same terminal starts on a clean line; the next
  /// draw() or due redraw puts it back.
  void clear() noexcept;
  /// Draws now.
  void draw() noexcept;
  /// Draws the final state and ends the line; later calls do nothing.
  void finish() noexcept;

  /// The line for `done` of `total` after `seconds`, at most `width` columns (no escapes). Pure:
  /// the drawing above and the tests use it.
  [[nodiscard]] static std::string render(std::size_t done, std::size_t total, double seconds,
                                          std::size_t width);
  /// Whether `fd` is a terminal.
  [[nodiscard]] static bool is_terminal(int fd) noexcept;

 private:
  void write_line(bool end_line) noexcept;
  void emit(std::string_view text) noexcept;

  std::size_t total_;
  std::size_t done_ = 0;
  std::size_t drawn_done_ = 0;  // the count the last drawing showed
  int fd_;
  bool enabled_;
  bool visible_ = false;
  Clock::time_point start_;
  Clock::time_point last_draw_{};
  Sink sink_;
};

}  // namespace mpp::detail
