// The MPI session: MPI initialised once per process, the communicators of mpp's protocol
// (protocol.hpp), and the serving side (every rank but 0; with a single rank, a thread of rank 0).
#pragma once

#include <mpi.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "mpp/detail/core/wait.hpp"
#include "mpp/detail/remote/codec.hpp"
#include "process/shared_arena.hpp"
#include "remote/function_table.hpp"

namespace mpp::detail::mpi {

class Bytes;

/// The job's exit status when rank 0's program ends with a serving rank lost (EX_TEMPFAIL).
inline constexpr int k_lost_rank_exit_status = 75;

class Session {
 public:
  /// The session, started on first use: initialises MPI unless the program did (asking for
  /// MPI_THREAD_MULTIPLE; MPI_THREAD_SERIALIZED is enough, as every call is made under mpi_mutex())
  /// and duplicates MPI_COMM_WORLD three times, which is collective: every rank must get here.
  /// Throws mpp::Error when MPI cannot give what mpp needs.
  static Session& get(int* argc, char*** argv);

  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  int rank() const noexcept { return rank_; }
  /// Ranks that serve tasks: every rank but 0, or rank 0 itself (a thread) when it is alone.
  std::size_t servers() const noexcept { return size_ > 1 ? static_cast<std::size_t>(size_ - 1) : 1; }
  /// The rank of server `k` (0 <= k < servers()).
  int server_rank(std::size_t k) const noexcept { return size_ > 1 ? static_cast<int>(k) + 1 : 0; }

  MPI_Comm requests() const noexcept { return requests_; }
  MPI_Comm skips() const noexcept { return skips_; }
  MPI_Comm results() const noexcept { return results_; }
  /// Held around every MPI call this process makes (its threads take turns).
  std::mutex& mpi_mutex() noexcept { return mutex_; }
  const ModuleRelocation& relocation() const noexcept { return relocation_; }
  std::uint64_t new_pool_id() noexcept { return pools_.fetch_add(1) + 1; }

  /// On a serving rank: serves until rank 0 ends the session, finalises MPI and exits with 0.
  [[noreturn]] void serve_and_exit();

  /// Rank 0: tells every server to end (at MPI_Finalize, or at exit). Idempotent. With a rank
  /// lost, says so and ends the job with k_lost_rank_exit_status instead (MPI_Abort): MPI_Finalize
  /// would wait for the lost rank for ever.
  void release_servers() noexcept;

  // Rank 0: what its pools know of each serving rank's life, shared by them all.
  /// A message came from `rank` just now.
  void heard_from(int rank) noexcept;
  [[nodiscard]] Clock::time_point last_heard(int rank) const noexcept;
  /// `rank` is given up on; the first reason is kept.
  void mark_lost(int rank, const std::string& why) noexcept;
  [[nodiscard]] bool lost(int rank) const noexcept;
  /// The host `rank` runs on (MPI_Get_processor_name).
  [[nodiscard]] const std::string& host_of(int rank) const noexcept;
  /// Every rank: how many serving ranks of this host may run on the CPUs this rank may use (it
  /// included): MpiPoolOptions::every_cpu shares them out.
  [[nodiscard]] int cpu_sharers() const noexcept { return cpu_sharers_; }
  /// A serving rank's arena for its local workers, mapped before any of them is forked (null on
  /// rank 0 of several, or if it could not be mapped); and a buffer in a free slot of it (empty
  /// when none is free).
  [[nodiscard]] SharedArena* arena() const noexcept { return arena_.get(); }
  Bytes arena_buffer() noexcept;

 private:
  Session(int rank, int size, bool initialised_here);
  void start_local_server();
  void gather_hosts();
  void count_cpu_sharers();

  int rank_;
  int size_;
  bool initialised_here_;
  MPI_Comm requests_ = MPI_COMM_NULL;
  MPI_Comm skips_ = MPI_COMM_NULL;
  MPI_Comm results_ = MPI_COMM_NULL;
  std::mutex mutex_;
  ModuleRelocation relocation_;
  std::atomic<std::uint64_t> pools_{0};
  bool released_ = false;
  std::unique_ptr<std::atomic<Clock::rep>[]> heard_;  // per rank, Clock's ticks
  std::unique_ptr<std::atomic<bool>[]> lost_;
  std::mutex lost_mutex_;
  std::vector<std::string> lost_why_;
  std::vector<std::string> hosts_;
  int cpu_sharers_ = 1;
  std::unique_ptr<SharedArena> arena_;
  std::uint32_t arena_holder_ = 0;  // the rank's own tag there
  struct LocalServer;
  LocalServer* local_ = nullptr;
};

/// Bytes received or being built, grown without zero-filling (a message is written over at once).
class Bytes {
 public:
  Bytes() = default;
  /// A buffer in a free slot of `arena` held by `holder`, its capacity the slot's; an empty one
  /// when every slot is held.
  static Bytes in_arena(SharedArena& arena, std::uint32_t holder) noexcept;
  Bytes(Bytes&& other) noexcept { swap(other); }
  Bytes& operator=(Bytes&& other) noexcept {
    Bytes(std::move(other)).swap(*this);
    return *this;
  }
  Bytes(const Bytes&) = delete;
  Bytes& operator=(const Bytes&) = delete;
  ~Bytes() { release(); }

  std::byte* data() noexcept { return data_; }
  const std::byte* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  void clear() noexcept { size_ = 0; }
  /// Room for `n` more bytes at the end; returns where they go (valid until the next growth, which
  /// leaves the arena).
  std::byte* extend(std::size_t n);
  void shrink(std::size_t size) noexcept { size_ = size; }
  void append(const void* bytes, std::size_t n);
  std::size_t capacity() const noexcept { return capacity_; }
  /// The arena whose slot holds the bytes, null when they are on the heap.
  SharedArena* arena() const noexcept { return arena_; }
  void swap(Bytes& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    std::swap(capacity_, other.capacity_);
    std::swap(arena_, other.arena_);
  }

 private:
  void release() noexcept;

  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
  SharedArena* arena_ = nullptr;
};

/// How a rank waits on MPI. MPI offers nothing to sleep on: spin
/// briefly (an answer is often microseconds away), then sleep longer and longer, up to `longest`,
/// so that a waiting rank leaves its CPU to the ranks that compute (several ranks share a core
/// when oversubscribed).
class Poll {
 public:
  explicit Poll(std::chrono::microseconds longest) noexcept : longest_(longest) { restart(); }
  /// Waits a moment; call when the last look found nothing.
  void pause() noexcept;
  void restart() noexcept;

 private:
  std::chrono::microseconds longest_;
  std::chrono::steady_clock::time_point spin_until_{};
  std::chrono::microseconds sleep_{0};
};

/// Starts receiving the next message matching (source, tag) on `comm` into `buffer` if one has
/// arrived (false if none has): `request` completes when all of it is in (test(), wait()).
bool start_receive(Session& session, MPI_Comm comm, int source, int tag, Bytes& buffer, MPI_Status* status,
                   MPI_Request& request);

/// Receives the next message matching (source, tag) on `comm` into `buffer` if one has arrived;
/// false if none has. Takes the MPI lock only while it calls MPI.
bool try_receive(Session& session, MPI_Comm comm, int source, int tag, Bytes& buffer,
                 MPI_Status* status = nullptr);

/// Whether `request` has completed; the lock is taken for the test.
bool test(Session& session, MPI_Request& request);

/// Completes `request`, polling; the lock is taken for each test only. Spins (yielding its CPU)
/// without sleeping: a transfer under way needs this side's progress calls to move on.
void wait(Session& session, MPI_Request& request);

/// Throws mpp::Error naming the MPI call and its error string unless `rc` is MPI_SUCCESS.
void check(int rc, const char* call);

}  // namespace mpp::detail::mpi
