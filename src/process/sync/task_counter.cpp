// detail::TaskCounter (include/mpp/detail/process/task_counter.hpp): one futex word, the count.
#include "mpp/detail/process/task_counter.hpp"

#include <atomic>
#include <cstdint>
#include <new>
#include <stdexcept>

namespace mpp::detail {
namespace {

struct CounterState {
  std::atomic<std::uint32_t> unfinished{0};  // the futex word
  std::atomic<std::uint32_t> sleepers{0};    // joiners that may sleep on it
};

}  // namespace

TaskCounter::TaskCounter() : SyncHandle(SyncKind::task_counter, sizeof(CounterState)) {
  new (&state<CounterState>()) CounterState{};
}

void TaskCounter::add() noexcept { state<CounterState>().unfinished.fetch_add(1); }

void TaskCounter::done() {
  auto& s = state<CounterState>();
  std::uint32_t unfinished = s.unfinished.load();
  do {
    if (unfinished == 0) {
      throw std::logic_error("mpp::JoinableQueue::task_done: called more times than items were put");
    }
  } while (!s.unfinished.compare_exchange_weak(unfinished, unfinished - 1));
  if (unfinished == 1 && s.sleepers.load() != 0) futex_wake_all(s.unfinished, FutexScope::shared);
}

bool TaskCounter::wait_for_none(Deadline deadline) {
  auto& s = state<CounterState>();
  for (;;) {
    const std::uint32_t unfinished = s.unfinished.load();
    if (unfinished == 0) return true;
    if (Clock::now() >= deadline) return false;
    // Counted before the futex compares the word: the task_done that reaches 0 after that sees us.
    s.sleepers.fetch_add(1);
    (void)futex_wait(s.unfinished, unfinished, deadline, FutexScope::shared);
    s.sleepers.fetch_sub(1);
  }
}

std::uint32_t TaskCounter::unfinished() const noexcept { return state<CounterState>().unfinished.load(); }

}  // namespace mpp::detail
