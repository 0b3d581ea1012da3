// A serving rank's local workers (relay.hpp): each chunk request from rank 0 becomes a RelayJob on
// a ProcessExecutor, whose outcomes are written back into the chunk's Results message.
#include "mpi/relay.hpp"

#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <span>
#include <string>
#include <vector>

#include "mpi/worker_guard.hpp"
#include "mpp/cpu.hpp"
#include "mpp/detail/front/job.hpp"
#include "mpp/detail/remote/exception_codec.hpp"
#include "mpp/detail/remote/remote.hpp"
#include "mpp/errors.hpp"
#include "remote/chunk_request.hpp"
#include "remote/records.hpp"
#include "remote/tunables.hpp"

namespace mpp::detail::mpi {

void abort_job(const char* why) noexcept {
  std::fprintf(stderr, "mpp::MpiPool: %s; ending the job\n", why);
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, 70);
  std::abort();
}

void send_to_root(Session& session, std::span<const std::byte> message, std::uint64_t pool,
                  FunctionRef<void()> under_lock) noexcept {
  const std::span<const std::byte> parts[1] = {message};
  send_to_root(session, std::span<const std::span<const std::byte>>(parts), pool, under_lock);
}

void send_to_root(Session& session, std::span<const std::span<const std::byte>> parts, std::uint64_t pool,
                  FunctionRef<void()> under_lock) noexcept {
  try {
    // Most messages are one part: no allocation for them.
    MPI_Request one = MPI_REQUEST_NULL;
    std::vector<MPI_Request> several(parts.size() > 1 ? parts.size() : 0, MPI_REQUEST_NULL);
    const std::span<MPI_Request> requests = parts.size() > 1 ? std::span(several) : std::span(&one, 1);
    {
      std::lock_guard lock(session.mpi_mutex());
      under_lock();
      for (std::size_t k = 0; k < parts.size(); ++k) {
        check(MPI_Isend(parts[k].data(), static_cast<int>(parts[k].size()), MPI_BYTE, 0, pool_tag(pool),
                        session.results(), &requests[k]),
              "MPI_Isend");
      }
    }
    for (MPI_Request& request : requests) wait(session, request);
  } catch (const std::exception& e) {
    abort_job(e.what());
  }
}

void append_record(Bytes& out, wire::Kind kind, std::initializer_list<wire::Part> parts) {
  std::size_t size = 0;
  for (const wire::Part& p : parts) size += p.size;
  const wire::RecordHeader header{size, kind, 0};
  out.append(&header, sizeof(header));
  for (const wire::Part& p : parts) out.append(p.data, p.size);
  static constexpr std::byte zeros[8] = {};
  out.append(zeros, wire::padded(size) - size);
}

// One chunk from rank 0 on the local workers. The process executor's dispatcher thread reports
// its outcomes (in item order: one chunk runs on one worker) and drops what it would send again.
class RelayJob final : public Job, public RemoteJob {
 public:
  RelayJob(LocalWorkers& owner, const Envelope& envelope, const wire::ChunkHeader& header, Bytes response)
      : owner_(owner),
        sequence_(header.sequence),
        begin_(header.begin),
        end_(header.end),
        position_(header.position),
        pool_(envelope.pool),
        permitted_(envelope.permit) {
    response_.swap(response);
    response_.clear();
    const Envelope reply{Kind::results, 0, envelope.pool, header.sequence, 0, 0};
    response_.append(&reply, sizeof(reply));
  }

  std::uint64_t sequence() const noexcept { return sequence_; }
  std::size_t begin() const noexcept { return begin_; }
  std::size_t end() const noexcept { return end_; }

  // What the workers run: the request as rank 0 wrote it, from `at` (after its header and entry).
  // A large one is taken whole, not copied: `request` gets the spare buffer passed. In the arena,
  // the worker reads it there (mapped_request()), and it stays this job's until the job goes:
  // the worker reads it until it ends the chunk or dies, which the executor waits for.
  void set_request(RemoteEntry function, Bytes& request, std::size_t at, Bytes&& spare) {
    entry_ = function;
    if (request.size() >= k_mpi_large_request_bytes) {
      request_.swap(request);
      request.swap(spare);
      request.clear();
      request_at_ = at;
    } else {
      request_.append(request.data() + at, request.size() - at);
    }
  }
  // The buffers, for the next chunks (LocalWorkers::done()); one in the arena is given back as
  // the job goes.
  Bytes& request_buffer() noexcept { return request_; }
  Bytes& response_buffer() noexcept { return response_; }
  // Rank 0 permits more of its items (the rank's serving thread).
  void permit(std::uint64_t below) noexcept {
    std::uint64_t was = permitted_.load(std::memory_order_relaxed);
    while (below > was && !permitted_.compare_exchange_weak(was, below, std::memory_order_release)) {
    }
  }
  void unwant(bool stop) noexcept {
    unwanted_.store(true, std::memory_order_relaxed);
    if (stop) stop_.store(true, std::memory_order_relaxed);
  }

  // Job: a process executor runs remote jobs in its workers, never here.
  void run(std::size_t /*begin*/, std::size_t /*end*/) noexcept override {}
  // The workers stop (LocalWorkers' end): nothing is sent, rank 0 waits for none of it.
  void cancel() noexcept override {
    if (!finished_) {
      finished_ = true;
      owner_.done(*this);
    }
  }
  RemoteJob* remote() noexcept override { return this; }

  // RemoteJob
  RemoteEntry entry() const noexcept override { return entry_; }
  void encode_request(std::size_t begin, std::size_t end, RequestBuilder& out) override {
    MPP_ASSERT(begin == begin_ && end == end_);  // begin_send() refuses every other range
    (void)begin;
    (void)end;
    append_bytes(out.bytes(), request_.data() + request_at_, request_.size() - request_at_);
  }
  std::span<const std::byte> mapped_request() const noexcept override {
    if (request_.arena() == nullptr) return {};
    return {request_.data() + request_at_, request_.size() - request_at_};
  }
  // As rank 0's job names its items (a chunk lies within one of an imap's window slots).
  std::size_t input_position(std::size_t i) noexcept override { return position_ + (i - begin_); }
  bool single_task() const noexcept override { return position_ == wire::k_single_task; }
  bool wanted() const noexcept override { return !unwanted_.load(std::memory_order_relaxed); }
  bool stop_requested() const noexcept override { return stop_.load(std::memory_order_relaxed); }
  // Rank 0's start permits, which a worker waits for (protocol.hpp): so when rank 0 gives this
  // rank up, it knows which of the chunk's items may have started.
  std::uint64_t permitted() const noexcept override {
    const std::uint64_t p = permitted_.load(std::memory_order_acquire);
    return p >= end_ ? k_all_permitted : p;
  }
  // The Ask carries the outcomes reported so far, as a rank's own does (protocol.hpp): if rank 0
  // gives this rank up, it has every finished item's. The Results then carry the rest.
  void ask(std::uint64_t target, std::uint64_t ahead) noexcept override {
    if (finished_) return;  // its Results have gone: rank 0 holds the chunk no more
    Envelope results{};
    std::memcpy(&results, response_.data(), sizeof(results));
    const Envelope ask{Kind::ask, 0, pool_, sequence_, ahead, target};
    std::memcpy(response_.data(), &ask, sizeof(ask));
    send_to_root(owner_.session_, {response_.data(), response_.size()}, pool_, [] {});
    std::memcpy(response_.data(), &results, sizeof(results));
    response_.shrink(sizeof(results));
  }
  // Sent once, whole. The items after one that killed its worker would go again from there, which
  // a request that starts at the chunk's first item cannot do: they go back to rank 0 (drop()).
  bool begin_send() noexcept override {
    if (sent_) {
      returning_ = true;
      return false;
    }
    sent_ = true;
    return wanted();
  }
  void drop(std::size_t begin, std::size_t end) noexcept override {
    if (returning_) {
      returned_ += end - begin;
      reported(end - begin);
      return;
    }
    std::exception_ptr error;
    try {
      throw TaskCancelled(owner_.name_ + ": the item was cancelled before it started");
    } catch (...) {
      error = std::current_exception();
    }
    for (std::size_t i = begin; i < end; ++i) accept_error(i, error);
  }
  void accept_value(std::size_t i, std::span<const std::byte> bytes) noexcept override {
    const wire::ItemHeader header{i};
    try {
      append_record(
          response_, wire::Kind::value,
          {{reinterpret_cast<const std::byte*>(&header), sizeof(header)}, {bytes.data(), bytes.size()}});
    } catch (const std::exception& e) {
      abort_job(e.what());
    }
    reported(1);
  }
  // The chunk's last outcome, large, in a record of its own (a slot of the arena its worker wrote it
  // into): it goes to rank 0 as a part of the Results message from there (protocol.hpp), not
  // copied into response_. The send completes before this returns, while the slot is still ours.
  void accept_value_record(std::size_t i, std::span<const std::byte> bytes,
                           std::span<const std::byte> record) noexcept override {
    if (bytes.size() < k_mpi_direct_result_bytes || finished_ || outcomes_ + 1 != end_ - begin_)
      return accept_value(i, bytes);
    reported(1, record);
  }
  void accept_values(std::size_t first, std::size_t count, std::size_t size,
                     const std::byte* data) noexcept override {
    try {
      const std::size_t payload = sizeof(wire::BlockHeader) + count * size;
      std::byte* at = response_.extend(wire::record_span(payload));
      const wire::RecordHeader record{payload, wire::Kind::block, 0};
      std::memcpy(at, &record, sizeof(record));
      new (at + sizeof(record)) wire::BlockHeader{first, size, count, {count}, {1}, 0};
      if (count * size != 0) std::memcpy(at + sizeof(record) + sizeof(wire::BlockHeader), data, count * size);
      std::memset(at + sizeof(record) + payload, 0, wire::padded(payload) - payload);
    } catch (const std::exception& e) {
      abort_job(e.what());
    }
    reported(count);
  }
  void accept_error(std::size_t i, std::exception_ptr error) noexcept override {
    if (!encode_task_exception(error_, error, "(its message could not be sent to rank 0)"))
      abort_job("out of memory while reporting a task's exception");
    const wire::ItemHeader header{i};
    try {
      append_record(
          response_, wire::Kind::error,
          {{reinterpret_cast<const std::byte*>(&header), sizeof(header)}, {error_.data(), error_.size()}});
    } catch (const std::exception& e) {
      abort_job(e.what());
    }
    reported(1);
  }

 private:
  // Every item has its outcome or goes back: the Results go to rank 0, with `last` (whole
  // records) as a part of its own after response_ if there is one.
  void reported(std::size_t count, std::span<const std::byte> last = {}) noexcept {
    outcomes_ += count;
    if (outcomes_ < end_ - begin_ || finished_) return;
    finished_ = true;
    Envelope reply{};
    std::memcpy(&reply, response_.data(), sizeof(reply));
    reply.size = returned_;
    reply.parts = last.empty() ? 0 : 2;
    std::memcpy(response_.data(), &reply, sizeof(reply));
    const std::span<const std::byte> parts[2] = {{response_.data(), response_.size()}, last};
    send_to_root(owner_.session_, std::span(parts, last.empty() ? 1 : 2), reply.pool, [] {});
    owner_.done(*this);
  }

  LocalWorkers& owner_;
  const std::uint64_t sequence_;
  const std::size_t begin_;
  const std::size_t end_;
  const std::uint64_t position_;  // of begin_ in rank 0's caller's input (ChunkHeader)
  const std::uint64_t pool_;
  std::atomic<std::uint64_t> permitted_;  // items below may start
  RemoteEntry entry_ = nullptr;
  Bytes request_;
  std::size_t request_at_ = 0;  // where the workers' request starts in request_
  Bytes response_;
  ByteBuffer error_;
  std::atomic<bool> unwanted_{false};
  std::atomic<bool> stop_{false};
  // Whoever moves the workers' messages (the process executor's dispatcher thread, or the rank's
  // serving thread driving them), one at a time; or, for a request whose entry cannot be found
  // here, the serving thread's, before the job is queued.
  bool sent_ = false;
  bool returning_ = false;
  bool finished_ = false;
  std::size_t outcomes_ = 0;
  std::size_t returned_ = 0;
};

namespace {

std::string workers_name() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0) std::strcpy(host, "?");
  return "mpp::MpiPool rank " + std::to_string(rank) + " (" + host + ")";
}

}  // namespace

LocalWorkers::LocalWorkers(Session& session, const OpenSetup& setup, void (*initializer)())
    : session_(session), name_(workers_name()) {
  ProcessExecutorOptions options;
  // every_cpu: this rank's share of the CPUs it may use, with the other serving ranks of its host
  // that may use them too (one rank per node: all of them).
  options.workers =
      setup.workers == k_every_cpu
          ? std::max<std::size_t>(1, usable_cpu_count() / static_cast<unsigned>(session.cpu_sharers()))
          : setup.workers;
  options.initializer = initializer;
  options.maxtasksperchild = setup.maxtasksperchild;
  options.task_timeout = std::chrono::nanoseconds(setup.task_timeout_ns);
  options.name = name_.c_str();
  // Forked from the rank: a fresh load of the program would start MPI again. Functions in the
  // requests cross as rank 0 encoded them; results go on to rank 0, perhaps on another host.
  options.start_method = StartMethod::fork;
  options.relocation = &session.relocation();
  options.results_leave_machine = true;
  options.prepare_worker = prepare_local_worker;
  options.arena = session.arena();
  executor_ = std::make_unique<ProcessExecutor>(options);
}

LocalWorkers::~LocalWorkers() {
  executor_.reset();  // terminates: every chunk still here is cancelled (RelayJob::cancel)
}

std::size_t LocalWorkers::size() const noexcept { return executor_->size(); }

bool LocalWorkers::relay(const Envelope& envelope, Bytes& request) {
  ByteReader in(std::span<const std::byte>(request.data(), request.size()).subspan(sizeof(Envelope)));
  const std::optional<wire::ChunkHeader> header = read_chunk_header(in);
  // Rank 0 relocates every entry and sends no empty chunk.
  if (!header || header->entry != 0 || header->end <= header->begin) abort_job("a malformed chunk request");
  RelayJob* job = nullptr;
  Bytes spare;  // for `request`, should the job take it
  {
    std::lock_guard lock(mutex_);
    job = new RelayJob(*this, envelope, *header, take_spare());
    held_.push_back(job);
    if (request.size() >= k_mpi_large_request_bytes) {
      spare = session_.arena_buffer();
      if (spare.capacity() == 0) spare = take_spare();
    }
  }
  // A call (apply) held alone is driven (drive()); a map's chunks queue behind each other.
  const bool alone =
      held_count_.fetch_add(1, std::memory_order_relaxed) == 0 && header->position == wire::k_single_task;
  try {
    const auto entry = reinterpret_cast<RemoteEntry>(session_.relocation().decode(in));
    job->set_request(entry, request, request.size() - in.remaining(), std::move(spare));
  } catch (...) {
    // As a rank running items itself: every item fails with the reason (a function of a library
    // this rank has not loaded).
    const auto error = std::current_exception();
    job->add_ref();  // done() releases held_'s reference at the last item
    for (std::size_t i = header->begin; i < header->end; ++i) job->accept_error(i, error);
    job->release();
    return false;
  }
  job->add_ref();  // the task's
  // The serving thread drives a call held alone to its worker (drive()), and wakes the dispatcher
  // thread if it cannot (that thread holds the role) or stops with work left.
  if (!executor_->submit_call(new Task{job, header->begin, header->end, 0, true, 0}, /*caller_waits=*/alone))
    abort_job("a chunk for local workers that have stopped");
  return alone;
}

void LocalWorkers::drive(FunctionRef<bool()> interrupt) noexcept {
  executor_->driver()->drive([&] { return held_count_.load(std::memory_order_acquire) == 0 || interrupt(); },
                             k_no_deadline);
}

void LocalWorkers::skip(std::uint64_t sequence, bool stop) noexcept {
  {
    std::lock_guard lock(mutex_);
    const auto at =
        std::find_if(held_.begin(), held_.end(), [&](RelayJob* job) { return job->sequence() == sequence; });
    if (at == held_.end()) return;
    (*at)->unwant(stop);
  }
  // The workers' dispatcher marks the chunk skipped in its worker's ring now, before the worker
  // can start it behind the chunk it runs (or kills the worker that runs it).
  if (stop) {
    executor_->stopper()->stop_requested();
  } else {
    executor_->skip_unwanted();
  }
}

void LocalWorkers::permit(std::uint64_t sequence, std::uint64_t below) noexcept {
  {
    std::lock_guard lock(mutex_);
    const auto at =
        std::find_if(held_.begin(), held_.end(), [&](RelayJob* job) { return job->sequence() == sequence; });
    if (at == held_.end()) return;
    (*at)->permit(below);
  }
  executor_->wake();  // its dispatcher shows the worker
}

void LocalWorkers::done(RelayJob& job) noexcept {
  {
    std::lock_guard lock(mutex_);
    std::erase(held_, &job);
    keep_spare(job.request_buffer());
    keep_spare(job.response_buffer());
  }
  held_count_.fetch_sub(1, std::memory_order_relaxed);
  job.release();
}

Bytes LocalWorkers::take_spare() noexcept {
  Bytes spare;
  if (!spares_.empty()) {
    spare.swap(spares_.back());
    spares_.pop_back();
  }
  return spare;
}

// Keeps the largest buffers: the next large request or result fits one of them.
void LocalWorkers::keep_spare(Bytes& buffer) noexcept {
  if (buffer.arena() != nullptr) return;  // its job gives it back to the arena as it goes
  if (buffer.capacity() < k_mpi_large_request_bytes || buffer.capacity() > k_mpi_spare_buffer_bytes) return;
  try {
    if (spares_.size() < k_mpi_spare_buffers) {
      spares_.emplace_back().swap(buffer);
    } else {
      const auto smallest =
          std::min_element(spares_.begin(), spares_.end(),
                           [](const Bytes& a, const Bytes& b) { return a.capacity() < b.capacity(); });
      if (smallest->capacity() < buffer.capacity()) smallest->swap(buffer);
    }
  } catch (...) {  // out of memory for the list: the buffer goes with its chunk
  }
}

}  // namespace mpp::detail::mpi
