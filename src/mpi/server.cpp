// A serving rank (every rank but 0; with a single rank, a thread of rank 0): runs the chunks rank
// 0 sends, one at a time, each item once rank 0 permits it (protocol.hpp), and sends back each
// chunk's outcomes as one message (server.hpp); or, for a pool with local workers, relays its
// chunks to them (relay.hpp).
#include "mpi/server.hpp"

#include <mpi.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <span>
#include <thread>
#include <utility>
#include <vector>

#include "mpi/protocol.hpp"
#include "mpi/relay.hpp"
#include "mpp/detail/remote/exception_codec.hpp"
#include "mpp/detail/remote/remote.hpp"
#include "remote/reporter.hpp"
#include "remote/tunables.hpp"

namespace mpp::detail::mpi {
namespace {

// A serving rank (or rank 0's serving thread): runs the chunks rank 0 sends, one at a time, and
// sends back each chunk's outcomes as one message.
class Server final : public ChunkReporter {
 public:
  // Requests land in the arena: a large one then goes to a local worker by address.
  explicit Server(Session& session) : session_(session), request_(session.arena_buffer()) {}

  // Until Quit.
  void serve() noexcept {
    t_function_relocation = &session_.relocation();
    try {
      beat_thread_ = std::thread([this] { beat(); });
    } catch (const std::exception& e) {
      abort_job(e.what());
    }
    for (;;) {
      if (!received_) receive_request();
      received_ = false;
      const Envelope envelope = request_envelope();
      LocalWorkers* local = local_workers(envelope.pool);
      if (envelope.kind == Kind::chunk && local == nullptr)
        busy_pool_.store(envelope.pool, std::memory_order_relaxed);
      if (envelope.kind == Kind::chunk && envelope.parts > 1) receive_parts(envelope);
      switch (envelope.kind) {
        case Kind::open:
          open(envelope);
          break;
        case Kind::chunk:
          if (local != nullptr) {
            if (relay(*local, envelope)) drive(*local);
          } else {
            run_chunk(envelope);
          }
          break;
        case Kind::close:
          set_local_workers(envelope.pool, nullptr);
          break;
        case Kind::quit:
          while (!locals_.empty()) set_local_workers(locals_.begin()->first, nullptr);
          t_function_relocation = nullptr;
          stop_beating();
          return;
        default:
          abort_job("a request of an unknown kind");
      }
    }
  }

  // WorkerContext: item i starts once permitted (or is reported cancelled when skipped meanwhile).
  void start_item(std::size_t i) noexcept override { (void)may_start(i, 1); }

  bool skip() const noexcept override {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_skip_look_ >= k_mpi_skip_look) {
      last_skip_look_ = now;
      const_cast<Server*>(this)->read_skips();
    }
    return skip_listed();
  }

 private:
  // ChunkReporter: records go into the chunk's results message, after its Envelope; a large result
  // stays where it was encoded and goes as a part of its own (hold()).
  void write_record(wire::Kind kind, std::initializer_list<wire::Part> parts) override {
    if (kind == wire::Kind::value && parts.size() == 2 && hold(parts.begin()[0], parts.begin()[1])) return;
    append_record(response_, kind, parts);
  }

  // Room for a value record's headers before each encoded result (WorkerContext::scratch_room).
  std::size_t scratch_room() const noexcept override { return k_value_headers; }

  // A result of k_mpi_direct_result_bytes or more, encoded in the scratch after room for its
  // headers: its record is completed there and the buffer kept, to be sent from there as a part of
  // the results message (send()), instead of being copied into response_. The reporter encodes
  // the next result into a spare buffer.
  bool hold(const wire::Part& item, const wire::Part& value) {
    ByteBuffer& scratch = this->scratch();
    if (value.size < k_mpi_direct_result_bytes || item.size != sizeof(wire::ItemHeader) ||
        scratch.size() != k_value_headers + value.size || value.data != scratch.data() + k_value_headers) {
      return false;
    }
    const wire::RecordHeader record{item.size + value.size, wire::Kind::value, 0};
    std::memcpy(scratch.data(), &record, sizeof(record));
    std::memcpy(scratch.data() + sizeof(record), item.data, item.size);
    scratch.resize(wire::record_span(record.size));  // the padding, zeroed
    held_.push_back(Held{response_.size(), std::move(scratch)});
    scratch = std::move(spare_scratch_);
    scratch.clear();
    return true;
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

  // Items first.. may start up to where rank 0 has permitted (`wanted` at most), in runs of about
  // k_mpi_skip_look of work; asks for about k_mpi_permit_ahead of work beyond, at the chunk's
  // pace, before it is needed, and waits only when nothing is permitted yet; sends the outcomes
  // reported so far at least every k_mpi_outcome_flush. 0: the chunk was skipped meanwhile.
  std::size_t may_start(std::size_t first, std::size_t wanted) noexcept override {
    const auto now = std::chrono::steady_clock::now();
    if (first > begin()) {
      item_time_ = (now - chunk_began_) / static_cast<std::int64_t>(first - begin());
      paced_pool_ = pool_;
    }
    const std::uint64_t ahead = items_within(k_mpi_permit_ahead);
    const std::uint64_t target = std::min<std::uint64_t>(end(), first + 1 + ahead);
    const bool more = target > asked_ && (asked_ <= first || asked_ - first - 1 < ahead / 2);
    if (more || (now - last_ask_ >= k_mpi_outcome_flush && response_.size() > sizeof(Envelope)))
      ask(std::max(target, asked_), ahead, now);
    if (permitted_ <= first) {
      Poll poll(k_mpi_permit_poll);
      while (permitted_ <= first) {
        read_skips();
        if (skip_listed()) return 0;
        if (permitted_ <= first) poll.pause();
      }
    }
    // A run lasts about as long as a look for skip notices waits: a rank given up on while it
    // was stopped (and skipped) starts little after it is continued.
    const std::uint64_t run = std::max<std::uint64_t>(1, items_within(k_mpi_skip_look));
    return static_cast<std::size_t>(std::min<std::uint64_t>({wanted, permitted_ - first, run}));
  }

  // Items that take about `span` at this pool's pace here; 0 when unknown or as long.
  std::uint64_t items_within(std::chrono::nanoseconds span) const noexcept {
    if (paced_pool_ != pool_) return 0;
    return static_cast<std::uint64_t>(span / std::max(item_time_, std::chrono::nanoseconds(1)));
  }

  // The Ask carries the outcomes reported so far, so that rank 0 has every finished item's if it
  // gives this rank up: the chunk's results message then starts afresh.
  void ask(std::uint64_t target, std::uint64_t ahead, std::chrono::steady_clock::time_point now) noexcept {
    asked_ = target;
    last_ask_ = now;
    close_block();
    const Envelope ask{Kind::ask, 0, pool_, sequence_, ahead, target};
    std::memcpy(response_.data(), &ask, sizeof(ask));
    send(pool_, false);
    begin_results();
  }

  // The next request from rank 0 into request_. Skip notices for the chunks local workers hold
  // come meanwhile.
  void receive_request() noexcept {
    Poll poll(k_mpi_server_idle_poll);
    try {
      while (!try_receive(session_, session_.requests(), 0, MPI_ANY_TAG, request_)) {
        if (!locals_.empty()) read_skips();
        poll.pause();
      }
    } catch (const std::exception& e) {
      abort_job(e.what());
    }
  }

  Envelope request_envelope() const noexcept {
    Envelope envelope{};
    if (request_.size() < sizeof(envelope)) abort_job("a request too short for its envelope");
    std::memcpy(&envelope, request_.data(), sizeof(envelope));
    return envelope;
  }

  bool relay(LocalWorkers& local, const Envelope& envelope) noexcept {
    try {
      return local.relay(envelope, request_);
    } catch (const std::exception& e) {
      abort_job(e.what());
    }
  }

  // Drives `local` once the one chunk it holds went to it (LocalWorkers::drive), passing on the
  // permits and skips rank 0 sends meanwhile; a request ends the drive (received_) and is served
  // next, and the workers' dispatcher thread goes on.
  void drive(LocalWorkers& local) noexcept {
    local.drive([&] {
      read_skips();
      try {
        if (!try_receive(session_, session_.requests(), 0, MPI_ANY_TAG, request_)) return false;
      } catch (const std::exception& e) {
        abort_job(e.what());
      }
      received_ = true;
      return true;
    });
  }

  bool skip_listed() const noexcept {
    return std::any_of(skips_.begin(), skips_.end(),
                       [&](const auto& s) { return s.first == pool_ && s.second == sequence_; });
  }

  // Skip notices and permits (protocol.hpp), in the order rank 0 sent them.
  void read_skips() noexcept {
    Bytes notice;
    try {
      while (try_receive(session_, session_.skips(), 0, MPI_ANY_TAG, notice)) {
        Envelope h{};
        if (notice.size() < sizeof(h)) abort_job("a skip notice too short for its envelope");
        std::memcpy(&h, notice.data(), sizeof(h));
        if (h.kind == Kind::permit) {
          if (notice.size() != sizeof(h)) abort_job("a permit of the wrong length");
          if (LocalWorkers* local = local_workers(h.pool)) {
            local->permit(h.sequence, h.permit);
          } else if (h.pool == pool_ && h.sequence == sequence_) {
            permitted_ = std::max(permitted_, h.permit);
          }
          continue;
        }
        if (h.kind != Kind::skip || notice.size() != sizeof(h) + h.parts * sizeof(std::uint64_t))
          abort_job("a skip notice whose length does not match its count");
        LocalWorkers* local = local_workers(h.pool);
        for (std::uint32_t k = 0; k < h.parts; ++k) {
          std::uint64_t sequence = 0;
          std::memcpy(&sequence, notice.data() + sizeof(h) + k * sizeof(sequence), sizeof(sequence));
          if (local != nullptr) {
            local->skip(sequence, h.size != 0);
          } else {
            skips_.emplace_back(h.pool, sequence);
          }
        }
      }
    } catch (const std::exception& e) {
      abort_job(e.what());
    }
  }

  // The rest of a request sent in parts (the caller's items straight from its array): each is
  // received in place after the one before, so the request is one buffer, copied once by MPI.
  void receive_parts(const Envelope& envelope) noexcept {
    const std::size_t total = envelope.size;
    std::size_t at = request_.size();
    if (total < at) abort_job("a request shorter than its first part");
    try {
      request_.extend(total - at);
      for (std::uint32_t k = 1; k < envelope.parts; ++k) {
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

  // An OpenSetup follows the Envelope, then the initializer if the pool has one: run here, or by
  // each local worker as it starts.
  void open(const Envelope& envelope) noexcept {
    Envelope reply{Kind::ready, 0, envelope.pool, 0, 0, 0};
    ByteBuffer error;
    OpenSetup setup{};
    if (request_.size() < sizeof(Envelope) + sizeof(setup)) abort_job("an Open too short for its setup");
    std::memcpy(&setup, request_.data() + sizeof(Envelope), sizeof(setup));
    try {
      ByteReader in(std::span<const std::byte>(request_.data(), request_.size())
                        .subspan(sizeof(Envelope) + sizeof(setup)));
      void (*initializer)() = nullptr;
      if (setup.initializer != 0)
        initializer = reinterpret_cast<void (*)()>(session_.relocation().decode(in));
      if (setup.workers != 0) {
        auto local = std::make_unique<LocalWorkers>(session_, setup, initializer);
        reply.size = local->size();
        set_local_workers(envelope.pool, std::move(local));
      } else if (initializer != nullptr) {
        initializer();
      }
    } catch (...) {
      reply.kind = Kind::init_error;
      try {
        encode_exception(error, std::current_exception());
      } catch (...) {
        abort_job("out of memory while reporting an initializer's exception");
      }
    }
    response_.clear();
    response_.append(&reply, sizeof(reply));
    response_.append(error.data(), error.size());
    send(envelope.pool);
  }

  // A chunk request (remote/chunk_request.hpp) follows the Envelope.
  void run_chunk(const Envelope& envelope) noexcept {
    pool_ = envelope.pool;
    permitted_ = asked_ = envelope.permit;
    ByteReader in(std::span<const std::byte>(request_.data(), request_.size()).subspan(sizeof(Envelope)));
    run_request(in, &session_.relocation());
    // The pace, for this pool's next chunks: rank 0 permits that many items with each (protocol.hpp).
    if (end() > begin()) {
      item_time_ =
          (std::chrono::steady_clock::now() - chunk_began_) / static_cast<std::int64_t>(end() - begin());
      paced_pool_ = pool_;
    }
    Envelope reply{};
    std::memcpy(&reply, response_.data(), sizeof(reply));
    reply.permit = items_within(k_mpi_permit_ahead);
    std::memcpy(response_.data(), &reply, sizeof(reply));
    send(pool_);
    // Notices for this chunk or earlier ones of the pool are spent.
    std::erase_if(skips_, [&](const auto& s) { return s.first == pool_ && s.second <= sequence_; });
  }

  // ChunkReporter: the results message is begun before any item reports.
  void chunk_starts(const wire::ChunkHeader& header) noexcept override {
    sequence_ = header.sequence;
    chunk_began_ = last_ask_ = std::chrono::steady_clock::now();
    begin_results();
    // A notice for this chunk may have come while the one before ran.
    read_skips();
    last_skip_look_ = std::chrono::steady_clock::now();
  }
  [[noreturn]] void corrupt_request() noexcept override { abort_job("a malformed chunk request"); }

  void begin_results() noexcept {
    release_held();  // sent, or (a chunk that ends the job) never to be
    response_.clear();
    const Envelope reply{Kind::results, 0, pool_, sequence_, 0, 0};
    try {
      response_.append(&reply, sizeof(reply));
    } catch (const std::exception& e) {
      abort_job(e.what());
    }
  }

  // Every k_mpi_heartbeat while a chunk is held, a Heartbeat to its pool (protocol.hpp), from a
  // thread of its own: a task may run for hours, and rank 0 tells a silent rank by the gap. Local
  // workers may hold chunks of several pools: each hears.
  void beat() noexcept {
    std::unique_lock lock(beat_mutex_);
    while (!beat_cv_.wait_for(lock, k_mpi_heartbeat, [this] { return stop_beat_; })) {
      std::vector<std::uint64_t> owed;
      try {
        {
          const std::lock_guard locals_lock(locals_mutex_);
          for (const auto& [pool, local] : locals_) {
            if (local->holds_chunks()) owed.push_back(pool);
          }
        }
        for (const std::uint64_t pool : owed) send_beat(pool);
        send_beat(0);
      } catch (const std::exception& e) {
        abort_job(e.what());
      }
    }
  }

  // A Heartbeat to `pool`; 0: to the pool whose chunk this rank runs itself, if any (read under
  // the MPI lock: after a chunk's Results nothing is owed).
  void send_beat(std::uint64_t pool) {
    MPI_Request request = MPI_REQUEST_NULL;
    {
      std::lock_guard mpi_lock(session_.mpi_mutex());
      if (pool == 0) pool = busy_pool_.load(std::memory_order_relaxed);
      if (pool == 0) return;  // between chunks: nothing is owed
      beat_envelope_ = Envelope{Kind::heartbeat, 0, pool, 0, 0, 0};
      check(MPI_Isend(&beat_envelope_, sizeof(beat_envelope_), MPI_BYTE, 0, pool_tag(pool),
                      session_.results(), &request),
            "MPI_Isend");
    }
    wait(session_, request);  // small: sent eagerly
  }

  LocalWorkers* local_workers(std::uint64_t pool) const noexcept {
    const auto at = locals_.find(pool);
    return at != locals_.end() ? at->second.get() : nullptr;
  }

  // Installs (or, with nullptr, stops and removes) a pool's local workers. Serving thread only; the
  // beat thread reads the map under the lock.
  void set_local_workers(std::uint64_t pool, std::unique_ptr<LocalWorkers> local) {
    std::unique_ptr<LocalWorkers> gone;
    {
      const std::lock_guard lock(locals_mutex_);
      if (local != nullptr) {
        locals_[pool] = std::move(local);
        return;
      }
      const auto at = locals_.find(pool);
      if (at == locals_.end()) return;
      gone = std::move(at->second);
      locals_.erase(at);
    }
  }

  void stop_beating() noexcept {
    {
      const std::lock_guard lock(beat_mutex_);
      stop_beat_ = true;
    }
    beat_cv_.notify_all();
    if (beat_thread_.joinable()) beat_thread_.join();
  }

  // response_ to rank 0, for `pool`, with the held results in their places (each a part of its
  // own, protocol.hpp); `ends_chunk`: Results or a reply to Open, after which the rank owes the pool
  // nothing (an Ask: the chunk goes on).
  void send(std::uint64_t pool, bool ends_chunk = true) noexcept {
    const auto under_lock = [&] {
      if (ends_chunk) busy_pool_.store(0, std::memory_order_relaxed);  // no Heartbeat follows Results
    };
    if (held_.empty()) {
      send_to_root(session_, {response_.data(), response_.size()}, pool, under_lock);
      return;
    }
    std::vector<std::span<const std::byte>> parts;
    std::size_t from = 0;
    try {
      for (const Held& h : held_) {
        if (h.at > from) parts.emplace_back(response_.data() + from, h.at - from);
        parts.emplace_back(h.bytes.data(), h.bytes.size());
        from = h.at;
      }
      if (response_.size() > from) parts.emplace_back(response_.data() + from, response_.size() - from);
    } catch (const std::exception& e) {
      abort_job(e.what());
    }
    Envelope envelope{};
    std::memcpy(&envelope, response_.data(), sizeof(envelope));
    envelope.parts = static_cast<std::uint32_t>(parts.size());
    std::memcpy(response_.data(), &envelope, sizeof(envelope));
    send_to_root(session_, parts, pool, under_lock);
    release_held();
  }

  // The held results have gone: the largest buffer becomes the reporter's scratch again (so that
  // the next result as large faults in no fresh pages), the next one the spare; the rest are freed.
  void release_held() noexcept {
    for (Held& h : held_) {
      ByteBuffer& scratch = this->scratch();
      if (h.bytes.capacity() > scratch.capacity()) std::swap(h.bytes, scratch);
      if (h.bytes.capacity() > spare_scratch_.capacity()) std::swap(h.bytes, spare_scratch_);
    }
    held_.clear();
  }

  // A value record's headers (hold()).
  static constexpr std::size_t k_value_headers = sizeof(wire::RecordHeader) + sizeof(wire::ItemHeader);
  // A large result held for the results message: where it comes in response_, and its record.
  struct Held {
    std::size_t at;
    ByteBuffer bytes;
  };

  Session& session_;
  std::vector<Held> held_;
  ByteBuffer spare_scratch_;
  Bytes request_;
  bool received_ = false;  // request_ holds a request not served yet
  Bytes response_;
  std::uint64_t pool_ = 0;
  std::uint64_t sequence_ = 0;
  // Start permits of the running chunk (protocol.hpp): items below `permitted_` may start; asked
  // for up to `asked_`. The pace: a recent item's time in pool `paced_pool_`.
  std::uint64_t permitted_ = 0;
  std::uint64_t asked_ = 0;
  std::chrono::steady_clock::time_point chunk_began_{};
  std::chrono::steady_clock::time_point last_ask_{};  // or the chunk's start
  std::chrono::nanoseconds item_time_{0};
  std::uint64_t paced_pool_ = 0;
  std::atomic<std::uint64_t> raw_running_{0};  // nothing reads it: a rank that dies ends the job
  mutable std::chrono::steady_clock::time_point last_skip_look_{};
  std::vector<std::pair<std::uint64_t, std::uint64_t>> skips_;  // (pool, sequence) not wanted
  // The pool whose chunk this rank holds (0: none); written under the MPI lock when it ends.
  std::atomic<std::uint64_t> busy_pool_{0};
  std::thread beat_thread_;
  std::mutex beat_mutex_;
  std::condition_variable beat_cv_;
  bool stop_beat_ = false;    // under beat_mutex_
  Envelope beat_envelope_{};  // the beat thread's, until its send completes
  // Pools whose chunks local workers run (relay.hpp). Changed by the serving thread under the lock.
  std::map<std::uint64_t, std::unique_ptr<LocalWorkers>> locals_;
  mutable std::mutex locals_mutex_;
};

}  // namespace

void serve(Session& session) noexcept {
  const EncodingScope encoding(false);  // results go to rank 0, which may be on another host
  Server server(session);
  server.serve();
}

}  // namespace mpp::detail::mpi
