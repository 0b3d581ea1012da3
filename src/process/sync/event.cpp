// mpp::Event (include/mpp/synchronize.hpp): one futex word that counts the flag's changes, odd while
// it is set. A waiter that saw it clear returns true on any change, so a set() that a clear() undoes
// at once still wakes it, as Python's Event does.
#include <atomic>
#include <cstdint>
#include <new>

#include "mpp/synchronize.hpp"

namespace mpp {
namespace {

struct EventState {
  std::atomic<std::uint32_t> changes{0};   // the futex word; odd: set
  std::atomic<std::uint32_t> sleepers{0};  // how many may sleep on it
};

}  // namespace

Event::Event() : SyncHandle(detail::SyncKind::event, sizeof(EventState)) {
  new (&state<EventState>()) EventState{};
}

void Event::set() {
  auto& s = state<EventState>();
  std::uint32_t changes = s.changes.load();
  do {
    if (changes % 2 == 1) return;
  } while (!s.changes.compare_exchange_weak(changes, changes + 1));
  if (s.sleepers.load() != 0) detail::futex_wake_all(s.changes, detail::FutexScope::shared);
}

void Event::clear() noexcept {
  auto& s = state<EventState>();
  std::uint32_t changes = s.changes.load();
  do {
    if (changes % 2 == 0) return;
  } while (!s.changes.compare_exchange_weak(changes, changes + 1));
}

bool Event::is_set() const noexcept { return state<EventState>().changes.load() % 2 == 1; }

void Event::wait() { (void)wait_until(detail::k_no_deadline); }

bool Event::wait_until(detail::Deadline deadline) {
  auto& s = state<EventState>();
  const std::uint32_t seen = s.changes.load();
  if (seen % 2 == 1) return true;
  // Counted before the futex compares the word: a set() after that sees the sleeper.
  s.sleepers.fetch_add(1);
  bool changed = false;
  for (;;) {
    changed = s.changes.load() != seen;
    if (changed || !detail::futex_wait(s.changes, seen, deadline, detail::FutexScope::shared)) break;
  }
  s.sleepers.fetch_sub(1);
  return changed || s.changes.load() != seen;
}

}  // namespace mpp
