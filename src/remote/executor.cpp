// RemoteExecutor: the executor contract (front/executor.hpp) for ProcessExecutor and MpiExecutor,
// on the host's state (remote/host.hpp); and fork_generation(), which tells a host's owner from a
// process forked from it.
#include <pthread.h>

#include <atomic>
#include <mutex>

#include "mpp/detail/core/throw.hpp"
#include "mpp/detail/remote/remote_executor.hpp"
#include "remote/host.hpp"

namespace mpp::detail {
namespace {

std::atomic<std::uint64_t> g_fork_generation{0};

void count_fork() noexcept { g_fork_generation.fetch_add(1, std::memory_order_relaxed); }

}  // namespace

std::uint64_t fork_generation() noexcept {
  // Registered before the first host exists, so every fork after it is counted.
  static const bool registered = ::pthread_atfork(nullptr, nullptr, &count_fork) == 0;
  (void)registered;
  return g_fork_generation.load(std::memory_order_relaxed);
}

RemoteExecutor::RemoteExecutor() = default;
RemoteExecutor::~RemoteExecutor() = default;

// The executor's members work on the host's state directly: the host is that state, shared with
// the dispatcher thread, which may outlive the executor (shutdown()).

std::size_t RemoteExecutor::size() const noexcept { return host_->workers; }
std::size_t RemoteExecutor::parallelism() const noexcept { return host_->slots; }

bool RemoteExecutor::accepting() const {
  if (host_->in_fork()) throw_pool_in_fork(host_->name());
  return !host_->closed.load(std::memory_order_acquire);
}

bool RemoteExecutor::open_call() noexcept {
  RemoteHost& h = *host_;
  std::lock_guard lock(h.mutex);
  if (h.closed.load(std::memory_order_relaxed)) return false;
  ++h.open_calls;
  return true;
}

void RemoteExecutor::close_call() noexcept {
  RemoteHost& h = *host_;
  {
    std::lock_guard lock(h.mutex);
    MPP_ASSERT(h.open_calls > 0);
    --h.open_calls;
  }
  h.wake_dispatcher();
}

void RemoteExecutor::submit(Task* task) noexcept { submit_batch(task, 1); }

void RemoteExecutor::submit_batch(Task* tasks, std::size_t count) noexcept {
  RemoteHost& h = *host_;
  {
    std::lock_guard lock(h.mutex);
    if (!h.terminated.load(std::memory_order_relaxed) &&
        !h.terminate_requested.load(std::memory_order_relaxed)) {
      for (std::size_t i = 0; i < count; ++i) h.incoming.push_back(&tasks[i]);
      h.incoming_count.fetch_add(count, std::memory_order_seq_cst);
      count = 0;
    }
  }
  for (std::size_t i = 0; i < count; ++i) cancel_task(&tasks[i]);
  h.wake_dispatcher();
}

bool RemoteExecutor::submit_call(Task* task, bool caller_waits) noexcept {
  RemoteHost& h = *host_;
  {
    std::lock_guard lock(h.mutex);
    if (h.closed.load(std::memory_order_relaxed)) return false;
    h.incoming.push_back(task);
    h.incoming_count.fetch_add(1, std::memory_order_seq_cst);
  }
  if (!caller_waits || !h.callers_drive()) h.wake_dispatcher();
  return true;
}

void RemoteExecutor::close() noexcept {
  if (host_->in_fork()) return;  // the parent's pool: not ours to close
  host_->close();
}

void RemoteExecutor::terminate() noexcept {
  RemoteHost& h = *host_;
  if (h.in_fork()) return;  // the parent's pool: not ours to stop
  {
    std::lock_guard lock(h.mutex);
    h.closed.store(true, std::memory_order_seq_cst);
    h.terminate_requested.store(true, std::memory_order_seq_cst);
  }
  if (h.here()) {  // from a callback: at once, here
    if (!h.terminated.load(std::memory_order_relaxed)) h.do_terminate();
    return;
  }
  {
    std::lock_guard lock(h.join_mutex);
    if (h.joined) return;  // the dispatcher is gone: nothing runs
  }
  h.wake_for_terminate();
  block_until(
      [&h] {
        return h.all_cancelled.load(std::memory_order_seq_cst) || h.exited.load(std::memory_order_seq_cst);
      },
      h.done_word, h.done_waiters, WaitContext{}, k_no_deadline);
}

bool RemoteExecutor::terminated() const noexcept { return host_->terminated.load(std::memory_order_acquire); }

void RemoteExecutor::check_join(const char* who) const {
  if (host_->in_fork()) throw_pool_in_fork(who);
  if (host_->here()) throw_join_from_worker(who);
}

void RemoteExecutor::join(const char* who) {
  check_join(who);
  RemoteHost& h = *host_;
  std::lock_guard lock(h.join_mutex);
  if (h.joined) return;
  h.wake_dispatcher();
  h.thread.join();
  h.joined = true;
  h.on_joined();
}

// Terminates and joins unless join() did. On the dispatcher thread (a callback destroying its pool), which
// cannot wait for itself, it only closes the pool and detaches the thread: the work already submitted still
// runs, callbacks too.
void RemoteExecutor::shutdown() noexcept {
  RemoteHost& h = *host_;
  if (h.in_fork()) return;  // the owner's executor destroys it (see ~ProcessExecutor)
  if (h.here()) {
    h.close();
    h.thread.detach();
    return;
  }
  {
    std::lock_guard lock(h.join_mutex);
    if (h.joined) return;
  }
  terminate();
  if (h.thread.joinable()) h.thread.join();
  h.on_joined();
}

CallbackRunner* RemoteExecutor::callback_runner() noexcept { return host_.get(); }
Driver* RemoteExecutor::driver() noexcept { return host_->driver(); }
RunningStopper* RemoteExecutor::stopper() noexcept { return host_->stopper(); }
void RemoteExecutor::skip_unwanted() noexcept { host_->skip_unwanted(); }
void RemoteExecutor::wake() noexcept { host_->wake_dispatcher(); }

}  // namespace mpp::detail
