#include <pthread.h>

#include <atomic>

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

std::size_t RemoteExecutor::size() const noexcept { return host_->workers; }
bool RemoteExecutor::accepting() const {
  if (host_->in_fork()) throw_pool_in_fork(host_->name());
  return host_->accepting();
}
bool RemoteExecutor::open_call() noexcept { return host_->open_call(); }
void RemoteExecutor::close_call() noexcept { host_->close_call(); }
void RemoteExecutor::submit(Task* task) noexcept { host_->submit_batch(task, 1); }
void RemoteExecutor::submit_batch(Task* tasks, std::size_t count) noexcept {
  host_->submit_batch(tasks, count);
}
bool RemoteExecutor::submit_call(Task* task, bool caller_waits) noexcept {
  return host_->submit_call(task, caller_waits);
}
void RemoteExecutor::close() noexcept { host_->close(); }
void RemoteExecutor::terminate() noexcept { host_->terminate(); }
bool RemoteExecutor::terminated() const noexcept { return host_->is_terminated(); }
void RemoteExecutor::check_join(const char* who) const { host_->check_join(who); }
void RemoteExecutor::join(const char* who) { host_->join(who); }
CallbackRunner* RemoteExecutor::callback_runner() noexcept { return host_.get(); }
Driver* RemoteExecutor::driver() noexcept { return host_->driver(); }
RunningStopper* RemoteExecutor::stopper() noexcept { return host_->stopper(); }
void RemoteExecutor::skip_unwanted() noexcept { host_->skip_unwanted(); }

}  // namespace mpp::detail
