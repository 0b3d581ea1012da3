// Printing frames as pandas prints them (pandas/io/formats/format.py, DataFrameFormatter and its
// array formatters): each column formatted as a whole, then laid out in fixed-width columns.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "frame/frame_datetime.hpp"
#include "mpp/detail/frame/frame_throw.hpp"
#include "mpp/frame.hpp"

namespace mpp {
namespace {

constexpr int k_max_precision = 50;

// pandas' width of a cell: its characters (UTF-8 continuation bytes take no room).
std::size_t width(std::string_view text) noexcept {
  return static_cast<std::size_t>(std::count_if(
      text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// pandas prints a tab, CR and LF inside a value or a name as their escapes.
std::string escaped(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// printf's `% .*f` and `% .*e`, Python's `{: .6f}` and `{: .6e}` (a space where a sign could be).
std::string printed(const char* format, int precision, double value) {
  const int size = std::snprintf(nullptr, 0, format, precision, value);
  std::string out(static_cast<std::size_t>(size), '\0');
  std::snprintf(out.data(), out.size() + 1, format, precision, value);
  return out;
}

// pandas' _trim_zeros_float: the fixed-point numbers (digits, a point, digits) lose the trailing
// zeros they all have, keeping one digit after the point.
bool fixed_point(std::string_view cell) noexcept {
  std::size_t i = cell.find_first_not_of(' ');
  if (i == std::string_view::npos) return false;
  if (cell[i] == '+' || cell[i] == '-') ++i;
  const std::size_t digits = i;
  while (i < cell.size() && cell[i] >= '0' && cell[i] <= '9') ++i;
  if (i == digits || i == cell.size() || cell[i] != '.') return false;
  for (++i; i < cell.size(); ++i) {
    if (cell[i] < '0' || cell[i] > '9') return false;
  }
  return true;
}

void trim_zeros(std::vector<std::string>& cells) {
  std::vector<std::string*> numbers;
  for (std::string& cell : cells) {
    if (fixed_point(cell)) numbers.push_back(&cell);
  }
  if (numbers.empty()) return;
  while (std::all_of(numbers.begin(), numbers.end(), [](const std::string* n) { return n->back() == '0'; })) {
    for (std::string* n : numbers) n->pop_back();
  }
  for (std::string* n : numbers) {
    if (n->back() == '.') n->push_back('0');
  }
}

// pandas' FloatArrayFormatter: fixed point with `precision` decimals, trimmed as a column; in
// scientific notation when a value would show as 0 or a large one makes the column too wide.
std::vector<std::string> float_cells(const Column& column, std::span<const std::size_t> rows, int precision) {
  const auto format_all = [&](const char* format) {
    std::vector<std::string> cells;
    cells.reserve(rows.size());
    for (const std::size_t r : rows) {
      const double v = column.values<double>()[r];
      cells.push_back(column.is_null(r) || std::isnan(v) ? "NaN" : printed(format, precision, v));
    }
    trim_zeros(cells);
    return cells;
  };
  std::vector<std::string> cells = format_all("% .*f");
  std::size_t longest = 0;
  for (const std::string& cell : cells) longest = std::max(longest, cell.size());
  // 10^-precision as Python computes it, the nearest double.
  const double smallest = std::stod("1e-" + std::to_string(precision));
  bool large = false;
  bool small = false;
  for (const std::size_t r : rows) {
    if (column.is_null(r)) continue;
    const double magnitude = std::fabs(column.values<double>()[r]);
    large = large || magnitude > 1e6;
    small = small || (magnitude < smallest && magnitude > 0);
  }
  const bool too_long = longest > static_cast<std::size_t>(precision) + 6;
  if (small || (too_long && large)) cells = format_all("% .*e");
  return cells;
}

// One column's cells for `rows`, with pandas' leading space where a sign could go: int64 as
// numpy's int64 (a negative number has none) and, with a null, as pandas' nullable Int64 (every
// value and <NA> has one); strings as pandas' string type (every value and <NA> has one).
std::vector<std::string> cells(const Column& column, std::span<const std::size_t> rows, int precision) {
  if (column.type() == ColumnType::float64) return float_cells(column, rows, precision);
  bool any_null = false;
  for (const std::size_t r : rows) any_null = any_null || column.is_null(r);
  std::vector<std::string> out;
  out.reserve(rows.size());
  detail::DatetimeFormat format;
  if (column.type() == ColumnType::datetime) {
    // pandas formats the column's printed values as one (a cut frame: those it prints).
    std::vector<std::int64_t> shown;
    for (const std::size_t r : rows) {
      if (!column.is_null(r)) shown.push_back(column.values<std::int64_t>()[r]);
    }
    format = detail::datetime_format(shown, nullptr);
  }
  for (const std::size_t r : rows) {
    if (column.is_null(r)) {
      out.emplace_back(column.type() == ColumnType::datetime ? "NaT" : " <NA>");
    } else if (column.type() == ColumnType::boolean) {
      out.emplace_back(column.values<std::int64_t>()[r] != 0 ? " True" : " False");
    } else if (column.type() == ColumnType::datetime) {
      std::string cell;
      detail::append_datetime(cell, column.values<std::int64_t>()[r], format);
      out.push_back(std::move(cell));
    } else if (column.type() == ColumnType::int64) {
      const std::int64_t v = column.values<std::int64_t>()[r];
      out.push_back((v >= 0 || any_null ? " " : "") + std::to_string(v));
    } else {
      out.push_back(" " + escaped(column.values<std::string>()[r]));
    }
  }
  return out;
}

void pad(std::string& out, std::size_t n) { out.append(n, ' '); }

// pandas' display.max_colwidth: a cell wider than `most` characters keeps its first most - 3 and
// ends in "..." (cut by characters, as Python slices a str, so never inside a UTF-8 sequence).
void cut_wide(std::string& cell, std::size_t most) {
  if (most == 0 || width(cell) <= most) return;
  std::size_t kept = 0;
  std::size_t end = 0;
  for (; end < cell.size(); ++end) {
    if ((static_cast<unsigned char>(cell[end]) & 0xC0) != 0x80 && kept++ == most - 3) break;
  }
  cell.resize(end);
  cell += "...";
}

std::string empty_frame(const Frame& frame) {
  std::string out = "Empty DataFrame\nColumns: [";
  for (std::size_t c = 0; c < frame.num_columns(); ++c) {
    if (c > 0) out += ", ";
    out += escaped(frame.column(c).name());
  }
  return out + "]\nIndex: []\n";
}

}  // namespace

std::string to_string(const Frame& frame, const PrintOptions& options) {
  if (options.precision < 0 || options.precision > k_max_precision) {
    detail::throw_frame_invalid(
        "mpp::to_string",
        "PrintOptions::precision is " + std::to_string(options.precision) + "; it must be 0 to 50");
  }
  if (options.max_colwidth > 0 && options.max_colwidth < 4) {
    std::string why = "PrintOptions::max_colwidth is ";
    why.append(std::to_string(options.max_colwidth)).append("; it must be 0 (no limit) or at least 4");
    detail::throw_frame_invalid("mpp::to_string", why);
  }
  const std::size_t rows = frame.num_rows();
  if (rows == 0) return empty_frame(frame);
  // The rows shown, as pandas' DataFrameFormatter truncates: all of them, or the first and last
  // min_rows / 2; where that is 0 (min_rows or max_rows 1), the first max_rows and no last ones.
  const bool cut = options.max_rows != 0 && rows > options.max_rows;
  const std::size_t shown_rows =
      options.min_rows == 0 ? options.max_rows : std::min(options.min_rows, options.max_rows);
  const std::size_t head = shown_rows / 2 >= 1 ? shown_rows / 2 : options.max_rows;
  const std::size_t tail = shown_rows / 2;
  std::vector<std::size_t> shown;
  for (std::size_t r = 0; r < rows; ++r) {
    if (!cut || r < head || r >= rows - tail) shown.push_back(r);
  }
  // Columns of cells, each a header then a cell per shown row; column 0 is the index.
  std::vector<std::vector<std::string>> table;
  table.reserve(frame.num_columns() + 1);
  table.emplace_back(1);
  for (const std::size_t r : shown) table[0].push_back(std::to_string(frame.index_start() + r));
  for (const Column& column : frame.columns()) {
    // pandas puts a space before a number or bool column's name, where its values' signs go.
    const ColumnType type = column.type();
    std::string header;
    if (type == ColumnType::int64 || type == ColumnType::float64 || type == ColumnType::boolean)
      header += ' ';
    header += escaped(column.name());
    table.push_back({std::move(header)});
    std::vector<std::string> values = cells(column, shown, options.precision);
    for (std::string& cell : values) cut_wide(cell, options.max_colwidth);
    table.back().insert(table.back().end(), values.begin(), values.end());
  }
  std::vector<std::size_t> widths;
  for (const auto& column : table) {
    // A cut frame's row of dots is at least "..": an index of one-digit labels or a column one
    // character wide widens to it, as in pandas.
    std::size_t w = cut ? 2 : 0;
    for (const std::string& cell : column) w = std::max(w, width(cell));
    widths.push_back(w);
  }
  // Cells joined by one space, the index left-aligned and the values right-aligned; a cut frame
  // has a row of dots after the first half (".." in a column at most 3 wide).
  std::string out;
  const auto line = [&](auto&& cell_of) {
    for (std::size_t c = 0; c < table.size(); ++c) {
      if (c > 0) out += ' ';
      const std::string cell = cell_of(c);
      const std::size_t room = widths[c] - width(cell);
      if (c != 0) pad(out, room);
      out += cell;
      if (c == 0 && c + 1 < table.size()) pad(out, room);
    }
    out += '\n';
  };
  for (std::size_t i = 0; i <= shown.size(); ++i) {
    line([&](std::size_t c) { return table[c][i]; });  // i == 0: the header
    if (cut && i == head) line([&](std::size_t c) { return std::string(widths[c] > 3 ? "..." : ".."); });
  }
  if (cut) {
    out.append("\n[").append(std::to_string(rows)).append(" rows x ");
    out.append(std::to_string(frame.num_columns())).append(" columns]\n");
  }
  return out;
}

std::string to_string(const Frame& frame, std::size_t max_rows) {
  return to_string(frame, PrintOptions{.max_rows = max_rows, .min_rows = max_rows, .max_colwidth = 0});
}

std::ostream& operator<<(std::ostream& out, const Frame& frame) { return out << to_string(frame); }

std::ostream& operator<<(std::ostream& out, const Column& column) {
  return out << to_string(Frame{column}, PrintOptions{.max_rows = 0});
}

std::ostream& operator<<(std::ostream& out, ColumnType type) { return out << to_string(type); }

ColumnTypes dtypes(const Frame& frame) {
  ColumnTypes types;
  types.columns.reserve(frame.num_columns());
  for (const Column& column : frame.columns()) types.columns.emplace_back(column.name(), column.type());
  return types;
}

std::string to_string(const ColumnTypes& types) {
  if (types.columns.empty()) return "Series([], dtype: object)\n";
  // pandas' Series: the names left-aligned, three spaces, the types right-aligned after a space.
  std::size_t name_width = 0;
  std::size_t type_width = 0;
  for (const auto& [name, type] : types.columns) {
    name_width = std::max(name_width, width(escaped(name)));
    type_width = std::max(type_width, std::string_view(to_string(type)).size() + 1);
  }
  std::string out;
  for (const auto& [name, type] : types.columns) {
    const std::string shown = escaped(name);
    out += shown;
    pad(out, name_width - width(shown) + 3 + type_width - std::string_view(to_string(type)).size());
    out.append(to_string(type)).append("\n");
  }
  return out + "dtype: object\n";
}

std::ostream& operator<<(std::ostream& out, const ColumnTypes& types) { return out << to_string(types); }

}  // namespace mpp
