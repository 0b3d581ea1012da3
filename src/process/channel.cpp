// ProcessExecutor's transport (executor_impl.hpp): requests written to a worker's ring, its
// records read from the other.
#include <signal.h>

#include <atomic>
#include <cstring>
#include <optional>
#include <span>

#include "mpp/detail/remote/exception_codec.hpp"
#include "process/executor_impl.hpp"
#include "process/shared_arena.hpp"
#include "remote/chunk_request.hpp"
#include "remote/tunables.hpp"

namespace mpp::detail {
void ProcessExecutor::Impl::wake_worker(RingState& state, std::atomic<std::uint32_t> RingState::*word,
                                        std::atomic<std::uint32_t> RingState::*waiting) noexcept {
  (state.*word).fetch_add(1, std::memory_order_seq_cst);
  if ((state.*waiting).load(std::memory_order_seq_cst) != 0) futex_wake_all(state.*word, FutexScope::shared);
}

bool ProcessExecutor::Impl::read(Slot& s, bool dead) noexcept {
  if (s.reading || (s.state == SlotState::empty)) return false;
  s.reading = true;
  bool any = false;
  while (!s.corrupt) {
    std::optional<wire::RecordView> record;
    const std::uint64_t tail = s.responses.state().tail.load(std::memory_order_relaxed);
    try {
      record = s.reader.peek(s.responses);
    } catch (...) {  // no memory to gather a huge record
      s.corrupt = true;
      break;
    }
    if (s.responses.state().tail.load(std::memory_order_relaxed) != tail) {
      // Part of a record larger than the ring was gathered: the worker may wait for that room.
      wake_worker(s.responses.state(), &RingState::space_word, &RingState::producer_waiting);
      any = true;
    }
    if (!record || !handle(s, *record, dead)) break;
    if (terminated.load(std::memory_order_relaxed)) break;  // a callback terminated the pool
    s.reader.consume(s.responses);
    wake_worker(s.responses.state(), &RingState::space_word, &RingState::producer_waiting);
    any = true;
  }
  if (s.corrupt && !dead) s.child.signal(SIGKILL);
  s.reading = false;
  return any;
}

// False: the record is not complete yet (an open block).
bool ProcessExecutor::Impl::handle(Slot& s, const wire::RecordView& record, bool dead) noexcept {
  const auto payload = record.payload;
  switch (record.kind) {
    case wire::Kind::ready:
      if (s.state == SlotState::starting) s.state = SlotState::ready;
      s.init_failures = 0;
      return true;
    case wire::Kind::init_error:
      s.init_error = decode_exception(payload);
      return true;
    case wire::Kind::value:
    case wire::Kind::error:
    case wire::Kind::block: {
      if (s.inflight.empty()) return protocol_error(s);
      InFlight& f = s.inflight.front();
      const Taken taken = take_outcome(f, record, dead, s.killed_for,
                                       [&](std::size_t i) { return kill_error(s, *f.job, i); });
      if (taken == Taken::malformed) return protocol_error(s);
      return taken == Taken::yes;
    }
    case wire::Kind::value_mapped:
      return take_mapped_value(s, payload, dead);
    case wire::Kind::chunk_end: {
      if (s.inflight.empty() || s.inflight.front().next != s.inflight.front().end) return protocol_error(s);
      // Short chunks queue deeper (pipeline_depth()).
      s.service.chunk_ended(s.inflight.front().sent, Clock::now());
      release_task(s.inflight.front().task);
      s.inflight.pop_front();
      return true;
    }
    default:
      return protocol_error(s);
  }
}

// A value record the worker wrote whole into an arena slot it took: taken as if it came in the
// ring, and the slot given back. The worker must hold the slot (it is not trusted to name memory).
bool ProcessExecutor::Impl::take_mapped_value(Slot& s, std::span<const std::byte> payload,
                                              bool dead) noexcept {
  wire::MappedBytes where{};
  if (options.arena == nullptr || payload.size() != sizeof(where) || s.inflight.empty())
    return protocol_error(s);
  std::memcpy(&where, payload.data(), sizeof(where));
  std::span<std::byte> whole(reinterpret_cast<std::byte*>(where.address), where.size);
  if (!options.arena->held_by(whole, s.arena_holder)) return protocol_error(s);
  std::span<std::byte> rest = whole;
  const std::optional<wire::RecordView> record = wire::next_record(rest);
  Taken taken = Taken::malformed;
  if (record && record->kind == wire::Kind::value && rest.empty()) {
    InFlight& f = s.inflight.front();
    taken = take_outcome(
        f, *record, dead, s.killed_for, [&](std::size_t i) { return kill_error(s, *f.job, i); }, whole);
  }
  options.arena->give_back(whole.data());
  if (taken == Taken::malformed) return protocol_error(s);
  return true;
}

bool ProcessExecutor::Impl::protocol_error(Slot& s) noexcept {
  s.corrupt = true;
  return false;
}

// Every ready worker gets chunks in turn, one per round, up to its pipeline depth.
bool ProcessExecutor::Impl::feed_all() noexcept {
  bool progress = false;
  for (auto& s : slots) progress |= continue_writing(*s);
  return feed_in_turn(
             pending, slots, [](const auto& s) { return s->inflight.size(); },
             [this](auto& s) { return send_one(*s); }) ||
         progress;
}

// Tells workers to skip chunks nobody wants any more, and goes on writing a request larger
// than the ring. False when there was nothing to do.
bool ProcessExecutor::Impl::continue_writing(Slot& s) noexcept {
  if (s.state != SlotState::ready) return false;
  bool progress = false;
  for (InFlight& f : s.inflight) {
    if (!f.skip_sent && !f.job->wanted()) {  // an abandoned imap: its worker skips what is left
      mark_unwanted(skip_word(s, f), f.sequence);
      f.skip_sent = true;
    }
    if (f.permit_shown != RemoteJob::k_all_permitted) pass_permits(s, f);
  }
  if (s.writer.busy()) {
    // Whether this published anything, from the head only this side moves: the free space
    // also grows as the worker reads, and when the ring was full the writer writes exactly
    // what the worker freed meanwhile, so comparing free space missed the wake-up, and the
    // worker slept with the rest of a request (> 4 MiB) in the ring and the dispatcher
    // waited for its results (a hang seen about once a minute in 10 MB chunks).
    const std::uint64_t before = s.requests.state().head.load(std::memory_order_relaxed);
    s.writer.advance(s.requests);
    if (s.requests.state().head.load(std::memory_order_relaxed) != before) {
      wake_worker(s.requests.state(), &RingState::data_word, &RingState::consumer_waiting);
      progress = true;
    }
  }
  return progress;
}

// Takes one pending task for `s`: sends it, or drops it if its job no longer wants it. False
// when `s` cannot take one now.
bool ProcessExecutor::Impl::send_one(Slot& s) noexcept {
  if (s.state != SlotState::ready || s.writer.busy() || pending.empty() ||
      s.inflight.size() >= pipeline_depth(k_ring_pipeline, s.service, pending.size(), slots.size()) ||
      (options.maxtasksperchild != 0 && s.chunks_sent >= options.maxtasksperchild)) {
    return false;
  }
  Task* task = nullptr;
  RemoteJob* job = take_pending(pending, task);
  if (job == nullptr) return true;
  std::span<const std::byte> mapped;
  try {
    s.builder.clear();
    s.builder.set_same_machine(true);  // workers map input that lies in shared memory
    // A request in the arena goes by its address, after the header and entry.
    mapped = options.arena != nullptr ? job->mapped_request() : std::span<const std::byte>();
    // Under spawn the entry follows the header as (module, offset), and so do the functions in
    // the request: whichever thread encodes (the dispatcher, or a caller driving the pool).
    write_chunk_request(s.builder, *job, task->begin, task->end, s.chunks_sent, relocation, mapped.empty());
    if (!mapped.empty()) {
      const wire::MappedBytes where{reinterpret_cast<std::uintptr_t>(mapped.data()), mapped.size()};
      append_bytes(s.builder.bytes(), &where, sizeof(where));
    }
    s.parts.clear();
    for (const auto& segment : s.builder.segments()) {
      s.parts.push_back(
          {segment.external != nullptr ? segment.external : s.builder.bytes().data() + segment.offset,
           segment.size});
    }
  } catch (...) {  // an argument that cannot be encoded fails its items, not the pool
    fail_task(task, std::current_exception());
    return true;
  }
  // Its permits are in place before the worker can read it.
  const std::size_t word = s.chunks_sent % k_ring_pipeline.short_depth;
  const std::uint64_t permit = job->permitted();
  s.shared->get()->ask[word].store(0, std::memory_order_relaxed);
  s.shared->get()->permit[word].store(permit, std::memory_order_release);
  s.writer.start(mapped.empty() ? wire::Kind::chunk : wire::Kind::chunk_mapped, s.parts);
  s.inflight.push_back({{job, task->begin, task->end, false}, task, s.chunks_sent, Clock::now()});
  s.inflight.back().permit_shown = permit;
  ++s.chunks_sent;
  s.writer.advance(s.requests);  // the rest, if it does not fit, as the worker reads
  wake_worker(s.requests.state(), &RingState::data_word, &RingState::consumer_waiting);
  return true;
}

bool ProcessExecutor::Impl::fail_pending() noexcept {
  if (pending.empty()) return false;
  while (!pending.empty()) {
    Task* task = pending.front();
    pending.pop_front();
    fail_task(task, broken);
  }
  return true;
}

// A job with start permits: the worker's asks go to the job, the job's new permits to the worker
// (which polls its permit word while it waits: no wake-up needed).
void ProcessExecutor::Impl::pass_permits(Slot& s, InFlight& f) noexcept {
  WorkerShared& shared = *s.shared->get();
  const std::size_t word = f.sequence % k_ring_pipeline.short_depth;
  const std::uint64_t ask = shared.ask[word].load(std::memory_order_acquire);
  if (ask > f.ask_seen) {
    f.ask_seen = ask;
    f.job->ask(ask, shared.ahead[word].load(std::memory_order_relaxed));
  }
  const std::uint64_t permit = f.job->permitted();
  if (permit > f.permit_shown) {
    f.permit_shown = permit;
    shared.permit[word].store(permit, std::memory_order_release);
  }
}

std::atomic<std::uint64_t>& ProcessExecutor::Impl::skip_word(Slot& s, const InFlight& f) noexcept {
  return s.shared->get()->skip[f.sequence % k_ring_pipeline.short_depth];
}

}  // namespace mpp::detail
