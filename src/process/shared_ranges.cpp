// The registry of mapped segments (shared_ranges.hpp) and the worker's side: mapping a range that
// another process found in it (MappedRange).
#include "process/shared_ranges.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <vector>

#include "mpp/detail/posix/fd.hpp"
#include "mpp/detail/process/shared_range.hpp"
#include "posix/syscall.hpp"
#include "process/shm_names.hpp"

namespace mpp::detail {
namespace {

struct Entry {
  std::uintptr_t begin;
  std::size_t size;
  std::string name;
  std::uint64_t inode;
  bool linked;
};

// A few entries per program (one per SharedMemory): a vector searched linearly is enough.
struct Registry {
  std::mutex mutex;
  std::vector<Entry> entries;
};

Registry& registry() {
  // Never destroyed: SharedMemory objects with static storage duration may outlive it otherwise.
  static Registry* const instance = [] {
    auto* r = new Registry;
    // A fork while another thread holds the mutex must not leave it locked in the child.
    ::pthread_atfork([] { registry().mutex.lock(); }, [] { registry().mutex.unlock(); },
                     [] { registry().mutex.unlock(); });
    return r;
  }();
  return *instance;
}

auto find_entry(std::vector<Entry>& entries, const void* address) {
  const auto key = reinterpret_cast<std::uintptr_t>(address);
  return std::find_if(entries.begin(), entries.end(), [key](const Entry& e) { return e.begin == key; });
}

[[noreturn]] void fail(const SharedRange& range, const std::string& why, int error) {
  throw std::system_error(
      error, std::generic_category(),
      "mpp: cannot map the shared memory segment '" + range.name + "' sent to this process (" + why + ")");
}

}  // namespace

namespace shared_ranges {

void add(const void* address, std::size_t size, const std::string& name, std::uint64_t inode) {
  Registry& r = registry();
  const std::lock_guard guard(r.mutex);
  r.entries.push_back({reinterpret_cast<std::uintptr_t>(address), size, name, inode, true});
}

void remove(const void* address) noexcept {
  Registry& r = registry();
  const std::lock_guard guard(r.mutex);
  if (auto it = find_entry(r.entries, address); it != r.entries.end()) r.entries.erase(it);
}

void unlinked(const void* address) noexcept {
  Registry& r = registry();
  const std::lock_guard guard(r.mutex);
  if (auto it = find_entry(r.entries, address); it != r.entries.end()) it->linked = false;
}

}  // namespace shared_ranges

std::optional<SharedRange> find_shared_range(const void* data, std::size_t size) {
  const auto begin = reinterpret_cast<std::uintptr_t>(data);
  std::optional<SharedRange> found;
  {
    Registry& r = registry();
    const std::lock_guard guard(r.mutex);
    for (const Entry& e : r.entries) {
      if (begin >= e.begin && begin - e.begin <= e.size && size <= e.size - (begin - e.begin)) {
        if (e.linked) found = SharedRange{e.name, e.inode, begin - e.begin, size};
        break;
      }
    }
  }
  // Another object or process may have unlinked the name since: then it cannot be sent by name.
  if (found && !still_linked(*found)) return std::nullopt;
  return found;
}

bool still_linked(const SharedRange& range) noexcept {
  // Where glibc's shm_open keeps its segments (one stat, not an open and a close).
  struct stat status {};
  const std::string path = "/dev/shm/" + range.name;
  return ::stat(path.c_str(), &status) == 0 && static_cast<std::uint64_t>(status.st_ino) == range.inode;
}

namespace {

// A whole segment mapped read-only in a worker, with its descriptor (to tell when it is unlinked).
struct MappedSegment {
  Fd fd;
  Mapping mapping;
  std::string name;
  std::uint64_t inode = 0;
};

// The segments a worker has mapped for the ranges it was sent, most recent first. Mapped whole
// and kept: the first touch of each page of a new mapping costs a fault (far more under some
// hypervisors), so a map that runs again over the same input must find its pages mapped. A
// segment unlinked since goes at the next lookup (its memory is freed once no one maps it); at
// most k_kept stay.
class SegmentCache {
 public:
  std::shared_ptr<const MappedSegment> get(const SharedRange& range) {
    const std::lock_guard guard(mutex_);
    // One kept already serves even if its name is gone since (it is the same segment, and the
    // sender still maps it); the others that were unlinked go now.
    auto it = std::find_if(kept_.begin(), kept_.end(), [&](const auto& segment) {
      return segment->inode == range.inode && segment->name == range.name;
    });
    std::shared_ptr<const MappedSegment> found;
    if (it != kept_.end()) {
      found = *it;
      kept_.erase(it);
    }
    std::erase_if(kept_, [](const auto& segment) {
      struct stat status {};
      return ::fstat(segment->fd.get(), &status) != 0 || status.st_nlink == 0;
    });
    if (!found) found = open(range);
    kept_.insert(kept_.begin(), found);
    if (kept_.size() > k_kept) kept_.pop_back();
    return found;
  }
  std::mutex& mutex() noexcept { return mutex_; }

 private:
  static constexpr std::size_t k_kept = 8;

  static std::shared_ptr<const MappedSegment> open(const SharedRange& range) {
    const int rc = shm_names::open(range.name, false);
    if (rc < 0) fail(range, -rc == ENOENT ? "it no longer exists" : "it cannot be opened", -rc);
    auto segment = std::make_shared<MappedSegment>();
    segment->fd = Fd(rc);
    struct stat status {};
    posix::checked("fstat", [&] { return ::fstat(segment->fd.get(), &status); });
    if (static_cast<std::uint64_t>(status.st_ino) != range.inode) {
      fail(range, "it was unlinked and another segment made under its name", ESTALE);
    }
    const auto size = static_cast<std::size_t>(status.st_size);
    if (size != 0) {
      void* address = posix::checked_mmap("mmap", nullptr, size, PROT_READ, MAP_SHARED, segment->fd.get(), 0);
      segment->mapping = Mapping(address, size);
    }
    segment->name = range.name;
    segment->inode = range.inode;
    return segment;
  }

  std::mutex mutex_;
  std::vector<std::shared_ptr<const MappedSegment>> kept_;
};

SegmentCache& segment_cache() {
  static SegmentCache* const instance = [] {
    auto* cache = new SegmentCache;
    ::pthread_atfork([] { segment_cache().mutex().lock(); }, [] { segment_cache().mutex().unlock(); },
                     [] { segment_cache().mutex().unlock(); });
    return cache;
  }();
  return *instance;
}

}  // namespace

MappedRange::MappedRange(const SharedRange& range) {
  auto segment = segment_cache().get(range);
  const std::size_t size = segment->mapping.size();
  if (range.offset > size || range.size > size - range.offset) {
    fail(range, "it is smaller than the range sent", EINVAL);
  }
  data_ = segment->mapping.bytes() + range.offset;
  size_ = static_cast<std::size_t>(range.size);
  segment_ = std::move(segment);
}

}  // namespace mpp::detail
