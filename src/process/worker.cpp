#include "process/worker.hpp"

#include <signal.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <string>

#include "mpp/detail/core/wait.hpp"
#include "mpp/detail/posix/child.hpp"
#include "mpp/detail/remote/exception_codec.hpp"
#include "mpp/detail/remote/remote.hpp"
#include "mpp/process.hpp"
#include "posix/syscall.hpp"
#include "process/shared_arena.hpp"
#include "process/wire.hpp"
#include "remote/reporter.hpp"

namespace mpp::detail {

std::int64_t monotonic_ns() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void wake_dispatcher(DispatcherShared& dispatcher, int wake_fd) noexcept {
  // The first to find it asleep wakes it and clears the flag, so a burst of results costs one
  // wake-up, not one each.
  if (dispatcher.sleeping.load(std::memory_order_relaxed) != 0 &&
      dispatcher.sleeping.exchange(0, std::memory_order_seq_cst) != 0) {
    const std::uint64_t one = 1;
    posix::retried("write", [&] { return ::write(wake_fd, &one, sizeof(one)); });
  }
}

std::atomic<void (*)()> g_after_arena_value{nullptr};

namespace {

class Worker final : public ChunkReporter {
 public:
  explicit Worker(const WorkerSetup& setup)
      : setup_(setup), requests_(*setup.requests), responses_(*setup.responses) {}

  [[noreturn]] void run() noexcept {
    if (setup_.initializer != nullptr || setup_.initializer_error) {
      try {
        if (setup_.initializer_error) std::rethrow_exception(setup_.initializer_error);
        setup_.initializer();
      } catch (...) {
        ByteBuffer error;
        encode_exception(error, std::current_exception());
        send(wire::Kind::init_error, {{error.data(), error.size()}});
        leave(WorkerExit::initializer_failed);
      }
    }
    send(wire::Kind::ready, {});
    std::size_t chunks = 0;
    for (;;) {
      wire::RecordView request = next_request();
      // A stop, or anything unexpected.
      if (request.kind != wire::Kind::chunk && request.kind != wire::Kind::chunk_mapped)
        leave(WorkerExit::stopped);
      run_chunk(request);
      reader_.consume(requests_);
      notify_space_freed();
      if (setup_.maxtasks != 0 && ++chunks == setup_.maxtasks) leave(WorkerExit::stopped);
    }
  }

  // WorkerContext
  void start_item(std::size_t i) noexcept override {
    // A job with start permits waits for its own; skipped meanwhile, skip() says so next.
    if (permit_word().load(std::memory_order_relaxed) != RemoteJob::k_all_permitted) (void)may_start(i, 1);
    if (setup_.timed) setup_.shared->started_ns.store(monotonic_ns(), std::memory_order_relaxed);
    // Release: the parent reads it after our death; it must not run ahead of earlier results.
    setup_.shared->running.store(i + 1, std::memory_order_release);
    // Even here (between items, never claimed): odd now, publishing the two stores above.
    if (claimable_) setup_.shared->turn.fetch_add(1, std::memory_order_acq_rel);
  }

  bool skip() const noexcept override { return skipped_ || unwanted(skip_word(), sequence_); }

 private:
  // ChunkReporter: records go into the responses ring; a large value, whole, into a slot of the
  // arena if one is free, and its address into the ring.
  void write_record(wire::Kind kind, std::initializer_list<wire::Part> parts) override {
    std::size_t size = 0;
    for (const wire::Part& p : parts) size += p.size;
    std::byte* slot = nullptr;
    if (kind == wire::Kind::value && setup_.arena != nullptr && size >= k_arena_min_bytes &&
        wire::record_span(size) <= setup_.arena->slot_bytes()) {
      slot = setup_.arena->take(setup_.arena_holder);
    }
    if (slot == nullptr) return send(kind, parts);
    const wire::RecordHeader header{size, kind, 0};
    std::memcpy(slot, &header, sizeof(header));
    std::byte* at = slot + sizeof(header);
    for (const wire::Part& p : parts) {
      if (p.size != 0) std::memcpy(at, p.data, p.size);
      at += p.size;
    }
    std::memset(at, 0, wire::padded(size) - size);
    if (auto hook = g_after_arena_value.load(std::memory_order_acquire)) hook();
    const wire::MappedBytes where{reinterpret_cast<std::uintptr_t>(slot), wire::record_span(size)};
    try {
      send(wire::Kind::value_mapped, {{reinterpret_cast<const std::byte*>(&where), sizeof(where)}});
    } catch (...) {
      setup_.arena->give_back(slot);
      throw;
    }
  }

  // In place in the ring: the header's record, the results, up to 7 bytes of padding.
  wire::BlockHeader* reserve_block(std::size_t first, std::size_t size, std::size_t wanted) override {
    const std::size_t fixed = wire::record_span(sizeof(wire::BlockHeader)) + 8;
    const std::size_t largest = (responses_.capacity() - fixed) / std::max<std::size_t>(size, 1);
    if (largest == 0) return nullptr;
    wait_for_space(fixed + wire::padded(size));
    const std::size_t room = (responses_.writable() - fixed) / std::max<std::size_t>(size, 1);
    const std::uint64_t capacity = std::min<std::uint64_t>({wanted, room, k_ring_block_items});
    const std::size_t payload = sizeof(wire::BlockHeader) + capacity * size;
    std::byte* at = responses_.write_pointer();
    const wire::RecordHeader record{payload, wire::Kind::block, 0};
    std::memcpy(at, &record, sizeof(record));
    auto* block = new (at + sizeof(record)) wire::BlockHeader{first, size, capacity, {0}, {0}, 0};
    responses_.commit_write(wire::record_span(payload));
    return block;
  }

  void publish_block(wire::BlockHeader& block) noexcept override {
    block.closed.store(1, std::memory_order_release);
    wake_dispatcher(*setup_.dispatcher, setup_.wake_fd);
  }

  // Start permits (WorkerShared::permit): items first.. may start up to the permit word, `wanted`
  // at most. Asks ahead, for about k_mpi_permit_ahead of work at this chunk's pace, before the
  // permits run out, and waits only when none is left; 0: the chunk was skipped meanwhile.
  std::size_t may_start(std::size_t first, std::size_t wanted) noexcept override {
    std::atomic<std::uint64_t>& permit = permit_word();
    std::uint64_t permitted = permit.load(std::memory_order_acquire);
    if (permitted == RemoteJob::k_all_permitted) return wanted;
    // The pace: this chunk's so far, or the chunk's before (a worker's chunks are one pool's).
    if (first > chunk_begin_) {
      item_ns_ = std::max<std::int64_t>(
          1, (monotonic_ns() - chunk_began_ns_) / static_cast<std::int64_t>(first - chunk_begin_));
    }
    const std::uint64_t ahead =
        item_ns_ == 0
            ? 0
            : static_cast<std::uint64_t>(std::chrono::nanoseconds(k_mpi_permit_ahead).count() / item_ns_);
    const std::uint64_t target = std::min<std::uint64_t>(chunk_end_, first + 1 + ahead);
    if (target > asked_ && (asked_ <= first || asked_ - first - 1 < ahead / 2)) {
      // The results so far go with the ask (an open block would keep them here): the host that
      // gives this chunk up then has every finished item's.
      close_block();
      asked_ = target;
      // The pace, not what is left of this chunk: rank 0 permits that much with the next chunks
      // (a chunk of one item would otherwise wait for an ask's answer every time).
      setup_.shared->ahead[sequence_ % k_ring_pipeline.short_depth].store(ahead, std::memory_order_relaxed);
      ask_word().store(target, std::memory_order_release);
      wake_dispatcher(*setup_.dispatcher, setup_.wake_fd);
    }
    if (permitted <= first) {
      // Rank 0's answer crosses the network: naps that grow to k_mpi_permit_poll, the CPU left
      // to the other workers.
      std::chrono::microseconds nap{10};
      while ((permitted = permit.load(std::memory_order_acquire)) <= first) {
        if (skip()) return 0;
        ::usleep(static_cast<useconds_t>(nap.count()));
        nap = std::min<std::chrono::microseconds>(2 * nap, k_mpi_permit_poll);
        if (::getppid() != setup_.parent) leave(WorkerExit::orphaned);
      }
    }
    return static_cast<std::size_t>(std::min<std::uint64_t>(wanted, permitted - first));
  }

  // With task_timeout every item's start is stamped: that takes the one-by-one path.
  std::atomic<std::uint64_t>* raw_running() noexcept override {
    return setup_.timed ? nullptr : &setup_.shared->running;
  }

  void item_reported() noexcept override {
    if (claimable_) {
      std::uint64_t turn = setup_.shared->turn.load(std::memory_order_relaxed);
      // Odd: an item ran. Claimed by the dispatcher for a kill (the CAS fails): it has decided
      // this item overran or was cancelled and fails it, whatever we sent; the kill is on its way. Starting
      // the next item now would let the kill land on that one.
      if ((turn & 1) != 0 && ((turn & k_claimed) != 0 || !setup_.shared->turn.compare_exchange_strong(
                                                             turn, turn + 1, std::memory_order_acq_rel))) {
        for (;;) ::pause();
      }
    }
    setup_.shared->running.store(0, std::memory_order_release);
  }

  // The parent sees the item lost with this worker.
  [[noreturn]] void cannot_report() noexcept override { leave(WorkerExit::cannot_report); }
  const char* unsent_note() const noexcept override {
    return "(its message could not be sent to the parent process)";
  }

  [[noreturn]] void leave(WorkerExit code) noexcept {
    // The worker's own standard output is flushed; the parent's atexit handlers never run here.
    flush_standard_streams();
    ::_exit(static_cast<int>(code));
  }

  void run_chunk(const wire::RecordView& request) noexcept {
    ByteReader in(request.payload);
    // A spawned worker's entry follows the header as (module, offset): this process loaded the
    // program at an address of its own.
    run_request(in, setup_.relocation, request.kind == wire::Kind::chunk_mapped);
    // Under start permits, the pace from the whole chunk too: a chunk of one item never measures
    // it in may_start, and would ask, and wait, with no permits ahead every time.
    if (paced_ && !skipped_ && chunk_end_ > chunk_begin_) {
      item_ns_ = std::max<std::int64_t>(
          1, (monotonic_ns() - chunk_began_ns_) / static_cast<std::int64_t>(chunk_end_ - chunk_begin_));
    }
    send(wire::Kind::chunk_end, {});
  }

  // ChunkReporter
  void chunk_starts(const wire::ChunkHeader& header) noexcept override {
    sequence_ = header.sequence;
    chunk_begin_ = header.begin;
    chunk_end_ = header.end;
    chunk_began_ns_ = monotonic_ns();
    asked_ = 0;
    // Permitted whole now or not, the chunk is under start permits (the word says so before the
    // chunk is sent; it turns k_all_permitted once its last item is permitted).
    paced_ = permit_word().load(std::memory_order_relaxed) != RemoteJob::k_all_permitted;
    skipped_ = !start_chunk(skip_word(), sequence_);
    // The dispatcher may claim a running item for a kill: with task_timeout, any item; and a
    // chunk of one item (an apply_async) that AsyncResult::cancel() asks to stop.
    claimable_ = setup_.timed || header.end - header.begin == 1;
  }
  [[noreturn]] void corrupt_request() noexcept override { leave(WorkerExit::corrupt_request); }

  // Writes a record, waiting for room as the parent reads.
  void send(wire::Kind kind, std::initializer_list<wire::Part> parts) {
    writer_.start(kind, std::span(parts.begin(), parts.size()));
    for (;;) {
      const bool done = writer_.advance(responses_);
      wake_dispatcher(*setup_.dispatcher, setup_.wake_fd);
      if (done) return;
      wait_for_space(1);
    }
  }

  void wait_for_space(std::size_t bytes) {
    RingState& s = responses_.state();
    wait([&] { return responses_.writable() >= bytes; }, s.space_word, s.producer_waiting);
  }

  wire::RecordView next_request() {
    RingState& s = requests_.state();
    for (;;) {
      // Read before looking: a request that lands after the look then changes it, and we do not
      // sleep through it.
      const std::uint64_t seen = s.head.load(std::memory_order_acquire);
      if (auto record = reader_.peek(requests_)) return *record;
      // A record larger than the ring arrives in pieces: each piece read frees room for the next.
      if (reader_.gathering()) notify_space_freed();
      wait([&] { return s.head.load(std::memory_order_acquire) != seen; }, s.data_word, s.consumer_waiting);
    }
  }

  void notify_space_freed() noexcept { wake_dispatcher(*setup_.dispatcher, setup_.wake_fd); }

  // Spin a little (the next request is often microseconds away), then sleep on the futex.
  template <class Pred>
  void wait(const Pred& ready, std::atomic<std::uint32_t>& word, std::atomic<std::uint32_t>& waiting) {
    Spin spin(k_idle_spin_time);
    do {
      if (ready()) return;
    } while (spin.again());
    // The parent bumps `word` after publishing and wakes us if `waiting` is set (both seq_cst).
    waiting.store(1, std::memory_order_seq_cst);
    for (;;) {
      const std::uint32_t seen = word.load(std::memory_order_seq_cst);
      if (ready()) break;
      futex_wait(word, seen, k_no_deadline, FutexScope::shared);
      if (::getppid() != setup_.parent) leave(WorkerExit::orphaned);
    }
    waiting.store(0, std::memory_order_seq_cst);
  }

  const WorkerSetup& setup_;
  Ring& requests_;
  Ring& responses_;
  wire::RecordReader reader_;
  wire::RecordWriter writer_;
  std::atomic<std::uint64_t>& skip_word() const noexcept {
    return setup_.shared->skip[sequence_ % k_ring_pipeline.short_depth];
  }
  std::atomic<std::uint64_t>& permit_word() const noexcept {
    return setup_.shared->permit[sequence_ % k_ring_pipeline.short_depth];
  }
  std::atomic<std::uint64_t>& ask_word() const noexcept {
    return setup_.shared->ask[sequence_ % k_ring_pipeline.short_depth];
  }

  std::uint64_t sequence_ = 0;
  std::uint64_t chunk_begin_ = 0;
  std::uint64_t chunk_end_ = 0;
  std::int64_t chunk_began_ns_ = 0;
  std::uint64_t asked_ = 0;   // the highest ask for the chunk's permits
  std::int64_t item_ns_ = 0;  // an item's time lately (0: unknown)
  bool skipped_ = false;      // the parent marked the chunk unwanted before it started: skip it whole
  bool paced_ = false;        // the chunk came under start permits: its pace is measured
  bool claimable_ = false;
};

}  // namespace

void worker_main(const WorkerSetup& setup) noexcept {
  // Die with the dispatcher thread that forked us (the pool's), and check it did not die first.
  // Should it fail (it does not for a valid signal), the getppid() check below still holds.
  (void)posix::retried("prctl", [] { return ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
  if (::getppid() != setup.parent) ::_exit(static_cast<int>(WorkerExit::orphaned));
  // Ctrl-C reaches the whole process group: the parent decides, workers stay quiet (and die with it).
  ::signal(SIGINT, SIG_IGN);
  if (setup.prepare != nullptr) setup.prepare();
  sigset_t none;
  sigemptyset(&none);
  ::pthread_sigmask(SIG_SETMASK, &none, nullptr);
  set_thread_helper(nullptr);
  t_function_relocation = setup.relocation;
  t_encoding_for_this_machine = !setup.results_leave_machine;
  try {
    set_current_process("ProcessPoolWorker-" + std::to_string(setup.index), setup.index);
  } catch (...) {  // no memory for a name: the pool's work matters more
  }
  Worker worker(setup);
  worker.run();
}

}  // namespace mpp::detail
