// detail::SyncHandle (include/mpp/detail/process/sync_handle.hpp): the segment's header says which
// primitive it holds, so a name of the wrong kind is refused instead of misread.
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

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

// Whether a thread of this process holds the robust mutex at `word`: the kernel's robust-futex
// protocol keeps the holder's thread id in the futex word, the mutex's first.
bool held_in_this_process(std::byte* word) noexcept {
  constexpr std::uint32_t k_tid_mask = 0x3fffffff;  // FUTEX_TID_MASK
  const auto tid = static_cast<pid_t>(
      std::atomic_ref<std::uint32_t>(*std::launder(reinterpret_cast<std::uint32_t*>(word))).load() &
      k_tid_mask);
  if (tid == 0) return false;
  if (tid == ::gettid()) return true;
  return ::access(("/proc/self/task/" + std::to_string(tid)).c_str(), F_OK) == 0;
}

// Unmaps the segment when the process's last handle goes, except a lock that a thread of this
// process still holds: the kernel hands a dead holder's lock to the next locker (EOWNERDEAD) only
// while the lock is mapped in the holder, so that segment stays mapped until the process ends (a
// target that returns holding a lock it got as an argument must not leave it locked for ever).
struct Release {
  SyncKind kind;
  void operator()(SharedMemory* memory) const noexcept {
    const bool lock = kind == SyncKind::lock || kind == SyncKind::rlock;
    if (lock && held_in_this_process(memory->data() + SyncHandle::k_state_offset)) {
      static std::mutex mutex;
      static auto* parked = new std::vector<SharedMemory*>;  // never freed: still reachable
      const std::lock_guard guard(mutex);
      try {
        parked->push_back(memory);
      } catch (...) {  // no memory to remember it: it stays mapped all the same
      }
      return;
    }
    delete memory;
  }
};

}  // namespace

SyncHandle::SyncHandle(SyncKind kind, std::size_t state_size)
    : memory_(new SharedMemory(k_state_offset + state_size), Release{kind}),
      data_(memory_->data()),
      kind_(kind) {
  new (data_) Header{k_magic, kind};
}

const std::string& SyncHandle::name() const noexcept { return memory_->name(); }

void SyncHandle::attach(const std::string& name) {
  std::shared_ptr<SharedMemory> memory(new SharedMemory(SharedMemory::attach(name)), Release{kind_});
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
