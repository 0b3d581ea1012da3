#include "mpp/detail/remote_executor.hpp"

#include "remote_host.hpp"

namespace mpp::detail {

RemoteExecutor::RemoteExecutor() = default;
RemoteExecutor::~RemoteExecutor() = default;

std::size_t RemoteExecutor::size() const noexcept { return host_->workers; }
bool RemoteExecutor::accepting() const noexcept { return host_->accepting(); }
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

}  // namespace mpp::detail
