// --pipe: standard input cut into blocks that end at a record's end, as GNU parallel cuts it, each
// block the standard input of one job.
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace mpp::detail::run {

/// How --pipe cuts its input.
struct PipeFormat {
  std::size_t block = std::size_t{1} << 20;  // --block: bytes read before a block is cut (1M)
  std::string recstart;                      // --recstart: what a record starts with (escapes resolved)
  std::string recend = "\n";                 // --recend: what a record ends with
  std::size_t records = 0;                   // -N: records per block; 0: as many as --block holds
  std::size_t header_lines = 0;              // --header: lines given again before every block
  std::vector<std::string> files{};          // --pipepart: the files cut into parts (none: --pipe)
  std::size_t blocks_per_slot = 0;           // --pipepart's --block -N: N parts per job slot
};

/// The largest block (GNU parallel's bound: 2 GiB less one byte).
inline constexpr std::size_t k_max_block = (std::size_t{1} << 31) - 1;

/// --block's size as GNU parallel reads it: a number (a fraction too) with an optional unit: k, m,
/// g, t, p are powers of 1000, K, M, G, T, P and ki..pi (any case) powers of 1024. Throws
/// mpp::ParseError for anything else, a size under 1 byte (GNU parallel's -N, blocks per job slot,
/// is --pipepart's) or above k_max_block.
[[nodiscard]] std::size_t parse_block_size(std::string_view text);

/// --recstart's and --recend's text with GNU parallel's escapes resolved: \0, \r, \n, \t, \', \"
/// and \\; any other backslash stays.
[[nodiscard]] std::string parse_record_separator(std::string_view text);

/// Cuts text, as it arrives, into blocks as GNU parallel's --pipe does: it reads until its buffer
/// holds a whole number of --block sizes, then passes everything up to the last place where a
/// record ends and the next starts (recend then recstart); with -N, blocks of N records each. A
/// record longer than the buffer grows the block size (by 30%, as GNU parallel's), so that it goes
/// whole; at the end of the input, whatever is left is the last block. The input is held once:
/// passed text is no longer kept. Not thread-safe.
class BlockSplitter {
 public:
  explicit BlockSplitter(PipeFormat format);

  /// How many bytes to read before the next cut (at least 1).
  [[nodiscard]] std::size_t wanted() const noexcept { return wanted_; }
  /// Takes text that was read (any length; more than wanted() is cut as it would be in pieces).
  void add(std::string_view text);
  /// The end of the input: the rest is the last block (none when it is empty).
  void finish();
  /// Blocks cut and not yet taken, in order.
  [[nodiscard]] std::deque<std::string>& blocks() noexcept { return blocks_; }
  /// How many times a record longer than the block grew it (GNU parallel warns each time).
  [[nodiscard]] std::size_t growths() const noexcept { return growths_; }
  /// The block size now.
  [[nodiscard]] std::size_t block_size() const noexcept { return format_.block; }

 private:
  void cut(bool at_end);
  void pass(std::size_t length);
  [[nodiscard]] std::string_view held() const noexcept;
  void refill();

  PipeFormat format_;
  std::string separator_;  // recend + recstart
  std::string buffer_;
  std::size_t start_ = 0;  // where the text not yet passed starts in buffer_
  std::size_t wanted_ = 0;
  std::size_t growths_ = 0;
  std::deque<std::string> blocks_;
};

}  // namespace mpp::detail::run
