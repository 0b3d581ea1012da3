#include "mpp/detail/core/memory_advice.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

#include "posix/syscall.hpp"

namespace mpp::detail {

namespace {

// madvise of the whole pages inside [data, data + bytes); advice only, failures ignored.
void advise_inner_pages(void* data, std::size_t bytes, int advice) noexcept {
  static const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<std::uintptr_t>(data);
  const std::uintptr_t first = (begin + page - 1) & ~(page - 1);
  const std::uintptr_t last = (begin + bytes) & ~(page - 1);
  if (last > first) {
    (void)posix::retried("madvise",
                         [&] { return ::madvise(reinterpret_cast<void*>(first), last - first, advice); });
  }
}

// Linux 5.14's value; older kernels refuse it (EINVAL), and the pages then fault one by one.
constexpr int k_populate_write = 23;

}  // namespace

void advise_huge_pages(void* data, std::size_t bytes) noexcept {
  // The kernel uses huge pages in the 2 MiB-aligned parts; without them the pages are small ones,
  // which work the same.
  advise_inner_pages(data, bytes, MADV_HUGEPAGE);
}

void populate_for_writing(void* data, std::size_t bytes) noexcept {
  if (bytes >= k_populate_from) advise_inner_pages(data, bytes, k_populate_write);
}

}  // namespace mpp::detail
