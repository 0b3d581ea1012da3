// detail::SyncHandle (include/mpp/detail/process/sync_handle.hpp): the segment's header says which
// primitive it holds, so a name of the wrong kind is refused instead of misread.
#include <atomic>
#include <cstdint>
#include <new>
#include <stdexcept>
#include <string>

#include "mpp/detail/process/sync_handle.hpp"
#include "mpp/shared_memory.hpp"

namespace mpp::detail {
namespace {

constexpr std::uint32_t k_magic = 0x6d707073;  // "mpps"

struct Header {
  // Written before any other process can know the name, read after attaching: no race.
  std::uint32_t magic = 0;
  SyncKind kind{};
};
static_assert(sizeof(Header) <= 64);

const char* kind_name(SyncKind kind) {
  switch (kind) {
    case SyncKind::lock:
      return "mpp::Lock";
    case SyncKind::rlock:
      return "mpp::RLock";
    case SyncKind::semaphore:
      return "mpp::Semaphore";
    case SyncKind::bounded_semaphore:
      return "mpp::BoundedSemaphore";
    case SyncKind::event:
      return "mpp::Event";
    case SyncKind::condition:
      return "mpp::Condition";
    case SyncKind::barrier:
      return "mpp::Barrier";
    case SyncKind::task_counter:
      return "mpp::JoinableQueue";
    case SyncKind::pipe:
      return "mpp::Connection";
  }
  return "an unknown primitive";
}

}  // namespace

SyncHandle::SyncHandle(SyncKind kind, std::size_t state_size)
    : memory_(std::make_shared<SharedMemory>(k_state_offset + state_size)),
      data_(memory_->data()),
      kind_(kind) {
  new (data_) Header{k_magic, kind};
}

const std::string& SyncHandle::name() const noexcept { return memory_->name(); }

void SyncHandle::attach(const std::string& name) {
  auto memory = std::make_shared<SharedMemory>(SharedMemory::attach(name));
  const auto* header = std::launder(reinterpret_cast<const Header*>(memory->data()));
  const bool ours = memory->size() > k_state_offset && header->magic == k_magic;
  // A Semaphore handle may stand for a BoundedSemaphore (one sliced from it): same state.
  const bool fits = ours && (header->kind == kind_ ||
                             (kind_ == SyncKind::semaphore && header->kind == SyncKind::bounded_semaphore));
  if (!fits) {
    throw std::invalid_argument(std::string(kind_name(kind_)) + ": the shared memory segment '" + name +
                                "' holds " + (ours ? kind_name(header->kind) : "no primitive of mpp"));
  }
  memory_ = std::move(memory);
  data_ = memory_->data();
}

}  // namespace mpp::detail
