// mpp::Barrier (include/mpp/synchronize.hpp). Parties sleep on one futex word (`epoch`), bumped when
// the last party arrives and whenever the barrier breaks. Each waiting party holds a robust mutex
// of its own (its slot) while it waits, and the waiters look at the others' slots every
// k_death_check: the kernel hands a dead holder's slot to the next locker as EOWNERDEAD, so a party
// that died waiting is seen whether or not its parent has reaped it.
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <new>
#include <stdexcept>

#include "mpp/errors.hpp"
#include "mpp/synchronize.hpp"
#include "robust_mutex.hpp"

namespace mpp {
namespace {

constexpr const char* k_barrier = "mpp::Barrier";
constexpr auto k_death_check = std::chrono::milliseconds(50);

struct Slot {
  pthread_mutex_t mutex;                     // held by the party waiting in this slot
  std::atomic<std::uint32_t> generation{0};  // the round its holder waits for
};

struct BarrierState {
  pthread_mutex_t mutex;                     // guards arrivals, breaks and resets
  std::atomic<std::uint32_t> epoch{0};       // the futex word
  std::atomic<std::uint32_t> generation{0};  // rounds completed
  std::atomic<std::uint32_t> resets{0};      // reset() calls: a waiter of an earlier one is broken
  std::atomic<std::uint32_t> broken{0};
  std::atomic<std::uint32_t> count{0};  // parties waiting in this round
  std::uint32_t parties = 0;            // set before sharing
  Slot slots[1];                        // `parties` of them

  static std::size_t size_for(std::uint32_t parties) {
    return sizeof(BarrierState) + (parties - 1) * sizeof(Slot);
  }
};

[[noreturn]] void throw_broken() {
  throw BrokenBarrierError(std::string(k_barrier) +
                           ": the barrier is broken (a wait timed out, abort() was called, or a party died "
                           "while it waited); reset() makes it usable again");
}

// Under the state mutex: break the barrier and wake everyone.
void break_locked(BarrierState& s) {
  s.broken.store(1);
  s.count.store(0);
  s.epoch.fetch_add(1);
  detail::futex_wake_all(s.epoch, detail::FutexScope::shared);
}

// Whether a party of `generation` died waiting: its slot's mutex was left held by a dead thread.
bool a_party_died(BarrierState& s, std::uint32_t generation, std::uint32_t own) {
  for (std::uint32_t i = 0; i < s.parties; ++i) {
    if (i == own || s.slots[i].generation.load() != generation) continue;
    const int rc = pthread_mutex_trylock(&s.slots[i].mutex);
    if (rc == EBUSY) continue;  // held by a waiter that lives
    if (rc == EOWNERDEAD) pthread_mutex_consistent(&s.slots[i].mutex);
    const bool died = rc == EOWNERDEAD && s.slots[i].generation.load() == generation;
    if (rc == 0 || rc == EOWNERDEAD) pthread_mutex_unlock(&s.slots[i].mutex);
    if (died) return true;
  }
  return false;
}

}  // namespace

Barrier::Barrier(std::uint32_t parties)
    : SyncHandle(detail::SyncKind::barrier, BarrierState::size_for(std::max(parties, 1U))) {
  if (parties == 0) throw std::invalid_argument("mpp::Barrier: needs at least one party");
  auto& s = *new (&state<BarrierState>()) BarrierState{};
  s.parties = parties;
  detail::sync::init_robust_mutex(s.mutex, PTHREAD_MUTEX_ERRORCHECK, k_barrier);
  for (std::uint32_t i = 0; i < parties; ++i) {
    auto* slot = new (&s.slots[i]) Slot{};
    detail::sync::init_robust_mutex(slot->mutex, PTHREAD_MUTEX_ERRORCHECK, k_barrier);
  }
}

std::uint32_t Barrier::wait_until(detail::Deadline deadline) {
  auto& s = state<BarrierState>();
  std::uint32_t index = 0;
  std::uint32_t generation = 0;
  std::uint32_t resets = 0;
  {
    const detail::sync::StateGuard guard(s.mutex, k_barrier);
    if (s.broken.load() != 0) throw_broken();
    index = s.count.load();
    generation = s.generation.load();
    resets = s.resets.load();
    if (index + 1 == s.parties) {  // the last one: release this round
      s.count.store(0);
      s.generation.fetch_add(1);
      s.epoch.fetch_add(1);
      detail::futex_wake_all(s.epoch, detail::FutexScope::shared);
      return index;
    }
    // Taken under the state mutex, so that no later round can take this slot first. Its last
    // holder (of an earlier round) only lets go of it, or died: either way it comes free.
    (void)detail::sync::lock_robust(s.slots[index].mutex, detail::k_no_deadline, k_barrier);
    s.slots[index].generation.store(generation);
    // Counted only now: a party seen waiting (n_waiting) holds its slot, so its death is seen.
    s.count.store(index + 1);
  }
  // The waiter never waits for the state mutex while it holds its slot (an arrival holds the
  // state mutex while it takes a slot): it lets go of the slot before it breaks the barrier.
  Slot& slot = s.slots[index];
  for (;;) {
    const std::uint32_t seen = s.epoch.load();
    if (s.generation.load() != generation) break;
    if (s.broken.load() != 0 || s.resets.load() != resets) {
      pthread_mutex_unlock(&slot.mutex);
      throw_broken();
    }
    const auto now = detail::Clock::now();
    const bool timed_out = now >= deadline;
    if (!timed_out) {
      (void)detail::futex_wait(s.epoch, seen, std::min(deadline, now + k_death_check),
                               detail::FutexScope::shared);
    }
    if (timed_out || (s.generation.load() == generation && a_party_died(s, generation, index))) {
      pthread_mutex_unlock(&slot.mutex);
      const detail::sync::StateGuard guard(s.mutex, k_barrier);
      if (s.generation.load() != generation) return index;  // the round completed meanwhile
      if (s.resets.load() == resets) break_locked(s);
      throw_broken();
    }
  }
  pthread_mutex_unlock(&slot.mutex);
  return index;
}

void Barrier::abort() {
  auto& s = state<BarrierState>();
  const detail::sync::StateGuard guard(s.mutex, k_barrier);
  break_locked(s);
}

void Barrier::reset() {
  auto& s = state<BarrierState>();
  const detail::sync::StateGuard guard(s.mutex, k_barrier);
  s.resets.fetch_add(1);
  s.broken.store(0);
  s.count.store(0);
  s.epoch.fetch_add(1);
  detail::futex_wake_all(s.epoch, detail::FutexScope::shared);
}

std::uint32_t Barrier::parties() const noexcept { return state<BarrierState>().parties; }

std::uint32_t Barrier::n_waiting() const noexcept { return state<BarrierState>().count.load(); }

bool Barrier::broken() const noexcept { return state<BarrierState>().broken.load() != 0; }

}  // namespace mpp
