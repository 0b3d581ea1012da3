// Bytes of a named shared memory segment, named so that another process on this machine can map
// them instead of receiving a copy: how a ProcessPool map over input in shared memory sends its
// workers ranges, not items.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

namespace mpp::detail {

/// `size` bytes at `offset` of the segment `name`, whose inode was `inode` when they were found
/// (a segment unlinked and made again under the same name is another one).
struct SharedRange {
  std::string name;
  std::uint64_t inode = 0;
  std::uint64_t offset = 0;
  std::uint64_t size = 0;

  template <class Archive>
  void serialize(Archive& archive) {
    archive(name, inode, offset, size);
  }
};

/// Whether what this thread encodes now stays on this machine, so that objects in shared memory
/// may cross as the names of their ranges (a shared Frame's columns) instead of their bytes. False
/// while a request or a result for an MPI rank, which may be on another host, is encoded.
inline thread_local bool t_encoding_for_this_machine = true;

/// Sets t_encoding_for_this_machine for a scope, restoring what it was.
class EncodingScope {
 public:
  explicit EncodingScope(bool this_machine) noexcept : saved_(t_encoding_for_this_machine) {
    t_encoding_for_this_machine = this_machine;
  }
  EncodingScope(const EncodingScope&) = delete;
  EncodingScope& operator=(const EncodingScope&) = delete;
  ~EncodingScope() { t_encoding_for_this_machine = saved_; }

 private:
  bool saved_;
};

/// Where [data, data + size) lies, when it lies inside one segment that this process maps through
/// an mpp::SharedMemory whose name is still linked (checked now: one stat); empty otherwise.
/// Thread-safe.
std::optional<SharedRange> find_shared_range(const void* data, std::size_t size);

/// Whether the range's segment is still linked under its name (not unlinked, nor replaced by
/// another of the same name since the range was found).
bool still_linked(const SharedRange& range) noexcept;

/// A range mapped read-only in this process, for as long as the object lives (and after: the
/// segment stays mapped for the next range of it, until it is unlinked). std::system_error when
/// the segment is gone, was replaced by another of the same name, or is smaller than the range.
class MappedRange {
 public:
  explicit MappedRange(const SharedRange& range);
  [[nodiscard]] std::span<const std::byte> bytes() const noexcept { return {data_, size_}; }

 private:
  std::shared_ptr<const void> segment_;
  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace mpp::detail
