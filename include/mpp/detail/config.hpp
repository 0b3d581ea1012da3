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

// Lock annotations in the manner of abseil: checked by clang's -Wthread-safety, empty under g++.
#if defined(__clang__)
#define MPP_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define MPP_THREAD_ANNOTATION(x)
#endif
#define MPP_GUARDED_BY(x) MPP_THREAD_ANNOTATION(guarded_by(x))
#define MPP_REQUIRES(...) MPP_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define MPP_EXCLUDES(...) MPP_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
