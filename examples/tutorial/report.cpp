#include "report.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <string>
#include <vector>

namespace tutorial {

void Report::heading(std::string_view title) { fmt::print("\n== {} ==\n", title); }

void Report::skipped(std::string name, std::string_view why) {
  fmt::print("method: {}\nskipped: {}\n", name, why);
  entries_.push_back({std::move(name), 0, Verdict::skipped, false});
}

std::string Report::comparison(const Entry& entry) const {
  if (!entry.versus_serial || entry.ms <= 0 || serial_ms_ <= 0) return "-";
  const double speedup = serial_ms_ / entry.ms;
  const double factor = speedup >= 1 ? speedup : 1 / speedup;
  // Three significant digits: 1.20x, 93.3x, 102x.
  const int decimals = factor < 10 ? 2 : factor < 100 ? 1 : 0;
  return fmt::format("{:.{}f}x {}", factor, decimals, speedup >= 1 ? "faster" : "slower");
}

void Report::summary() const {
  // Each cell is formatted first, so that every column can be as wide as its widest cell.
  using Cells = std::array<std::string, 4>;
  std::vector<Cells> rows{{"method", "time ms", "vs serial", "correct"}};
  for (const Entry& entry : entries_) {
    const bool skipped = entry.verdict == Verdict::skipped;
    const char* const correct = entry.verdict == Verdict::reference ? "-"
                                : skipped                           ? "skipped"
                                : entry.verdict == Verdict::yes     ? "yes"
                                                                    : "no";
    rows.push_back(
        {entry.method, skipped ? "-" : fmt::format("{:.2f}", entry.ms), comparison(entry), correct});
  }
  std::array<std::size_t, 4> width{};
  for (const Cells& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  auto print_row = [&width](const Cells& row) {
    // Text to the left, numbers to the right; the last column is not padded (no trailing blanks).
    fmt::print("{:<{}} | {:>{}} | {:>{}} | {}\n", row[0], width[0], row[1], width[1], row[2], width[2],
               row[3]);
  };
  print_row(rows.front());
  fmt::print("{:-<{}}-+-{:-<{}}-+-{:-<{}}-+-{:-<{}}\n", "", width[0], "", width[1], "", width[2], "",
             width[3]);
  for (std::size_t r = 1; r < rows.size(); ++r) print_row(rows[r]);
  fmt::print(
      "correct: equal to serial's results; for exercise 2, the scripts' expected output and exit code.\n"
      "vs serial: only for the sections' methods; the exercises' data are too small for a speed-up.\n"
      "apply and apply_async send one task per row, a round trip to a worker each: the tutorial's slow\n"
      "pattern; map hands the rows out in chunks and is its fast one, as the tutorial says.\n");
}

bool Report::all_correct() const {
  return std::ranges::none_of(entries_, [](const Entry& entry) { return entry.verdict == Verdict::no; });
}

}  // namespace tutorial
