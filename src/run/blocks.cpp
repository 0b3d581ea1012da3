#include "run/blocks.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "mpp/errors.hpp"

namespace mpp::detail::run {
namespace {

// The value of a unit of --block's, 0 for none known. GNU parallel turns units into products
// (`2Ki` is 2*1024), so a fraction takes one too.
double unit_value(std::string_view unit) {
  if (unit.empty()) return 1;
  static constexpr std::string_view k_units = "kmgtp";
  const char first = unit.front();
  const std::size_t lower = k_units.find(static_cast<char>(first | 0x20));
  if (lower == std::string_view::npos) return 0;
  const double power = static_cast<double>(lower) + 1;
  if (unit.size() == 2 && (unit[1] == 'i' || unit[1] == 'I')) return std::pow(1024.0, power);
  if (unit.size() != 1) return 0;
  return std::pow(first == (first | 0x20) ? 1000.0 : 1024.0, power);
}

}  // namespace

std::size_t parse_block_size(std::string_view text) {
  const auto bad = [&](const std::string& why) {
    throw ParseError("--block '" + std::string(text) + "': " + why);
  };
  std::size_t digits = 0;
  bool point = false;
  while (digits < text.size() &&
         ((text[digits] >= '0' && text[digits] <= '9') || (text[digits] == '.' && !point))) {
    point = point || text[digits] == '.';
    ++digits;
  }
  if (!text.empty() && text.front() == '-') {
    bad("a negative size (GNU parallel: blocks per job slot with --pipepart) is not implemented by mpp-run");
  }
  const std::string number(text.substr(0, digits));
  if (number.empty() || number == ".") bad("give a size in bytes, with k, M, G... if you like (1M)");
  const double unit = unit_value(text.substr(digits));
  if (unit == 0) bad("unknown unit (k, m, g, t, p: powers of 1000; K, M, G, T, P, Ki, Mi...: of 1024)");
  const double size = std::stod(number) * unit;
  if (size < 1) bad("a block is at least one byte");
  if (size > static_cast<double>(k_max_block)) bad("at most 2 GiB less one byte (as GNU parallel)");
  return static_cast<std::size_t>(size);
}

std::string parse_record_separator(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      const char next = text[i + 1];
      const std::string_view from = "0rnt'\"\\";
      static constexpr char k_to[] = {'\0', '\r', '\n', '\t', '\'', '"', '\\'};
      if (const std::size_t at = from.find(next); at != std::string_view::npos) {
        out += k_to[at];
        ++i;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

BlockSplitter::BlockSplitter(PipeFormat format)
    : format_(std::move(format)), separator_(format_.recend + format_.recstart) {
  if (format_.block == 0) throw ParseError("--block: a block is at least one byte");
  if (separator_.empty()) throw ParseError("--recend '' needs a --recstart (records would have no bounds)");
  refill();
}

std::string_view BlockSplitter::held() const noexcept { return std::string_view(buffer_).substr(start_); }

void BlockSplitter::add(std::string_view text) {
  while (!text.empty()) {
    const std::size_t take = std::min(text.size(), wanted_);
    buffer_.append(text.data(), take);
    text.remove_prefix(take);
    wanted_ -= take;
    if (wanted_ == 0) {
      cut(false);
      refill();
    }
  }
}

void BlockSplitter::finish() {
  cut(true);
  if (!held().empty()) pass(held().size());
  refill();
}

// GNU parallel's pass() and pass_n(): at the input's end, only -N cuts (the rest goes whole).
void BlockSplitter::cut(bool at_end) {
  const std::size_t passed_before = blocks_.size();
  if (format_.records == 0) {
    if (at_end) return;
    const std::size_t at = held().rfind(separator_);
    if (at != std::string_view::npos && at + format_.recend.size() > 0) pass(at + format_.recend.size());
  } else {
    // The N-th separator, searched from the second byte on (a record starting the buffer does not
    // end one before it).
    for (;;) {
      const std::string_view text = held();
      std::size_t at = 0;
      for (std::size_t n = 0; n < format_.records && at != std::string_view::npos; ++n) {
        at = text.find(separator_, at + 1);
      }
      if (at == std::string_view::npos || text.empty()) break;
      pass(at + format_.recend.size());
    }
  }
  if (blocks_.size() == passed_before && !at_end && format_.block < k_max_block) {
    // A record longer than the buffer: the block grows until it holds one.
    format_.block = std::min(
        static_cast<std::size_t>(std::ceil(static_cast<double>(format_.block) * 1.3 + 1)), k_max_block);
    ++growths_;
  }
}

void BlockSplitter::pass(std::size_t length) {
  if (start_ == 0 && format_.records == 0) {
    // One cut per buffer: the block takes the buffer itself, the rest (less than a record) moves
    // to a new one. (With -N, many cuts share a buffer: each is copied out instead.)
    std::string rest(held().substr(length));
    buffer_.resize(length);
    blocks_.push_back(std::move(buffer_));
    buffer_ = std::move(rest);
    return;
  }
  blocks_.emplace_back(held().substr(0, length));
  start_ += length;
}

void BlockSplitter::refill() {
  if (start_ > 0) {
    buffer_.erase(0, start_);
    start_ = 0;
  }
  wanted_ = format_.block - held().size() % format_.block;
  buffer_.reserve(held().size() + wanted_);
}

}  // namespace mpp::detail::run
