#include "mpp/detail/core/result_state.hpp"

#include <atomic>
#include <cstdio>
#include <typeinfo>
#include <vector>

#include "core/fork_generation.hpp"
#include "mpp/detail/core/demangle.hpp"
#include "mpp/detail/core/throw.hpp"
#include "mpp/errors.hpp"

namespace mpp::detail {
namespace {

std::atomic<unsigned> g_pool_numbers{0};

// Marks the callback list of a finished state: then() runs the callback at once instead.
Callback* closed_list() noexcept {
  static struct Closed final : Callback {
    void invoke(StateBase& /*state*/) override {}
  } closed;
  return &closed;
}

}  // namespace

PoolShared::PoolShared(const char* kind, const void* executor)
    : name_(std::string(kind) + " #" +
            std::to_string(g_pool_numbers.fetch_add(1, std::memory_order_relaxed) + 1)),
      executor_(executor),
      generation_(fork_generation()) {}

bool PoolShared::in_fork() const noexcept { return fork_generation() != generation_; }

void PoolShared::report_callback_error(std::exception_ptr error) const noexcept {
  try {
    std::rethrow_exception(std::move(error));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mpp: a callback of %s threw %s: %s (dropped)\n", name_.c_str(),
                 type_name(typeid(e)).c_str(), e.what());
  } catch (...) {
    std::fprintf(stderr, "mpp: a callback of %s threw %s (dropped)\n", name_.c_str(),
                 describe_non_exception(std::current_exception()).c_str());
  }
}

void PoolShared::add_drain(InputDrain* imap) {
  std::lock_guard lock(drains_mutex_);
  drains_.push_back(imap);
}

void PoolShared::remove_drain(InputDrain* imap) noexcept {
  std::lock_guard lock(drains_mutex_);
  std::erase(drains_, imap);
}

void PoolShared::drain_all() noexcept {
  std::vector<Ref<InputDrain>> live;
  {
    std::lock_guard lock(drains_mutex_);
    for (InputDrain* d : drains_) live.push_back(Ref<InputDrain>::share(d));
  }
  // Outside the lock: draining reads user input and unregisters the imap when it is done.
  for (auto& d : live) d->drain_input();
}

StateBase::~StateBase() {
  Callback* list = callbacks_.load(std::memory_order_relaxed);
  while (list != nullptr && list != closed_list()) {  // callbacks of a state that never finished
    delete std::exchange(list, list->next);
  }
}

bool StateBase::wait_until(Deadline deadline) {
  if (!ready() && pool_->in_fork()) throw_result_of_parent(pool_->name().c_str());
  const auto ready_now = [this] { return ready(); };
  CallbackTurn& turn = pool_->callback_turn();
  if (ready_now() || !turn.held_here()) {
    return block_until(ready_now, status_, waiters_, pool_->wait_context(), deadline);
  }
  // A callback of this pool waits: its turn goes to the pool's other callbacks meanwhile.
  const unsigned depth = turn.step_aside();
  const bool done = block_until(ready_now, status_, waiters_, pool_->wait_context(), deadline);
  turn.take_back(depth);
  return done;
}

void StateBase::fail(std::exception_ptr error) noexcept {
  if (!claim()) return;
  set_error(std::move(error));
  finish();
}

void StateBase::cancel() noexcept {
  if (!claim()) return;
  try {
    throw_cancelled(pool_->name().c_str());
  } catch (...) {
    set_error(std::current_exception());
  }
  finish();
}

std::exception_ptr StateBase::cancelled_by_caller(const char* what) const noexcept {
  try {
    throw TaskCancelled(pool_->name() + ": " + what);
  } catch (...) {
    return std::current_exception();
  }
}

void StateBase::finish() noexcept {
  Callback* head = nullptr;
  // Fast path: nobody attached a callback, so nothing needs the pool's callback lock.
  if (callbacks_.compare_exchange_strong(head, closed_list(), std::memory_order_acq_rel)) {
    notify_waiters(status_, waiters_);
    return;
  }
  // Posted even from the runner's own thread: it runs callbacks between its rounds only.
  if (CallbackRunner* runner = pool_->callback_runner(); runner != nullptr) {
    add_ref();
    runner->post(this);  // runs finish_posted() there
    return;
  }
  finish_posted();
}

void StateBase::finish_posted() noexcept {
  {
    // Take the lock before closing the list: a then() that finds it closed then waits for the
    // callbacks attached before it, keeping the order of attachment.
    std::lock_guard lock(pool_->callback_turn());
    run_callbacks(callbacks_.exchange(closed_list(), std::memory_order_acq_rel));
  }
  notify_waiters(status_, waiters_);
}

void StateBase::run_callbacks(Callback* reversed) noexcept {
  Callback* in_order = nullptr;
  while (reversed != nullptr) {
    Callback* next = reversed->next;
    reversed->next = in_order;
    in_order = reversed;
    reversed = next;
  }
  while (in_order != nullptr) {
    Callback* next = in_order->next;
    try {
      in_order->invoke(*this);
    } catch (...) {
      pool_->report_callback_error(std::current_exception());
    }
    delete in_order;
    in_order = next;
  }
}

void StateBase::attach(Callback* callback) {
  Callback* head = callbacks_.load(std::memory_order_acquire);
  while (head != closed_list()) {
    callback->next = head;
    if (callbacks_.compare_exchange_weak(head, callback, std::memory_order_acq_rel)) return;
  }
  // Finished (or finishing): run now, in this thread, serialised with the pool's other callbacks.
  callback->next = nullptr;
  std::lock_guard lock(pool_->callback_turn());
  run_callbacks(callback);
}

}  // namespace mpp::detail
