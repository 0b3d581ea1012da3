#include "remote/reporter.hpp"

#include <algorithm>
#include <cstring>
#include <optional>

#include "mpp/detail/remote/exception_codec.hpp"
#include "remote/chunk_request.hpp"

namespace mpp::detail {

void ChunkReporter::run_request(ByteReader& in, const FunctionRelocation* relocation, bool mapped) noexcept {
  const std::optional<wire::ChunkHeader> header = read_chunk_header(in);
  // A relocated entry (0) needs this side's relocation; an address, a load of the same program.
  if (!header || (header->entry == 0) != (relocation != nullptr)) corrupt_request();
  chunk_starts(*header);
  run_chunk(header->begin, header->end, in, header->entry, relocation, mapped);
}

// Items [begin, end), the entry function next in `in` (relocated) or `entry` as it is.
void ChunkReporter::run_chunk(std::size_t begin, std::size_t end, ByteReader& in, std::uint64_t entry,
                              const FunctionRelocation* relocation, bool mapped) noexcept {
  begin_ = next_ = begin;
  end_ = end;
  try {
    const auto function = reinterpret_cast<RemoteEntry>(
        relocation != nullptr ? relocation->decode(in) : static_cast<std::uintptr_t>(entry));
    if (mapped) {
      const auto where = in.read_raw<wire::MappedBytes>();
      ByteReader body(std::span(reinterpret_cast<const std::byte*>(where.address), where.size));
      function(*this, body);
    } else {
      function(*this, in);
    }
  } catch (...) {
    // An entry reports per item and throws only before any item runs: it cannot be found here,
    // or its request cannot be read. Every item not reported yet fails with the reason.
    close_block();
    const auto error = std::current_exception();
    for (std::size_t i = next_; i < end_; ++i) {
      start_item(i);
      item_error(i, error);
    }
  }
  close_block();
}

void ChunkReporter::item_value(std::size_t i, std::span<const std::byte> bytes, bool fixed_size) {
  next_ = i + 1;
  if (!(fixed_size && append_to_block(i, bytes))) {
    close_block();
    if (!(fixed_size && open_block(i, bytes.size(), end_ - i) && append_to_block(i, bytes))) {
      const wire::ItemHeader header{i};
      write_record(wire::Kind::value, {{reinterpret_cast<const std::byte*>(&header), sizeof(header)},
                                       {bytes.data(), bytes.size()}});
    }
  }
  item_reported();
}

void ChunkReporter::item_error(std::size_t i, const std::exception_ptr& error) noexcept {
  next_ = i + 1;
  close_block();
  if (!encode_task_exception(error_, error, unsent_note())) cannot_report();
  try {
    const wire::ItemHeader header{i};
    write_record(wire::Kind::error, {{reinterpret_cast<const std::byte*>(&header), sizeof(header)},
                                     {error_.data(), error_.size()}});
  } catch (...) {
    cannot_report();
  }
  item_reported();
}

WorkerContext::RawResults ChunkReporter::open_results(std::size_t first, std::size_t size) {
  close_block();
  std::atomic<std::uint64_t>* running = raw_running();
  if (running == nullptr) return {};
  const std::size_t allowed = may_start(first, end_ - first);
  if (allowed == 0 || !open_block(first, size, allowed)) return {};
  return {block_data_, block_->capacity, &block_->count, running};
}

void ChunkReporter::close_results() noexcept {
  close_block();
  item_reported();
}

bool ChunkReporter::append_to_block(std::size_t i, std::span<const std::byte> bytes) noexcept {
  if (block_ == nullptr || bytes.size() != block_->size) return false;
  const std::uint64_t count = block_->count.load(std::memory_order_relaxed);
  if (count == block_->capacity || block_->first + count != i) return false;
  if (!bytes.empty()) std::memcpy(block_data_ + count * bytes.size(), bytes.data(), bytes.size());
  block_->count.store(count + 1, std::memory_order_release);
  if (count + 1 == block_->capacity) close_block();
  return true;
}

bool ChunkReporter::open_block(std::size_t i, std::size_t size, std::size_t wanted) {
  block_ = reserve_block(i, size, wanted);
  if (block_ == nullptr) return false;
  block_data_ = reinterpret_cast<std::byte*>(block_) + sizeof(wire::BlockHeader);
  return true;
}

void ChunkReporter::close_block() noexcept {
  if (block_ == nullptr) return;
  const std::uint64_t count = block_->count.load(std::memory_order_relaxed);
  next_ = std::max<std::size_t>(next_, block_->first + count);
  wire::BlockHeader& block = *block_;
  block_ = nullptr;
  publish_block(block);
}

}  // namespace mpp::detail
