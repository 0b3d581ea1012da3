#include "remote/outcomes.hpp"

#include <cstring>

#include "mpp/detail/remote/exception_codec.hpp"

namespace mpp::detail {
namespace {

Taken take(ChunkProgress& c, const wire::RecordView& record, bool writer_gone, std::uint64_t claimed,
           const FunctionRef<std::exception_ptr(std::size_t)>* claimed_error,
           std::span<const std::byte> whole) noexcept {
  const auto payload = record.payload;
  switch (record.kind) {
    case wire::Kind::value:
    case wire::Kind::error: {
      wire::ItemHeader header{};
      if (payload.size() < sizeof(header)) return Taken::malformed;
      std::memcpy(&header, payload.data(), sizeof(header));
      if (header.index != c.next || c.next >= c.end) return Taken::malformed;
      const auto bytes = payload.subspan(sizeof(header));
      ++c.next;
      if (c.settled) return Taken::yes;
      if (claimed == header.index + 1) {
        c.job->accept_error(header.index, (*claimed_error)(header.index));
      } else if (record.kind == wire::Kind::value) {
        if (whole.empty()) {
          c.job->accept_value(header.index, bytes);
        } else {
          c.job->accept_value_record(header.index, bytes, whole);
        }
      } else {
        c.job->accept_error(header.index, decode_exception(bytes));
      }
      return Taken::yes;
    }
    case wire::Kind::block: {
      if (payload.size() < sizeof(wire::BlockHeader)) return Taken::malformed;
      auto* block = reinterpret_cast<wire::BlockHeader*>(payload.data());
      if (block->closed.load(std::memory_order_acquire) == 0 && !writer_gone) return Taken::open_block;
      const std::uint64_t count = block->count.load(std::memory_order_acquire);
      // Results of size 0 (void functions) are fine: only the count matters then.
      if (count > block->capacity ||
          (block->size != 0 &&
           block->capacity > (payload.size() - sizeof(wire::BlockHeader)) / block->size) ||
          block->first != c.next || count > c.end - c.next) {
        return Taken::malformed;
      }
      // A result for an item claimed for a kill is replaced by the kill's error; the worker
      // starts nothing after it.
      if (c.settled) {
        c.next += count;
        return Taken::yes;
      }
      const std::uint64_t kept =
          claimed > block->first && claimed - 1 < block->first + count ? claimed - 1 - block->first : count;
      c.next += kept;
      if (kept != 0)
        c.job->accept_values(block->first, kept, block->size, payload.data() + sizeof(wire::BlockHeader));
      if (kept != count) {
        c.job->accept_error(c.next, (*claimed_error)(c.next));
        ++c.next;
      }
      return Taken::yes;
    }
    default:
      return Taken::malformed;
  }
}

}  // namespace

Taken take_outcome(ChunkProgress& chunk, const wire::RecordView& record, bool writer_gone,
                   std::uint64_t claimed, FunctionRef<std::exception_ptr(std::size_t)> claimed_error,
                   std::span<const std::byte> whole) noexcept {
  return take(chunk, record, writer_gone, claimed, &claimed_error, whole);
}

Taken take_outcome(ChunkProgress& chunk, const wire::RecordView& record, bool writer_gone) noexcept {
  return take(chunk, record, writer_gone, 0, nullptr, {});
}

bool take_outcomes(ChunkProgress& chunk, std::span<std::byte> records, FunctionRef<bool()> stop) noexcept {
  while (!records.empty() && !stop()) {
    const auto record = wire::next_record(records);
    // A message holds whole, closed records only.
    if (!record || take_outcome(chunk, *record, false) != Taken::yes) return false;
  }
  return true;
}

}  // namespace mpp::detail
