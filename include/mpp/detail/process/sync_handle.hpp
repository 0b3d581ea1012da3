// What every primitive of <mpp/synchronize.hpp> is: a handle to a SharedMemory segment that starts
// with a header naming the primitive's kind, followed by its state. Copies share the segment; a
// handle crosses to another process as the segment's name, and the receiver attaches.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <string>

#include "mpp/detail/core/decode_tag.hpp"

namespace mpp {
class SharedMemory;
}

namespace mpp::detail {

enum class SyncKind : std::uint32_t {
  lock = 1,
  rlock,
  semaphore,
  bounded_semaphore,
  event,
  condition,
  barrier,
  task_counter,
  pipe,
};

class SyncHandle {
 public:
  /// Where the state starts in the segment (the header comes first).
  static constexpr std::size_t k_state_offset = 64;

  /// The segment's name: what crosses to another process.
  [[nodiscard]] const std::string& name() const noexcept;

  template <class Archive>
  void save(Archive& archive) const {
    archive(name());
  }
  template <class Archive>
  void load(Archive& archive) {
    std::string name;
    archive(name);
    attach(name);
  }

 protected:
  /// A new segment of this kind with `state_size` bytes of state, zero-filled.
  SyncHandle(SyncKind kind, std::size_t state_size);
  /// An empty handle, for the codec to attach (DecodeTag).
  explicit SyncHandle(SyncKind kind) noexcept : kind_(kind) {}

  /// Attaches to the segment `name`, which must hold a primitive of this handle's kind:
  /// std::invalid_argument otherwise (a Lock's name given to an Event, a foreign segment).
  void attach(const std::string& name);

  /// The state, as the primitive laid it out.
  template <class State>
  [[nodiscard]] State& state() const noexcept {
    return *std::launder(reinterpret_cast<State*>(data_ + k_state_offset));
  }

 private:
  std::shared_ptr<SharedMemory> memory_;
  std::byte* data_ = nullptr;  // memory_'s, kept here for the hot paths
  SyncKind kind_;
};

}  // namespace mpp::detail
