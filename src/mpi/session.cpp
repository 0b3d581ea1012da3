#include "mpi/session.hpp"

#include <sched.h>

#include <algorithm>
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
#include "mpp/detail/core/wait.hpp"
#include "mpp/detail/posix/child.hpp"
#include "mpp/detail/remote/exception_codec.hpp"
#include "mpp/detail/remote/remote.hpp"
#include "mpp/errors.hpp"
#include "remote/reporter.hpp"
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

std::byte* Bytes::extend(std::size_t n) {
  if (size_ + n > capacity_) {
    const std::size_t capacity = std::max(size_ + n, 2 * capacity_ + 256);
    std::unique_ptr<std::byte[]> bigger(new std::byte[capacity]);  // not zero-filled on purpose
    if (size_ != 0) std::memcpy(bigger.get(), data_.get(), size_);
    data_ = std::move(bigger);
    capacity_ = capacity;
  }
  std::byte* at = data_.get() + size_;
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

bool try_receive(Session& session, MPI_Comm comm, int source, int tag, Bytes& buffer, MPI_Status* status) {
  MPI_Request request = MPI_REQUEST_NULL;
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
  // A large message arrives while other threads of this rank may call MPI too.
  wait(session, request);
  return true;
}

void wait(Session& session, MPI_Request& request) {
  for (;;) {
    int done = 0;
    {
      std::lock_guard lock(session.mpi_mutex());
      check(MPI_Test(&request, &done, MPI_STATUS_IGNORE), "MPI_Test");
    }
    if (done != 0) return;
    sched_yield();
  }
}

namespace {

[[noreturn]] void abort_job(const char* why) noexcept {
  std::fprintf(stderr, "mpp::MpiPool: %s; ending the job\n", why);
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, 70);
  std::abort();
}

// A serving rank (or rank 0's serving thread): runs the chunks rank 0 sends, one at a time, and
// sends back each chunk's outcomes as one message.
class Server final : public ChunkReporter {
 public:
  explicit Server(Session& session) : session_(session) {}

  // Until Quit.
  void serve() noexcept {
    t_function_relocation = &session_.relocation();
    for (;;) {
      Poll poll(k_mpi_server_idle_poll);
      try {
        while (!try_receive(session_, session_.requests(), 0, MPI_ANY_TAG, request_)) poll.pause();
      } catch (const std::exception& e) {
        abort_job(e.what());
      }
      Header header{};
      if (request_.size() < sizeof(header)) abort_job("a request too short for its header");
      std::memcpy(&header, request_.data(), sizeof(header));
      if (header.kind == Kind::chunk && header.reserved > 1) receive_parts(header);
      switch (header.kind) {
        case Kind::open:
          open(header);
          break;
        case Kind::chunk:
          run_chunk(header);
          break;
        case Kind::quit:
          t_function_relocation = nullptr;
          return;
        default:
          abort_job("a request of an unknown kind");
      }
    }
  }

  // WorkerContext
  // A rank that dies ends the job (MPI's rule), so nothing needs to know which item was running.
  void start_item(std::size_t /*i*/) noexcept override {}

  bool skip() const noexcept override {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_skip_look_ >= k_mpi_skip_look) {
      last_skip_look_ = now;
      const_cast<Server*>(this)->read_skips();
    }
    return std::any_of(skips_.begin(), skips_.end(),
                       [&](const auto& s) { return s.first == pool_ && s.second == sequence_; });
  }

 private:
  // ChunkReporter: records go into the chunk's one results message, after its Header.
  void write_record(wire::Kind kind, std::initializer_list<wire::Part> parts) override {
    std::size_t size = 0;
    for (const wire::Part& p : parts) size += p.size;
    const wire::RecordHeader header{size, kind, 0};
    response_.append(&header, sizeof(header));
    for (const wire::Part& p : parts) response_.append(p.data, p.size);
    static constexpr std::byte zeros[8] = {};
    response_.append(zeros, wire::padded(size) - size);
  }

  // Room for every result asked for, written in place: the message is sent as it is.
  wire::BlockHeader* reserve_block(std::size_t first, std::size_t size, std::size_t wanted) override {
    const std::size_t payload = sizeof(wire::BlockHeader) + wanted * size;
    std::byte* at = response_.extend(wire::record_span(payload));
    const wire::RecordHeader record{payload, wire::Kind::block, 0};
    std::memcpy(at, &record, sizeof(record));
    return new (at + sizeof(record)) wire::BlockHeader{first, size, wanted, {0}, {0}, 0};
  }

  // Shrunk to what was filled (gone if nothing was).
  void publish_block(wire::BlockHeader& block) noexcept override {
    std::byte* record_at = reinterpret_cast<std::byte*>(&block) - sizeof(wire::RecordHeader);
    const auto at = static_cast<std::size_t>(record_at - response_.data());
    const std::uint64_t count = block.count.load(std::memory_order_relaxed);
    if (count == 0) {
      response_.shrink(at);
      return;
    }
    block.capacity = count;
    block.closed.store(1, std::memory_order_relaxed);
    const std::size_t payload = sizeof(wire::BlockHeader) + count * block.size;
    const wire::RecordHeader record{payload, wire::Kind::block, 0};
    std::memcpy(record_at, &record, sizeof(record));
    response_.shrink(at + wire::record_span(payload));
  }

  std::atomic<std::uint64_t>* raw_running() noexcept override { return &raw_running_; }
  [[noreturn]] void cannot_report() noexcept override {
    abort_job("out of memory while reporting a task's outcome");
  }
  const char* unsent_note() const noexcept override { return "(its message could not be sent to rank 0)"; }

  void read_skips() noexcept {
    Bytes notice;
    try {
      while (try_receive(session_, session_.skips(), 0, MPI_ANY_TAG, notice)) {
        Header h{};
        if (notice.size() < sizeof(h)) abort_job("a skip notice too short for its header");
        std::memcpy(&h, notice.data(), sizeof(h));
        if (notice.size() != sizeof(h) + h.reserved * sizeof(std::uint64_t))
          abort_job("a skip notice whose length does not match its count");
        for (std::uint32_t k = 0; k < h.reserved; ++k) {
          std::uint64_t sequence = 0;
          std::memcpy(&sequence, notice.data() + sizeof(h) + k * sizeof(sequence), sizeof(sequence));
          skips_.emplace_back(h.pool, sequence);
        }
      }
    } catch (const std::exception& e) {
      abort_job(e.what());
    }
  }

  // The rest of a request sent in parts (the caller's items straight from its array): each is
  // received in place after the one before, so the request is one buffer, copied once by MPI.
  void receive_parts(const Header& header) noexcept {
    const std::size_t total = header.flags;
    std::size_t at = request_.size();
    if (total < at) abort_job("a request shorter than its first part");
    try {
      request_.extend(total - at);
      for (std::uint32_t k = 1; k < header.reserved; ++k) {
        MPI_Request receive = MPI_REQUEST_NULL;
        MPI_Status status;
        int found = 0;
        MPI_Message message = MPI_MESSAGE_NULL;
        while (found == 0) {  // posted with the first part: here now or in a moment
          {
            std::lock_guard lock(session_.mpi_mutex());
            check(MPI_Improbe(0, MPI_ANY_TAG, session_.requests(), &found, &message, &status), "MPI_Improbe");
            if (found != 0) {
              int count = 0;
              check(MPI_Get_count(&status, MPI_BYTE, &count), "MPI_Get_count");
              if (static_cast<std::size_t>(count) > total - at)
                abort_job("a request part larger than announced");
              check(MPI_Imrecv(request_.data() + at, count, MPI_BYTE, &message, &receive), "MPI_Imrecv");
              at += static_cast<std::size_t>(count);
            }
          }
          if (found == 0) sched_yield();
        }
        wait(session_, receive);
      }
    } catch (const std::exception& e) {
      abort_job(e.what());
    }
    if (at != total) abort_job("a request whose parts do not add up");
  }

  void open(const Header& header) noexcept {
    Header reply{Kind::ready, 0, header.pool, 0, 0, 0, 0};
    ByteBuffer error;
    if (header.flags != 0) {
      try {
        ByteReader in(std::span<const std::byte>(request_.data(), request_.size()).subspan(sizeof(Header)));
        const auto initializer = reinterpret_cast<void (*)()>(session_.relocation().decode(in));
        initializer();
      } catch (...) {
        reply.kind = Kind::init_error;
        try {
          encode_exception(error, std::current_exception());
        } catch (...) {
          abort_job("out of memory while reporting an initializer's exception");
        }
      }
    }
    response_.clear();
    response_.append(&reply, sizeof(reply));
    response_.append(error.data(), error.size());
    send(header.pool);
  }

  void run_chunk(const Header& header) noexcept {
    pool_ = header.pool;
    sequence_ = header.sequence;
    response_.clear();
    const Header reply{Kind::results, 0, header.pool, header.sequence, header.begin, header.end, 0};
    response_.append(&reply, sizeof(reply));
    // A notice for this chunk may have come while the one before ran.
    read_skips();
    last_skip_look_ = std::chrono::steady_clock::now();
    ByteReader in(std::span<const std::byte>(request_.data(), request_.size()).subspan(sizeof(Header)));
    ChunkReporter::run_chunk(header.begin, header.end, in, 0, &session_.relocation());
    send(header.pool);
    // Notices for this chunk or earlier ones of the pool are spent.
    std::erase_if(skips_, [&](const auto& s) { return s.first == pool_ && s.second <= sequence_; });
  }

  void send(std::uint64_t pool) noexcept {
    try {
      MPI_Request request = MPI_REQUEST_NULL;
      {
        std::lock_guard lock(session_.mpi_mutex());
        check(MPI_Isend(response_.data(), static_cast<int>(response_.size()), MPI_BYTE, 0, pool_tag(pool),
                        session_.results(), &request),
              "MPI_Isend");
      }
      wait(session_, request);
    } catch (const std::exception& e) {
      abort_job(e.what());
    }
  }

  Session& session_;
  Bytes request_;
  Bytes response_;
  std::uint64_t pool_ = 0;
  std::uint64_t sequence_ = 0;
  std::atomic<std::uint64_t> raw_running_{0};  // nothing reads it: a rank that dies ends the job
  mutable std::chrono::steady_clock::time_point last_skip_look_{};
  std::vector<std::pair<std::uint64_t, std::uint64_t>> skips_;  // (pool, sequence) not wanted
};

Session* g_session = nullptr;

// MPI_Finalize deletes MPI_COMM_SELF's attributes first, while MPI still works: the standard's hook
// for running code at finalisation, whoever calls it.
int on_finalize(MPI_Comm /*comm*/, int /*keyval*/, void* /*value*/, void* /*extra*/) {
  if (g_session != nullptr) g_session->release_servers();
  return MPI_SUCCESS;
}

void finalize_at_exit() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized == 0) MPI_Finalize();
}

}  // namespace

struct Session::LocalServer {
  Server server;
  std::thread thread;
  explicit LocalServer(Session& s) : server(s) {}
};

Session::Session(int rank, int size, bool initialised_here)
    : rank_(rank),
      size_(size),
      initialised_here_(initialised_here),
      relocation_({"mpp::MpiPool", "rank " + std::to_string(rank), "on this rank", "other ranks",
                   "every rank must load the libraries whose functions it runs, e.g. dlopen() them on "
                   "every rank"}) {}

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
  g_session = session;
  if (rank == 0) {
    int keyval = MPI_KEYVAL_INVALID;
    check(MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, &on_finalize, &keyval, nullptr),
          "MPI_Comm_create_keyval");
    check(MPI_Comm_set_attr(MPI_COMM_SELF, keyval, nullptr), "MPI_Comm_set_attr");
    if (session->initialised_here_) std::atexit(&finalize_at_exit);
    if (size == 1) session->start_local_server();
  }
  return *session;
}

void Session::start_local_server() {
  std::fprintf(stderr,
               "mpp::MpiPool: a single MPI rank (mpirun -np 1, or no mpirun): rank 0 runs every task itself, "
               "on a thread of its own\n");
  local_ = new LocalServer(*this);
  local_->thread = std::thread([server = &local_->server] { server->serve(); });
}

void Session::serve_and_exit() {
  {
    Server server(*this);
    server.serve();
  }
  // Only the standard streams, never waiting for a lock another thread (a task's) may hold:
  // fflush(nullptr) would wait for every stream's.
  flush_free_standard_streams();
  MPI_Finalize();
  std::exit(0);
}

void Session::release_servers() noexcept {
  if (rank_ != 0 || released_) return;
  released_ = true;
  const Header quit{Kind::quit, 0, 0, 0, 0, 0, 0};
  {
    std::lock_guard lock(mutex_);
    for (std::size_t k = 0; k < servers(); ++k) {
      MPI_Send(&quit, sizeof(quit), MPI_BYTE, server_rank(k), 0, requests_);
    }
  }
  if (local_ != nullptr) {
    local_->thread.join();
    delete local_;
    local_ = nullptr;
  }
}

}  // namespace mpp::detail::mpi
