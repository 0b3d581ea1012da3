// Internal macros and constants shared by every mpp header.
#pragma once

#include <cstddef>

namespace mpp::detail {

/// The size that separates data written by different threads (x86-64 and most AArch64 parts).
/// Defined once so every `alignas` against false sharing agrees.
inline constexpr std::size_t k_cache_line = 64;

[[noreturn]] void assertion_failed(const char* condition, const char* file, int line) noexcept;

}  // namespace mpp::detail

/// Programming bugs inside mpp are assertions, not exceptions; on in debug builds only.
#ifndef NDEBUG
#define MPP_ASSERT(condition) \
  ((condition) ? static_cast<void>(0) : ::mpp::detail::assertion_failed(#condition, __FILE__, __LINE__))
#else
#define MPP_ASSERT(condition) static_cast<void>(0)
#endif

// No lock annotations: clang's -Wthread-safety checks only mutexes whose type is annotated as a
// capability, which libstdc++'s std::mutex is not; unchecked, they would only look like a check.
// A member's lock is named in a comment ("under mutex_").
