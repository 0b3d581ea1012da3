#include "mpp/detail/core/huge_pages.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

#include "posix/syscall.hpp"

namespace mpp::detail {

void advise_huge_pages(void* data, std::size_t bytes) noexcept {
  // madvise wants whole pages; the kernel then uses huge pages in the 2 MiB-aligned parts.
  static const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<std::uintptr_t>(data);
  const std::uintptr_t first = (begin + page - 1) & ~(page - 1);
  const std::uintptr_t last = (begin + bytes) & ~(page - 1);
  // Advice only: without it the pages are small ones, which work the same.
  if (last > first) {
    (void)posix::retried(
        "madvise", [&] { return ::madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE); });
  }
}

}  // namespace mpp::detail
