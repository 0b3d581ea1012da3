#include "mpp/detail/mpi/mpi_executor.hpp"

#include <mpi.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "mpi/protocol.hpp"
#include "mpi/session.hpp"
#include "mpp/detail/core/throw.hpp"
#include "mpp/detail/remote/exception_codec.hpp"
#include "mpp/detail/remote/remote.hpp"
#include "mpp/errors.hpp"
#include "remote/chunk_request.hpp"
#include "remote/host.hpp"
#include "remote/outcomes.hpp"
#include "remote/scheduling.hpp"

namespace mpp::detail {
namespace {

using mpi::Envelope;
using mpi::Kind;
using mpi::Session;

struct InFlight {
  Task* task;  // nullptr once cancelled: the outcome is dropped when it comes
  RemoteJob* job;
  std::uint64_t sequence;
  std::uint64_t permitted;  // the rank may start the items below this (mpi/protocol.hpp)
  std::uint64_t begin;      // the chunk's items
  std::uint64_t end;
  ByteBuffer early;                // outcome records that came with the rank's asks, in order
  ByteBuffer owned;                // the request's own bytes (the rest are views of the caller's items)
  std::vector<MPI_Request> sends;  // one per part of the request
  Clock::time_point sent;
  bool skip_sent = false;  // under Impl::inflight_mutex
  Ref<Job> keep{};         // while `sends` may read the job's arguments (views in the request)
};

static_assert(sizeof(Envelope) % sizeof(std::uint64_t) == 0);

// A message from a rank, matched and arriving: a large one takes a while, and its rank may freeze
// before the end of it.
struct Arrival {
  std::unique_ptr<mpi::Bytes> message;
  MPI_Request request = MPI_REQUEST_NULL;
  Clock::time_point began;
};

struct Server {
  int rank = 0;
  // In the order sent, which is the order results come. Changed by the dispatcher thread only,
  // under Impl::inflight_mutex (skip_unwanted() reads it from the thread that abandons an imap).
  std::deque<std::unique_ptr<InFlight>> inflight;
  std::uint64_t next_sequence = 0;
  ServiceTime service;
  Clock::time_point owed_since{};  // when inflight last became non-empty
  bool lost = false;               // given up on (check_silent): sent nothing more
  std::uint64_t ahead = 0;         // items the rank last asked to have permitted ahead (its pace)
  std::size_t workers = 0;         // its local worker processes for the pool; 0: it runs items itself
  // Its messages in the order they came (that of its sends): one still arriving holds the rest back.
  std::deque<Arrival> arrivals;
};

std::exception_ptr serialization_error(const std::string& what) {
  try {
    throw_serialization(what);
  } catch (...) {
    return std::current_exception();
  }
}

}  // namespace

struct MpiExecutor::Impl final : RemoteHost, Helper, RunningStopper {
  Impl(const MpiExecutorOptions& opts, Session& s, std::size_t ranks)
      : RemoteHost(ranks), options(opts), session(s), pool(s.new_pool_id()) {}
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  // A message from a rank given up on in the middle of sending it may still be written by MPI,
  // should the rank come back: its buffer is never freed.
  ~Impl() {
    for (Server& s : servers) {
      for (Arrival& a : s.arrivals) (void)a.message.release();
    }
  }

  MpiExecutorOptions options;
  Session& session;
  std::uint64_t pool;
  std::deque<Server> servers;  // a deque: a Server is not copyable

  // A call's AsyncResult::cancel(Cancel::even_running) came (stop_requested()): the dispatcher
  // looks for its chunk again on its next round, should it have been sent meanwhile.
  std::atomic<bool> stops_wanted{false};
  // Wakes the dispatcher thread from its sleep.
  std::atomic<std::uint32_t> wake_word{0};
  std::atomic<std::uint32_t> sleeping{0};

  // Taken before the MPI lock, never after it; see Server::inflight.
  std::mutex inflight_mutex;

  // The dispatcher thread's own.
  std::chrono::microseconds nap = k_mpi_first_nap;  // idle()'s next sleep while chunks are out
  RequestBuilder builder;
  std::vector<std::unique_ptr<mpi::Bytes>> spare;  // receive buffers
  // Requests to ranks given up on: never completed, so their buffers are never freed.
  std::vector<std::unique_ptr<InFlight>> abandoned;
  // A skip notice being built (send_skips_locked, under inflight_mutex): room for every chunk the
  // busiest rank may hold, sized when the pool opens.
  static constexpr std::size_t k_envelope_words = sizeof(Envelope) / sizeof(std::uint64_t);
  std::vector<std::uint64_t> skip_notice;

  void wake_dispatcher() noexcept override {
    wake_word.fetch_add(1, std::memory_order_seq_cst);
    if (sleeping.load(std::memory_order_seq_cst) != 0) futex_wake_all(wake_word);
  }

  // --- the dispatcher loop -------------------------------------------------------------------

  // The dispatcher loop's steps (RemoteHost::dispatch). The servers were opened before the loop
  // starts; this thread encodes functions as the ranks load them.
  void begin_dispatch() noexcept { t_function_relocation = &session.relocation(); }
  bool take_turn(Deadline /*deadline*/) noexcept { return true; }
  bool dispatch_round() noexcept { return step(); }
  void end_dispatch() noexcept {
    t_function_relocation = nullptr;
    close_servers();
  }

  bool any_inflight() const noexcept {
    return std::any_of(servers.begin(), servers.end(), [](const Server& s) { return !s.inflight.empty(); });
  }

  bool finished() noexcept {
    if (any_inflight()) return false;  // even terminated: a late result must not reach a later pool
    if (terminated.load(std::memory_order_relaxed)) return true;
    if (!closed.load(std::memory_order_acquire) || !pending.empty()) return false;
    return calls_done();
  }

  // Nothing happened: spin a moment, then sleep until woken or, with chunks out, until the next look.
  void idle(Deadline until) noexcept {
    const std::uint32_t seen = wake_word.load(std::memory_order_seq_cst);
    // Results often come microseconds later: look at MPI too while spinning. Any wake (new work,
    // a callback, an abandoned imap closing its call) ends the spin. The clock is read every round:
    // with Open MPI's yield on (oversubscribed ranks, see Session::get), a look at MPI may give up
    // the CPU, and on a loaded machine a handful of those once took 80 ms.
    const auto spin_end = Clock::now() + k_mpi_dispatcher_spin;
    do {
      if (wake_word.load(std::memory_order_seq_cst) != seen ||
          incoming_count.load(std::memory_order_relaxed) != 0 ||
          posted_count.load(std::memory_order_relaxed) != 0 ||
          terminate_requested.load(std::memory_order_relaxed) || (any_inflight() && receive())) {
        nap = k_mpi_first_nap;
        return;
      }
      yield_cpu();
    } while (Clock::now() < spin_end);
    sleeping.store(1, std::memory_order_seq_cst);
    if (incoming_count.load(std::memory_order_seq_cst) == 0 &&
        posted_count.load(std::memory_order_seq_cst) == 0 &&
        !terminate_requested.load(std::memory_order_seq_cst) &&
        !(closed.load(std::memory_order_seq_cst) && finished())) {
      const bool out = any_inflight();
      futex_wait(wake_word, seen, std::min(until, out ? Clock::now() + nap : k_no_deadline));
      if (out) nap = std::min<std::chrono::microseconds>(k_mpi_longest_sleep, nap * 2);
    }
    sleeping.store(0, std::memory_order_seq_cst);
  }

  // One round of everything; true when something happened.
  bool step() noexcept {
    bool progress = take_incoming();
    if (terminate_requested.load(std::memory_order_acquire) && !terminated.load(std::memory_order_relaxed)) {
      do_terminate();
      progress = true;
    }
    progress |= receive();
    progress |= check_silent();
    if (!terminated.load(std::memory_order_relaxed)) {
      progress |= send_skips();
      if (stops_wanted.exchange(false, std::memory_order_acq_rel)) progress |= send_stops();
      progress |= feed();
    }
    if (progress) nap = k_mpi_first_nap;
    return progress;
  }

  // --- results --------------------------------------------------------------------------------

  // Takes what the ranks sent. A message is handled once it is all in, never waited for: its rank
  // may freeze in the middle of sending it, and check_silent() must still see that.
  bool receive() noexcept {
    if (!any_inflight()) return false;
    bool any = false;
    for (Server& s : servers) any |= deliver(s);
    for (;;) {
      // Buffers are reused, so that a large result does not fault in fresh pages each time.
      std::unique_ptr<mpi::Bytes> message;
      if (spare.empty()) {
        message = std::make_unique<mpi::Bytes>();
      } else {
        message = std::move(spare.back());
        spare.pop_back();
      }
      MPI_Status status;
      MPI_Request request = MPI_REQUEST_NULL;
      try {
        if (!mpi::start_receive(session, session.results(), MPI_ANY_SOURCE, mpi::pool_tag(pool), *message,
                                &status, request)) {
          spare.push_back(std::move(message));
          break;
        }
      } catch (const std::exception& e) {
        fatal(e.what());
      }
      any = true;
      Server* s = server_of(status.MPI_SOURCE);
      if (s == nullptr)
        fatal("a message from rank " + std::to_string(status.MPI_SOURCE) + ", not of the pool");
      try {
        s->arrivals.push_back(Arrival{std::move(message), request, Clock::now()});
      } catch (const std::exception& e) {
        fatal(e.what());
      }
      deliver(*s);
    }
    return any;
  }

  // Handles the rank's messages that are all in, in order; true when any was. A message in parts
  // (its Envelope says how many, protocol.hpp) waits for all of them: the rank posted them together,
  // so they are the arrivals that follow it.
  bool deliver(Server& s) noexcept {
    bool any = false;
    for (;;) {
      std::size_t parts = 1;
      try {
        if (s.arrivals.empty() || !mpi::test(session, s.arrivals.front().request)) return any;
        parts = parts_of(s.rank, *s.arrivals.front().message);
        if (s.arrivals.size() < parts) return any;
        for (std::size_t k = 1; k < parts; ++k) {
          if (!mpi::test(session, s.arrivals[k].request)) return any;
        }
      } catch (const std::exception& e) {
        fatal(e.what());
      }
      // Out of the queue first: handling it may run callbacks that re-enter step(). Most messages
      // are one part: no allocation for them.
      std::unique_ptr<mpi::Bytes> one;
      std::vector<std::unique_ptr<mpi::Bytes>> several;
      try {
        if (parts > 1) several.reserve(parts);
        for (std::size_t k = 0; k < parts; ++k) {
          (parts == 1 ? one : several.emplace_back()) = std::move(s.arrivals.front().message);
          s.arrivals.pop_front();
        }
      } catch (const std::exception& e) {
        fatal(e.what());
      }
      const std::span<std::unique_ptr<mpi::Bytes>> message =
          parts == 1 ? std::span(&one, 1) : std::span(several);
      handle(s.rank, message);
      for (auto& part : message) {
        if (spare.size() < 4) spare.push_back(std::move(part));
      }
      any = true;
    }
  }

  // How many messages the one starting with `first` came in: a Results or an Ask with large
  // results sent as parts of their own says so in its Envelope (protocol.hpp).
  std::size_t parts_of(int rank, const mpi::Bytes& first) noexcept {
    Envelope header{};
    if (first.size() < sizeof(header)) fatal("a malformed message from rank " + std::to_string(rank));
    std::memcpy(&header, first.data(), sizeof(header));
    const bool may_have_parts = header.kind == Kind::results || header.kind == Kind::ask;
    return may_have_parts && header.parts > 1 ? header.parts : 1;
  }

  [[noreturn]] void fatal(const std::string& why) noexcept {
    std::fprintf(stderr, "%s: %s; ending the job\n", options.name, why.c_str());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 70);
    std::abort();
  }

  Server* server_of(int rank) noexcept {
    for (Server& s : servers) {
      if (s.rank == rank) return &s;
    }
    return nullptr;
  }

  // Part k's outcome records: each part holds whole records, the first after its Envelope.
  static std::span<std::byte> records_of(std::span<const std::unique_ptr<mpi::Bytes>> message,
                                         std::size_t k) noexcept {
    return std::span(message[k]->data(), message[k]->size()).subspan(k == 0 ? sizeof(Envelope) : 0);
  }

  // `message`: its parts (one, mostly), the Envelope at the start of the first.
  void handle(int rank, std::span<const std::unique_ptr<mpi::Bytes>> message) noexcept {
    Envelope header{};
    Server* s = server_of(rank);
    if (message.empty() || message[0]->size() < sizeof(header) || s == nullptr)
      fatal("a malformed message from rank " + std::to_string(rank));
    std::memcpy(&header, message[0]->data(), sizeof(header));
    session.heard_from(rank);
    // A late word from a rank given up on: its chunks were settled when it was.
    if (s->lost || header.kind == Kind::heartbeat) return;
    if (header.kind == Kind::ask && header.pool == pool) return grant(*s, header, message);
    // A rank with local workers answers chunks as they finish; one that runs them itself, in order.
    auto at = s->inflight.begin();
    if (s->workers != 0) {
      at = std::find_if(at, s->inflight.end(), [&](const auto& f) { return f->sequence == header.sequence; });
    }
    if (header.kind != Kind::results || header.pool != pool || at == s->inflight.end() ||
        (*at)->sequence != header.sequence) {
      fatal("an unexpected message from rank " + std::to_string(rank));
    }
    // Out of the queue before any outcome is taken: callbacks may re-enter step().
    std::unique_ptr<InFlight> f;
    {
      std::lock_guard lock(inflight_mutex);
      f = std::move(*at);
      s->inflight.erase(at);
    }
    s->service.chunk_ended(f->sent, Clock::now());
    if (s->workers == 0) s->ahead = header.permit;  // local workers' pace comes with their asks
    try {                                           // the rank has the request: its sends complete at once
      for (MPI_Request& r : f->sends) mpi::wait(session, r);
    } catch (const std::exception& e) {
      fatal(e.what());
    }
    if (f->task == nullptr) return;  // cancelled by terminate()
    Task* task = f->task;
    // Items the rank gives back unrun (its local worker died before them) run anywhere, first.
    if (header.size > task->end - task->begin)
      fatal("rank " + std::to_string(rank) + " gave back too many items");
    const std::size_t kept = task->end - static_cast<std::size_t>(header.size);
    std::vector<Task*> again;
    // Given back whole (a local worker died before its first item: a request too large for its
    // memory, a worker killed from outside): counted as the process back end counts them, so that
    // it is not sent round the ranks for ever.
    std::uint32_t losses = kept == task->begin && kept != task->end ? task->unattributed_losses + 1 : 0;
    std::size_t from = kept;
    if (losses >= k_unattributed_losses) {
      fail_unstartable(rank, *task, from++);
      losses = 0;
    }
    send_again(again, *task, from, task->end, losses);
    pending.insert(pending.begin(), again.begin(), again.end());
    take_outcomes(rank, *task, kept, *f->job, f->early, message);
    release_task(task);
  }

  // Item `i` came back unstarted k_unattributed_losses times in a row: it fails with WorkerLost.
  void fail_unstartable(int rank, const Task& task, std::size_t i) noexcept {
    RemoteJob& job = *task.job->remote();
    try {
      throw WorkerLost(std::string(options.name) + ": local workers died " +
                           std::to_string(k_unattributed_losses) + " times in a row before " +
                           (job.single_task() ? std::string("the task")
                                              : "item " + std::to_string(job.input_position(i))) +
                           " started, the last on rank " + std::to_string(rank) + " (" +
                           session.host_of(rank) + "); it is not sent again",
                       rank, session.host_of(rank));
    } catch (...) {
      job.accept_error(i, std::current_exception());
    }
  }

  // Every item of the chunk gets exactly one outcome, whatever the records hold: those that came
  // early (with asks), then the results message's.
  void take_outcomes(int rank, const Task& task, std::size_t end, RemoteJob& job, ByteBuffer& early,
                     std::span<const std::unique_ptr<mpi::Bytes>> message) noexcept {
    ChunkProgress chunk{&job, task.begin, end, false};
    const auto stop = [this] { return terminated.load(std::memory_order_relaxed); };
    bool valid = detail::take_outcomes(chunk, early, stop);
    for (std::size_t k = 0; k < message.size() && valid; ++k)
      valid = detail::take_outcomes(chunk, records_of(message, k), stop);
    if (terminated.load(std::memory_order_relaxed)) {  // a callback terminated the pool
      task.job->cancel();
      return;
    }
    if (chunk.next < chunk.end) {
      const auto error = serialization_error(std::string(options.name) + ": rank " + std::to_string(rank) +
                                             (valid ? " sent too few results" : " sent a malformed result"));
      for (; chunk.next < chunk.end; ++chunk.next) job.accept_error(chunk.next, error);
    }
  }

  // --- ranks that fall silent -----------------------------------------------------------------

  // A rank that owes this pool results and has said nothing for rank_timeout (or that another
  // pool gave up on) is given up: see lose(). With no rank left, what is queued fails too.
  bool check_silent() noexcept {
    if (options.rank_timeout.count() == 0) return false;
    bool any = false;
    const auto now = Clock::now();
    for (Server& s : servers) {
      if (s.lost) continue;
      auto heard = std::max(session.last_heard(s.rank), s.owed_since);
      auto allowed = options.rank_timeout;
      if (!s.arrivals.empty()) {  // messages on their way (a message's parts), at the slowest link's pace
        heard = std::max(heard, s.arrivals.front().began);
        std::size_t bytes = 0;
        for (const Arrival& a : s.arrivals) bytes += a.message->size();
        allowed += std::chrono::milliseconds(bytes / k_mpi_slowest_link_bytes_per_ms);
      }
      // In milliseconds: a rank_timeout of years would overflow Clock's nanoseconds.
      if (session.lost(s.rank) ||
          (!s.inflight.empty() &&
           std::chrono::duration_cast<std::chrono::milliseconds>(now - heard) > allowed)) {
        lose(s, now - heard);
        any = true;
      }
    }
    if (!pending.empty() &&
        std::all_of(servers.begin(), servers.end(), [](const Server& s) { return s.lost; })) {
      const auto error = std::make_exception_ptr(WorkerLost(
          std::string(options.name) + ": every serving rank of the pool was lost; nothing can run"));
      while (!pending.empty()) {
        Task* task = pending.front();
        pending.pop_front();
        fail_task(task, error);
      }
      any = true;
    }
    return any;
  }

  // The rank asks to start more items of a chunk it runs (mpi/protocol.hpp): permitted, and
  // recorded before the permit leaves, so that a loss knows which items may have started.
  // The outcomes the ask carries are kept until the chunk's results: taken now, a callback they
  // complete could re-enter step() and take the chunk's later ones first.
  void grant(Server& s, const Envelope& ask, std::span<const std::unique_ptr<mpi::Bytes>> message) noexcept {
    const auto at = std::find_if(s.inflight.begin(), s.inflight.end(),
                                 [&](const auto& f) { return f->sequence == ask.sequence; });
    if (at == s.inflight.end()) fatal("an ask for a chunk rank " + std::to_string(s.rank) + " does not hold");
    InFlight& f = **at;
    if (f.task != nullptr) {
      try {
        for (std::size_t k = 0; k < message.size(); ++k) {
          const std::span<std::byte> records = records_of(message, k);
          f.early.insert(f.early.end(), records.begin(), records.end());
        }
      } catch (const std::exception& e) {
        fatal(e.what());
      }
    }
    const std::uint64_t before = f.permitted;
    f.permitted = std::max(f.permitted, std::min<std::uint64_t>(ask.permit, f.end));
    s.ahead = ask.size;
    if (f.permitted == before) return;  // it sent outcomes only
    const Envelope permit{Kind::permit, 0, pool, f.sequence, 0, f.permitted};
    std::lock_guard lock(session.mpi_mutex());
    // Small: sent eagerly, MPI_Send returns at once.
    mpi::check(MPI_Send(&permit, sizeof(permit), MPI_BYTE, s.rank, 0, session.skips()), "MPI_Send");
  }

  // The items the rank may have started fail with WorkerLost: whether they ran, or run still, is
  // unknown, and none may run twice. The rest run on other ranks. Its requests are never completed:
  // MPI may still read them.
  void lose(Server& s, Clock::duration silence) noexcept {
    const double seconds = std::chrono::duration<double>(silence).count();
    char said[64];
    std::snprintf(said, sizeof said, "%.1f", seconds);
    const std::string why = "rank " + std::to_string(s.rank) + " (" + session.host_of(s.rank) + ") " +
                            (session.lost(s.rank) ? std::string("was given up by another pool (rank_timeout)")
                                                  : "said nothing for " + std::string(said) +
                                                        " s and was given up (rank_timeout)");
    session.mark_lost(s.rank, why);
    std::deque<std::unique_ptr<InFlight>> gone;
    {
      std::lock_guard lock(inflight_mutex);
      // Should the rank wake up, it skips what it was permitted but had not started.
      send_skips_locked([](const InFlight&) { return true; }, true, &s);
      gone.swap(s.inflight);
    }
    s.lost = true;
    std::exception_ptr error;
    try {
      error = std::make_exception_ptr(
          WorkerLost(std::string(options.name) + ": " + why + "; the item may have started there", s.rank,
                     session.host_of(s.rank)));
    } catch (...) {
      error = std::current_exception();
    }
    std::vector<Task*> again;
    for (auto& f : gone) {
      Task* task = std::exchange(f->task, nullptr);
      const std::uint64_t permitted = f->permitted;
      ByteBuffer early = std::move(f->early);
      try {
        abandoned.push_back(std::move(f));
      } catch (...) {  // out of memory: the request's buffer leaks instead
        (void)f.release();
      }
      if (task == nullptr) continue;
      ChunkProgress chunk{task->job->remote(), task->begin, task->end, false};
      (void)detail::take_outcomes(chunk, early, [] { return false; });  // malformed: the rest fail
      const std::size_t started = std::min<std::size_t>(permitted, task->end);
      for (std::size_t i = chunk.next; i < started; ++i) chunk.job->accept_error(i, error);
      send_again(again, *task, started, task->end);
      release_task(task);
    }
    pending.insert(pending.begin(), again.begin(), again.end());
  }

  // --- requests -------------------------------------------------------------------------------

  // Every rank with room gets a chunk in turn, those holding fewest first: a rank that finishes
  // sooner gets more.
  bool feed() noexcept {
    return feed_in_turn(
        pending, servers,
        [](const Server& s) { return s.inflight.size() / std::max<std::size_t>(1, s.workers); },
        [this](Server& s) { return send_one(s); });
  }

  bool send_one(Server& s) noexcept {
    if (s.lost || session.lost(s.rank) || pending.empty() ||
        s.inflight.size() >= std::max<std::size_t>(1, s.workers) *
                                 pipeline_depth(k_mpi_pipeline, s.service, pending.size(), slots)) {
      return false;
    }
    Task* task = nullptr;
    RemoteJob* job = take_pending(pending, task);
    if (job == nullptr) return true;
    std::unique_ptr<InFlight> f;
    std::vector<RequestBuilder::Segment> segments;
    try {
      f = std::make_unique<InFlight>(InFlight{task,
                                              job,
                                              s.next_sequence,
                                              first_permit(s, *task),
                                              task->begin,
                                              task->end,
                                              {},
                                              {},
                                              {},
                                              Clock::now()});
      builder.clear();
      builder.set_argument_views(true);  // `keep` holds them until the sends complete
      const Envelope envelope{Kind::chunk, 0, pool, 0, 0, f->permitted};  // parts and size: post_send()
      builder.bytes().resize(sizeof(envelope));                           // not an insert: see open_servers()
      std::memcpy(builder.bytes().data(), &envelope, sizeof(envelope));
      write_chunk_request(builder, *job, task->begin, task->end, s.next_sequence, &session.relocation());
      segments = builder.segments();
      std::size_t total = 0;
      for (const auto& segment : segments) total += segment.size;
      if (total > static_cast<std::size_t>(INT_MAX)) {
        throw_serialization(std::string(options.name) +
                            ": a chunk's request is larger than 2 GiB, more than one MPI message takes; "
                            "pass a smaller chunksize");
      }
      if (std::any_of(segments.begin(), segments.end(), [](const auto& p) { return p.external != nullptr; }))
        f->keep = Ref<Job>::share(task->job);
      // Moving the vector keeps its storage, so the segments' offsets still hold.
      f->owned = std::move(builder.bytes());
      builder.clear();
      post_send(s, *f, segments);
    } catch (...) {  // an argument that cannot be encoded fails its items, not the pool
      fail_task(task, std::current_exception());
      return true;
    }
    ++s.next_sequence;
    std::lock_guard lock(inflight_mutex);
    if (s.inflight.empty()) s.owed_since = Clock::now();
    s.inflight.push_back(std::move(f));
    return true;
  }

  // What a chunk permits at once: as many items as the rank last asked for ahead (mpi/protocol.hpp),
  // less what the chunks it holds already permit, so that what a lost rank takes with it stays
  // about k_mpi_permit_ahead of work (for each of its local workers); none when its items are long
  // or its pace unknown (it asks as it starts). A rank without local workers runs its chunks in
  // order, and its asks may yet permit each chunk ahead of this one whole: they count whole.
  // Every item where no rank can be lost (rank_timeout 0, rank 0's own serving thread).
  std::uint64_t first_permit(const Server& s, const Task& task) const noexcept {
    if (options.rank_timeout.count() == 0 || s.rank == session.rank()) return task.end;
    std::uint64_t held = 0;
    for (const auto& f : s.inflight) held += (s.workers == 0 ? f->end : f->permitted) - f->begin;
    const std::uint64_t ahead = s.ahead * std::max<std::size_t>(1, s.workers);
    const std::uint64_t room = ahead > held ? ahead - held : 0;
    return task.begin + std::min<std::uint64_t>(room, task.end - task.begin);
  }

  // Each part of the request as a message of its own, straight from where it lies: a map's raw
  // items go from the caller's array, which MPI copies once, straight into the rank's buffer (a
  // contiguous message takes Open MPI's single-copy path; a derived datatype would be packed in
  // pieces). Part 0 starts with the Envelope, which says how many parts follow and their total size.
  // The parts are posted under one hold of the MPI lock, so they arrive one after the other.
  void post_send(Server& s, InFlight& f, const std::vector<RequestBuilder::Segment>& segments) {
    std::vector<std::pair<const std::byte*, std::size_t>> parts;
    std::size_t total = 0;
    for (const auto& segment : segments) {
      if (segment.size == 0) continue;
      parts.emplace_back(segment.external != nullptr ? segment.external : f.owned.data() + segment.offset,
                         segment.size);
      total += segment.size;
    }
    MPP_ASSERT(!parts.empty() && parts[0].first == f.owned.data() && parts[0].second >= sizeof(Envelope));
    Envelope envelope{};
    std::memcpy(&envelope, f.owned.data(), sizeof(envelope));
    envelope.parts = static_cast<std::uint32_t>(parts.size());
    envelope.size = total;
    std::memcpy(f.owned.data(), &envelope, sizeof(envelope));
    f.sends.assign(parts.size(), MPI_REQUEST_NULL);
    std::lock_guard lock(session.mpi_mutex());
    for (std::size_t k = 0; k < parts.size(); ++k) {
      mpi::check(MPI_Isend(parts[k].first, static_cast<int>(parts[k].second), MPI_BYTE, s.rank, 0,
                           session.requests(), &f.sends[k]),
                 "MPI_Isend");
    }
  }

  // Chunks out at a rank that nobody wants any more (an abandoned imap): the rank skips what it
  // has not started. On the dispatcher thread, and at once on the thread that abandons an imap.
  bool send_skips() noexcept {
    std::lock_guard lock(inflight_mutex);
    // do_terminate() gives the cancelled ones (task == nullptr) their notice.
    return send_skips_locked([](const InFlight& f) { return !f.job->wanted(); }, false);
  }

  // RunningStopper: AsyncResult::cancel(Cancel::even_running) of a call sent to a rank. The rank
  // is told to stop it: local workers kill the worker running it (TaskCancelled) or skip it if
  // none has started it. Either way its Results come as for any chunk, and the caller waits for
  // them. Ranks that run items themselves cannot stop one: there is no stopper, and cancel()
  // returns false at once, as on threads, instead of waiting for the call to end.
  RunningStopper* stopper() noexcept override { return options.workers_per_rank != 0 ? this : nullptr; }
  void stop_requested() noexcept override {
    stops_wanted.store(true, std::memory_order_release);
    if (!terminated.load(std::memory_order_acquire)) send_stops();
  }
  bool send_stops() noexcept {
    std::lock_guard lock(inflight_mutex);
    return send_skips_locked([](const InFlight& f) { return f.task != nullptr && f.job->stop_requested(); },
                             true);
  }

  // One notice per rank, naming every chunk out there that `unwanted` picks and that had none
  // yet, all under one hold of the MPI lock: on a busy machine each MPI call may cost a time slice.
  // `stop`: the items running are stopped too where the rank can (local workers are killed).
  // The caller holds inflight_mutex.
  template <class Unwanted>
  bool send_skips_locked(const Unwanted& unwanted, bool stop, const Server* only = nullptr) noexcept {
    std::unique_lock mpi_lock(session.mpi_mutex(), std::defer_lock);
    bool any = false;
    for (Server& s : servers) {
      if (s.lost || (only != nullptr && &s != only)) continue;
      // The Envelope, then the sequences: a rank holds a few chunks per worker.
      std::uint64_t* notice = skip_notice.data();
      Envelope envelope{Kind::skip, 0, pool, 0, stop ? 1U : 0U, 0};
      for (auto& f : s.inflight) {
        if (f->skip_sent || !unwanted(*f)) continue;
        f->skip_sent = true;
        MPP_ASSERT(envelope.parts + k_envelope_words < skip_notice.size());
        notice[k_envelope_words + envelope.parts++] = f->sequence;
      }
      if (envelope.parts == 0) continue;
      std::memcpy(notice, &envelope, sizeof(envelope));
      if (!mpi_lock.owns_lock()) mpi_lock.lock();
      // Small: sent eagerly, MPI_Send returns at once.
      MPI_Send(notice, static_cast<int>(sizeof(Envelope) + envelope.parts * sizeof(std::uint64_t)), MPI_BYTE,
               s.rank, 0, session.skips());
      any = true;
    }
    return any;
  }

  // --- termination and callbacks --------------------------------------------------------------

  void do_terminate() noexcept override {
    mark_terminated();
    // Every chunk out at a rank: skipped there, cancelled here, its late outcome dropped.
    {
      std::lock_guard lock(inflight_mutex);
      send_skips_locked([](const InFlight&) { return true; }, true);
    }
    // Taken out of the queue first, cancelled after, without the lock: a cancelled task's callbacks
    // run on this thread (cancel_queued) and may wait on the pool (wait_in_callback), which takes
    // the lock and pops the queue.
    std::vector<Task*> running;
    for (Server& s : servers) {
      for (auto& f : s.inflight) {
        if (f->task == nullptr) continue;
        Task* task = std::exchange(f->task, nullptr);
        try {
          running.push_back(task);
        } catch (...) {  // out of memory: at once
          cancel_task(task);
        }
      }
    }
    for (Task* task : running) cancel_task(task);
    cancel_queued();
  }

  void skip_unwanted() noexcept override {
    if (!terminated.load(std::memory_order_acquire)) send_skips();
  }

  // A callback on the dispatcher thread that waits on this pool moves it meanwhile.
  Helped help(const void* executor, FunctionRef<bool()> done, Deadline deadline) noexcept override {
    return wait_in_callback(*this, executor, done, deadline);
  }

  // --- start ----------------------------------------------------------------------------------

  // Tells every rank how to run the pool's items (OpenSetup: itself, or local workers) and runs the
  // initializer there; rethrows the first exception. Learns each rank's local workers.
  void open_servers() {
    const Envelope open{Kind::open, 0, pool, 0, 0, 0};
    const mpi::OpenSetup setup{
        options.workers_per_rank == SIZE_MAX ? mpi::k_every_cpu : options.workers_per_rank,
        options.task_timeout.count(), options.maxtasksperchild, options.initializer != nullptr ? 1U : 0U};
    // Sized, then copied into: g++ 12 at -O3 misreads an insert into an empty vector as an overflow.
    ByteBuffer message(sizeof(open) + sizeof(setup));
    std::memcpy(message.data(), &open, sizeof(open));
    std::memcpy(message.data() + sizeof(open), &setup, sizeof(setup));
    if (options.initializer != nullptr)
      session.relocation().encode(message, reinterpret_cast<std::uintptr_t>(options.initializer));
    std::vector<Server*> owing;  // a reply
    {
      std::lock_guard lock(session.mpi_mutex());
      for (Server& s : servers) {
        if (s.lost) continue;
        mpi::check(MPI_Send(message.data(), static_cast<int>(message.size()), MPI_BYTE, s.rank, 0,
                            session.requests()),
                   "MPI_Send");
        owing.push_back(&s);
      }
    }
    const auto sent = Clock::now();
    std::exception_ptr first;
    while (!owing.empty()) {
      mpi::Bytes reply;
      MPI_Status status;
      mpi::Poll poll(std::chrono::microseconds(1000));
      bool got = false;
      while (!(got = mpi::try_receive(session, session.results(), MPI_ANY_SOURCE, mpi::pool_tag(pool), reply,
                                      &status))) {
        poll.pause();
        if (lose_silent_openers(owing, sent)) break;
      }
      if (!got) continue;  // gave up on a rank: the others may have answered
      Envelope header{};
      if (reply.size() < sizeof(header)) fatal("a malformed reply to Open");
      std::memcpy(&header, reply.data(), sizeof(header));
      session.heard_from(status.MPI_SOURCE);
      const auto at =
          std::find_if(owing.begin(), owing.end(), [&](Server* s) { return s->rank == status.MPI_SOURCE; });
      if (at == owing.end()) continue;  // from a rank given up on meanwhile
      (*at)->workers = static_cast<std::size_t>(header.size);
      owing.erase(at);
      if (header.kind == Kind::init_error && !first) {
        first = decode_exception({reply.data() + sizeof(header), reply.size() - sizeof(header)});
      }
    }
    if (first) {
      close_servers();  // the ranks whose local workers did start: the pool never comes to be
      std::rethrow_exception(first);
    }
  }

  // The pool has ended: ranks with local workers for it stop them. Sent only when no chunk is out
  // at a rank not given up on (finished()).
  void close_servers() noexcept {
    const Envelope close{Kind::close, 0, pool, 0, 0, 0};
    std::lock_guard lock(session.mpi_mutex());
    for (const Server& s : servers) {
      if (s.workers == 0 || s.lost || session.lost(s.rank)) continue;
      // Small: sent eagerly, MPI_Send returns at once.
      if (MPI_Send(&close, sizeof(close), MPI_BYTE, s.rank, 0, session.requests()) != MPI_SUCCESS)
        fatal("MPI_Send failed to close a rank's local workers");
    }
  }

  // The ranks that have not answered Open and have said nothing for rank_timeout (to any pool)
  // are given up; true when any was.
  bool lose_silent_openers(std::vector<Server*>& owing, Clock::time_point sent) {
    if (options.rank_timeout.count() == 0) return false;
    const auto now = Clock::now();
    const auto before = owing.size();
    std::erase_if(owing, [&](Server* s) {
      const auto heard = std::max(session.last_heard(s->rank), sent);
      if (!session.lost(s->rank) &&
          std::chrono::duration_cast<std::chrono::milliseconds>(now - heard) <= options.rank_timeout)
        return false;
      s->lost = true;
      session.mark_lost(s->rank, "rank " + std::to_string(s->rank) + " (" + session.host_of(s->rank) +
                                     ") did not answer a new pool for " +
                                     std::to_string(options.rank_timeout.count()) +
                                     " ms and was given up (rank_timeout)");
      return true;
    });
    return owing.size() != before;
  }
};

void mpi_serve(int* argc, char*** argv) {
  Session& session = Session::get(argc, argv);
  if (session.rank() != 0) session.serve_and_exit();
}

std::size_t mpi_servers(int* argc, char*** argv) { return Session::get(argc, argv).servers(); }

MpiExecutor::MpiExecutor(const MpiExecutorOptions& options) {
  Session& session = Session::get(options.argc, options.argv);
  if (session.rank() != 0) session.serve_and_exit();
  // The ranks not given up on (by an earlier pool); with every one lost, all of them, so that
  // every call fails at once with WorkerLost (check_silent).
  std::vector<int> ranks;
  for (std::size_t k = 0; k < session.servers(); ++k) {
    if (!session.lost(session.server_rank(k))) ranks.push_back(session.server_rank(k));
  }
  const std::size_t lost = session.servers() - ranks.size();
  if (options.ranks > ranks.size()) {
    throw std::invalid_argument(
        std::string(options.name) + ": asked for " + std::to_string(options.ranks) +
        " serving ranks, but the job has " + std::to_string(ranks.size()) +
        (lost != 0 ? " (and " + std::to_string(lost) + " given up on)" : std::string()) +
        " (start more with mpirun -np N)");
  }
  if (ranks.empty()) {
    for (std::size_t k = 0; k < session.servers(); ++k) ranks.push_back(session.server_rank(k));
  }
  const std::size_t count = options.ranks != 0 ? options.ranks : ranks.size();
  auto owned = std::make_shared<Impl>(options, session, count);
  Impl& impl = *owned;
  host_ = owned;
  for (std::size_t k = 0; k < count; ++k) {
    impl.servers.push_back(Server{ranks[k], {}, 0, {}, {}, session.lost(ranks[k]), 0, 0, {}});
  }
  if (options.initializer != nullptr || options.workers_per_rank != 0) impl.open_servers();
  std::size_t slots = 0;
  std::size_t widest = 1;
  for (const Server& s : impl.servers) {
    slots += std::max<std::size_t>(1, s.workers);
    widest = std::max(widest, s.workers);
  }
  impl.slots = slots;
  impl.skip_notice.resize(Impl::k_envelope_words + widest * k_mpi_pipeline.short_depth);
  start_dispatcher(owned);
}

MpiExecutor::~MpiExecutor() {
  if (host_) shutdown();
}

}  // namespace mpp::detail
