// What a pool whose workers are other processes (ProcessPool, MpiPool) gives the pool algorithms
// (pool_front.hpp): its executor, the remote jobs, and the compile-time checks that a function, its
// arguments and its result can cross to another process.
#pragma once

#include <ranges>
#include <type_traits>
#include <utility>

#include "mpp/detail/remote/codec.hpp"
#include "mpp/detail/remote/remote.hpp"
#include "mpp/detail/remote/remote_jobs.hpp"

namespace mpp::detail {

template <class E>
struct RemoteBackend {
  static constexpr bool k_splittable = false;
  using Executor = E;
  template <class R, class F, class... Args>
  using Apply = RemoteApply<R, F, Args...>;
  template <class R, class F, class V>
  using Map = RemoteMapJob<R, F, V>;
  template <class R, class F, class V>
  using Imap = RemoteImapJob<R, F, V, E>;

  // C string arguments of apply cross as std::string (remote_arg_t).
  template <class F, class R, class... Args>
  static constexpr void check_apply() {
    check_call<F, R, remote_arg_t<Args>...>();
  }
  // Items of a ChunkedItems range cross as their chunk (a frame's rows as its slice).
  template <class F, class R, class V>
  static constexpr void check_map() {
    if constexpr (ChunkedItems<V>) {
      check_call<F, R, std::decay_t<decltype(std::declval<const V&>().remote_chunk(0, 0))>>();
    } else {
      check_call<F, R, std::ranges::range_value_t<V>>();
    }
  }
  // imap reads its input item by item: each crosses on its own.
  template <class F, class R, class V>
  static constexpr void check_imap() {
    check_call<F, R, std::ranges::range_value_t<V>>();
  }
  // The messages name no pool (a static_assert takes a literal only): the compiler's "required
  // from" lines do.
  template <class F, class R, class... Args>
  static constexpr void check_call() {
    static_assert(RemoteCallable<F>,
                  "mpp: f must be a function pointer, a captureless lambda, or a default-constructible "
                  "stateless function object; a capturing lambda cannot be sent to a worker process or "
                  "MPI rank (pass what it captures as arguments instead)");
    static_assert((Codable<Args> && ...),
                  "mpp: every argument must be serialisable to reach a worker process or MPI rank: a "
                  "trivially copyable type (not a pointer), a standard string, container, tuple, pair, "
                  "optional or variant of those, or a type with a cereal serialize() function");
    static_assert(std::is_void_v<R> || Codable<R>,
                  "mpp: the function's result must be serialisable to come back from a worker process or "
                  "MPI rank: a trivially copyable type (not a pointer), a standard string, container, "
                  "tuple, pair, optional or variant of those, or a type with a cereal serialize() function");
  }
};

}  // namespace mpp::detail
