// The MPI session (session.hpp): MPI's initialisation and finalisation, the protocol's
// communicators, rank 0's local server thread when it runs alone; and the small waits and
// receives every MPI call of mpp goes through.
#include "mpi/session.hpp"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "mpi/protocol.hpp"
#include "mpi/server.hpp"
#include "mpp/detail/posix/child.hpp"
#include "mpp/errors.hpp"
#include "posix/thread.hpp"
#include "remote/tunables.hpp"

namespace mpp::detail::mpi {

void check(int rc, const char* call) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(rc, text, &length);
  throw Error(std::string("mpp::MpiPool: ") + call +
              " failed: " + std::string(text, static_cast<std::size_t>(length)));
}

Bytes Bytes::in_arena(SharedArena& arena, std::uint32_t holder) noexcept {
  Bytes bytes;
  if (std::byte* slot = arena.take(holder)) {
    bytes.data_ = slot;
    bytes.capacity_ = arena.slot_bytes();
    bytes.arena_ = &arena;
  }
  return bytes;
}

void Bytes::release() noexcept {
  if (arena_ != nullptr) {
    arena_->give_back(data_);
  } else {
    delete[] data_;
  }
  data_ = nullptr;
  size_ = capacity_ = 0;
  arena_ = nullptr;
}

std::byte* Bytes::extend(std::size_t n) {
  if (size_ + n > capacity_) {
    const std::size_t capacity = std::max(size_ + n, 2 * capacity_ + 256);
    auto* bigger = new std::byte[capacity];  // not zero-filled on purpose
    if (size_ != 0) std::memcpy(bigger, data_, size_);
    const std::size_t size = size_;
    release();
    data_ = bigger;
    size_ = size;
    capacity_ = capacity;
  }
  std::byte* at = data_ + size_;
  size_ += n;
  return at;
}

void Bytes::append(const void* bytes, std::size_t n) {
  if (n != 0) std::memcpy(extend(n), bytes, n);
}

void Poll::restart() noexcept {
  spin_until_ = std::chrono::steady_clock::now() + std::chrono::microseconds(50);
  sleep_ = std::chrono::microseconds(0);
}

void Poll::pause() noexcept {
  if (sleep_.count() == 0) {
    if (std::chrono::steady_clock::now() < spin_until_) {
      // Yield rather than spin hard: oversubscribed ranks share a core with the one we wait for.
      sched_yield();
      return;
    }
    sleep_ = std::chrono::microseconds(10);
  }
  std::this_thread::sleep_for(sleep_);
  sleep_ = std::min(longest_, sleep_ * 2);
}

bool start_receive(Session& session, MPI_Comm comm, int source, int tag, Bytes& buffer, MPI_Status* status,
                   MPI_Request& request) {
  request = MPI_REQUEST_NULL;
  {
    std::lock_guard lock(session.mpi_mutex());
    int found = 0;
    MPI_Message message = MPI_MESSAGE_NULL;
    MPI_Status probed;
    check(MPI_Improbe(source, tag, comm, &found, &message, &probed), "MPI_Improbe");
    // A probe that finds nothing makes progress only afterwards: what that brought in is
    // matched by a second look.
    if (found == 0) check(MPI_Improbe(source, tag, comm, &found, &message, &probed), "MPI_Improbe");
    if (found == 0) return false;
    int count = 0;
    check(MPI_Get_count(&probed, MPI_BYTE, &count), "MPI_Get_count");
    buffer.clear();
    std::byte* at = buffer.extend(static_cast<std::size_t>(count));
    check(MPI_Imrecv(at, count, MPI_BYTE, &message, &request), "MPI_Imrecv");
    if (status != nullptr) *status = probed;
  }
  return true;
}

bool try_receive(Session& session, MPI_Comm comm, int source, int tag, Bytes& buffer, MPI_Status* status) {
  MPI_Request request = MPI_REQUEST_NULL;
  if (!start_receive(session, comm, source, tag, buffer, status, request)) return false;
  // A large message arrives while other threads of this rank may call MPI too.
  wait(session, request);
  return true;
}

bool test(Session& session, MPI_Request& request) {
  int done = 0;
  std::lock_guard lock(session.mpi_mutex());
  check(MPI_Test(&request, &done, MPI_STATUS_IGNORE), "MPI_Test");
  return done != 0;
}

void wait(Session& session, MPI_Request& request) {
  while (!test(session, request)) sched_yield();
}

namespace {

Session* g_session = nullptr;

// MPI_Finalize deletes MPI_COMM_SELF's attributes first, while MPI still works: the standard's hook
// for running code at finalisation, whoever calls it.
int on_finalize(MPI_Comm /*comm*/, int /*keyval*/, void* /*value*/, void* /*extra*/) {
  if (g_session != nullptr) g_session->release_servers();
  return MPI_SUCCESS;
}

// Set by the exit's finalisation (finalize_at_exit), read by release_servers() inside it.
std::atomic<bool> g_exiting{false};

// The process that registered finalize_at_exit. A process forked from it (a local worker of a
// single rank, a task's own child) inherits the handler and shares the rank's MPI state: its exit
// must not finalise MPI (a task calling std::exit in a worker died of SIGABRT, its release of the
// serving ranks refused there as a task's MPI call).
pid_t g_finalizing_pid = 0;

void finalize_at_exit() {
  if (::getpid() != g_finalizing_pid) return;
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized != 0) return;
  g_exiting.store(true);
  MPI_Finalize();
}

}  // namespace

struct Session::LocalServer {
  detail::posix::Thread thread;  // runs items itself with workers_per_rank = 0: a main thread's stack
};

Session::Session(int rank, int size, bool initialised_here)
    : rank_(rank),
      size_(size),
      initialised_here_(initialised_here),
      relocation_({"mpp::MpiPool", "rank " + std::to_string(rank), "on this rank", "other ranks",
                   "every rank must load the libraries whose functions it runs, e.g. dlopen() them on "
                   "every rank"}) {}

Bytes Session::arena_buffer() noexcept {
  return arena_ != nullptr ? Bytes::in_arena(*arena_, arena_holder_) : Bytes();
}

Session& Session::get(int* argc, char*** argv) {
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  if (g_session != nullptr) return *g_session;
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized != 0) throw Error("mpp::MpiPool: MPI has been finalised already; make the pools before");
  int initialized = 0;
  MPI_Initialized(&initialized);
  int provided = MPI_THREAD_SINGLE;
  if (initialized == 0) {
    // Open MPI yields the CPU inside every progress call of an oversubscribed rank. mpp's waits
    // yield and sleep on their own (Poll, wait()), so that only costs each MPI call a time slice
    // on a busy machine: a map with 24 MB of results took 60 s instead of 4 s under load. An
    // explicit setting (environment, mpirun --mca) is kept.
    ::setenv("OMPI_MCA_mpi_yield_when_idle", "0", /*overwrite=*/0);
    check(MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE, &provided), "MPI_Init_thread");
  } else {
    MPI_Query_thread(&provided);
  }
  int rank = 0;
  int size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  // Rank 0 calls MPI from its pools' dispatcher threads (one at a time, under the MPI lock).
  if (provided < MPI_THREAD_SERIALIZED) {
    throw Error(
        "mpp::MpiPool: MPI gives too little thread support (mpp needs MPI_THREAD_SERIALIZED; initialise "
        "MPI with MPI_Init_thread, or let mpp::MpiPool do it)");
  }
  auto* session = new Session(rank, size, initialized == 0);  // lives until the process ends
  check(MPI_Comm_dup(MPI_COMM_WORLD, &session->requests_), "MPI_Comm_dup");
  check(MPI_Comm_dup(MPI_COMM_WORLD, &session->skips_), "MPI_Comm_dup");
  check(MPI_Comm_dup(MPI_COMM_WORLD, &session->results_), "MPI_Comm_dup");
  session->gather_hosts();
  session->count_cpu_sharers();
  if (rank != 0 || size == 1) {
    try {
      session->arena_ = std::make_unique<SharedArena>(k_mpi_arena_slots, k_mpi_arena_slot_bytes);
      session->arena_holder_ = session->arena_->new_holder();
    } catch (...) {  // no mapping: large data goes through the rings, copied
    }
  }
  g_session = session;
  if (rank == 0) {
    int keyval = MPI_KEYVAL_INVALID;
    check(MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, &on_finalize, &keyval, nullptr),
          "MPI_Comm_create_keyval");
    check(MPI_Comm_set_attr(MPI_COMM_SELF, keyval, nullptr), "MPI_Comm_set_attr");
    if (session->initialised_here_) {
      g_finalizing_pid = ::getpid();
      std::atexit(&finalize_at_exit);
    }
    if (size == 1) session->start_local_server();
  }
  return *session;
}

void Session::start_local_server() {
  std::fprintf(
      stderr,
      "mpp::MpiPool: a single MPI rank (mpirun -np 1, or no mpirun): rank 0 serves every task itself, "
      "from a thread of its own (in local worker processes forked from it, unless workers_per_rank = 0)\n");
  local_ = new LocalServer;
  local_->thread = detail::posix::Thread([this] { serve(*this); });
}

void Session::serve_and_exit() {
  serve(*this);
  // Only the standard streams, never waiting for a lock another thread (a task's) may hold:
  // fflush(nullptr) would wait for every stream's.
  flush_free_standard_streams();
  MPI_Finalize();
  std::exit(0);
}

// Collective (from get()): rank 0 learns every rank's host, for the messages that name a rank.
void Session::gather_hosts() {
  heard_ = std::make_unique<std::atomic<Clock::rep>[]>(static_cast<std::size_t>(size_));
  lost_ = std::make_unique<std::atomic<bool>[]>(static_cast<std::size_t>(size_));
  lost_why_.resize(static_cast<std::size_t>(size_));
  char name[MPI_MAX_PROCESSOR_NAME] = {};
  int length = 0;
  check(MPI_Get_processor_name(name, &length), "MPI_Get_processor_name");
  std::vector<char> all(rank_ == 0 ? static_cast<std::size_t>(size_) * MPI_MAX_PROCESSOR_NAME : 0);
  check(MPI_Gather(name, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, all.data(), MPI_MAX_PROCESSOR_NAME, MPI_CHAR, 0,
                   requests_),
        "MPI_Gather");
  if (rank_ != 0) return;
  for (int r = 0; r < size_; ++r) {
    const char* at = all.data() + static_cast<std::size_t>(r) * MPI_MAX_PROCESSOR_NAME;
    hosts_.emplace_back(at, strnlen(at, MPI_MAX_PROCESSOR_NAME));
  }
}

// Collective (from get()): the ranks of this host tell each other the CPUs they may use; those
// that serve (every rank but 0, unless it is alone) and overlap this rank's CPUs share them.
void Session::count_cpu_sharers() {
  MPI_Comm host = MPI_COMM_NULL;
  check(MPI_Comm_split_type(requests_, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &host),
        "MPI_Comm_split_type");
  struct Entry {
    int serving;
    cpu_set_t cpus;
  };
  Entry mine{};
  mine.serving = rank_ != 0 || size_ == 1 ? 1 : 0;
  if (::sched_getaffinity(0, sizeof(mine.cpus), &mine.cpus) != 0) CPU_ZERO(&mine.cpus);  // then: alone
  int here = 0;
  check(MPI_Comm_size(host, &here), "MPI_Comm_size");
  std::vector<Entry> all(static_cast<std::size_t>(here));
  check(MPI_Allgather(&mine, sizeof(mine), MPI_BYTE, all.data(), sizeof(mine), MPI_BYTE, host),
        "MPI_Allgather");
  MPI_Comm_free(&host);
  int sharers = 0;
  for (Entry& other : all) {
    cpu_set_t both;
    CPU_AND(&both, &other.cpus, &mine.cpus);
    if (other.serving != 0 && CPU_COUNT(&both) != 0) ++sharers;
  }
  cpu_sharers_ = std::max(1, sharers);
}

void Session::heard_from(int rank) noexcept {
  heard_[static_cast<std::size_t>(rank)].store(Clock::now().time_since_epoch().count(),
                                               std::memory_order_relaxed);
}

Clock::time_point Session::last_heard(int rank) const noexcept {
  return Clock::time_point(
      Clock::duration(heard_[static_cast<std::size_t>(rank)].load(std::memory_order_relaxed)));
}

void Session::mark_lost(int rank, const std::string& why) noexcept {
  const std::lock_guard lock(lost_mutex_);
  if (lost_[static_cast<std::size_t>(rank)].exchange(true)) return;
  try {
    lost_why_[static_cast<std::size_t>(rank)] = why;
  } catch (...) {  // out of memory: the exit message says less
  }
}

bool Session::lost(int rank) const noexcept { return lost_[static_cast<std::size_t>(rank)].load(); }

const std::string& Session::host_of(int rank) const noexcept {
  static const std::string unknown = "an unknown host";
  return static_cast<std::size_t>(rank) < hosts_.size() ? hosts_[static_cast<std::size_t>(rank)] : unknown;
}

void Session::release_servers() noexcept {
  if (rank_ != 0 || released_) return;
  released_ = true;
  const Envelope quit{Kind::quit, 0, 0, 0, 0, 0};
  bool any_lost = false;
  {
    std::lock_guard lock(mutex_);
    for (std::size_t k = 0; k < servers(); ++k) {
      if (lost(server_rank(k))) {
        any_lost = true;
        continue;
      }
      MPI_Send(&quit, sizeof(quit), MPI_BYTE, server_rank(k), 0, requests_);
    }
  }
  if (any_lost) {
    // MPI_Finalize would wait for the lost ranks for ever: the job ends here, and mpirun ends them.
    flush_free_standard_streams();
    {
      const std::lock_guard lock(lost_mutex_);
      for (int r = 0; r < size_; ++r) {
        if (lost(r))
          std::fprintf(stderr, "mpp::MpiPool: %s\n", lost_why_[static_cast<std::size_t>(r)].c_str());
      }
    }
    std::fprintf(
        stderr,
        "mpp::MpiPool: the program ended with serving ranks lost; ending the job with exit status %d\n",
        k_lost_rank_exit_status);
    std::fflush(stderr);
    std::_Exit(k_lost_rank_exit_status);
  }
  if (local_ != nullptr) {
    local_->thread.join();
    delete local_;
    local_ = nullptr;
  }
  // The program is ending with pools still alive (never destroyed, or skipped by std::exit):
  // their dispatcher threads would go on calling MPI while MPI_Finalize tears it down (rank 0
  // crashed there when local workers, stopped by the Quit, left calls unanswered). They wait on
  // the lock, never released, until the process ends. Not when the program finalises MPI itself:
  // a pool destroyed after that would wait for ever rather than fail.
  if (g_exiting.load()) mutex_.lock();
}

}  // namespace mpp::detail::mpi
