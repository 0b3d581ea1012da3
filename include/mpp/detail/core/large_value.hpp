// Values too large to keep on a stack. A pool's worker runs its items on the stack of the thread
// that started it, the parent takes results on its executor thread and the caller iterates an
// imap on its own: 8 MiB each by default. A value of a few MiB copied there a few times over
// overflows it, where a plain call passing it by value needs one copy. mpp keeps such values on
// the heap wherever it holds them itself (remote/decoded.hpp, ImapRange), so that the only copies
// on a stack are those the task's own signature asks for.
#pragma once

#include <cstddef>

namespace mpp::detail {

/// Values larger than this are held on the heap where mpp holds them.
inline constexpr std::size_t k_large_value_bytes = std::size_t{64} * 1024;

template <class T>
inline constexpr bool is_large_value_v = sizeof(T) > k_large_value_bytes;

}  // namespace mpp::detail
