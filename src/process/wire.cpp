#include "process/wire.hpp"

#include <algorithm>
#include <cstring>

namespace mpp::detail::wire {
namespace {
constexpr std::byte k_zeros[8] = {};
}  // namespace

void RecordWriter::start(Kind kind, std::span<const Part> parts) {
  MPP_ASSERT(!busy_);
  std::size_t size = 0;
  for (const Part& p : parts) size += p.size;
  header_ = RecordHeader{size, kind, 0};
  parts_.clear();
  parts_.push_back({reinterpret_cast<const std::byte*>(&header_), sizeof(header_)});
  for (const Part& p : parts) {
    if (p.size != 0) parts_.push_back(p);
  }
  if (padded(size) != size) parts_.push_back({k_zeros, padded(size) - size});
  part_ = 0;
  offset_ = 0;
  busy_ = true;
}

bool RecordWriter::advance(Ring& ring) noexcept {
  if (!busy_) return true;
  std::size_t room = ring.writable();
  std::size_t written = 0;
  std::byte* out = ring.write_pointer();
  while (part_ < parts_.size() && room > 0) {
    const Part& p = parts_[part_];
    const std::size_t n = std::min(room, p.size - offset_);
    std::memcpy(out + written, p.data + offset_, n);
    written += n;
    room -= n;
    offset_ += n;
    if (offset_ == p.size) {
      ++part_;
      offset_ = 0;
    }
  }
  if (written != 0) ring.commit_write(written);
  busy_ = part_ < parts_.size();
  return !busy_;
}

std::optional<RecordView> RecordReader::peek(Ring& ring) {
  if (gathered_) return RecordView{header_.kind, std::span(buffer_.data(), header_.size)};
  if (!gathering_) {
    if (in_place_span_ != 0) {
      // Peeked before and not consumed: still there.
      auto* h = reinterpret_cast<const RecordHeader*>(ring.read_pointer());
      return RecordView{
          h->kind, std::span(const_cast<std::byte*>(ring.read_pointer()) + sizeof(RecordHeader), h->size)};
    }
    if (ring.readable() < sizeof(RecordHeader)) return std::nullopt;
    std::memcpy(&header_, ring.read_pointer(), sizeof(header_));
    const std::size_t span = record_span(header_.size);
    if (span <= ring.capacity()) {
      if (ring.readable() < span) return std::nullopt;
      in_place_span_ = span;
      return RecordView{
          header_.kind,
          std::span(const_cast<std::byte*>(ring.read_pointer()) + sizeof(RecordHeader), header_.size)};
    }
    // Larger than the ring: gather it, freeing ring space as we go so the writer can go on.
    ring.commit_read(sizeof(RecordHeader));
    buffer_.resize(header_.size);
    have_ = 0;
    padding_left_ = padded(header_.size) - header_.size;
    gathering_ = true;
  }
  std::size_t available = ring.readable();
  std::size_t taken = 0;
  if (have_ < header_.size) {
    const std::size_t n = std::min(available, header_.size - have_);
    std::memcpy(buffer_.data() + have_, ring.read_pointer(), n);
    have_ += n;
    taken += n;
    available -= n;
  }
  if (have_ == header_.size && padding_left_ > 0) {
    const std::size_t n = std::min(available, padding_left_);
    padding_left_ -= n;
    taken += n;
  }
  if (taken != 0) ring.commit_read(taken);
  if (have_ < header_.size || padding_left_ > 0) return std::nullopt;
  gathering_ = false;
  gathered_ = true;
  return RecordView{header_.kind, std::span(buffer_.data(), header_.size)};
}

void RecordReader::consume(Ring& ring) noexcept {
  if (gathered_) {
    gathered_ = false;
    if (buffer_.capacity() > (std::size_t{64} << 20))
      ByteBuffer().swap(buffer_);  // do not hold on to huge buffers
    return;
  }
  if (in_place_span_ != 0) {
    ring.commit_read(in_place_span_);
    in_place_span_ = 0;
  }
}

}  // namespace mpp::detail::wire
