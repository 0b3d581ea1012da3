// The host's scheduling of chunks on remote workers, written once for every transport: how deep
// chunks queue at a worker (by the transport's tunables, remote/tunables.hpp), how long a worker's
// chunks take, feeding the workers in turn, and taking a pending task for sending (dropped when
// nobody wants it, failed when its arguments cannot be encoded).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>

#include "mpp/detail/core/wait.hpp"
#include "mpp/detail/front/job.hpp"
#include "mpp/detail/remote/remote.hpp"
#include "remote/host.hpp"
#include "remote/tunables.hpp"

namespace mpp::detail {

/// How long a worker's chunks take, from when it could start each (sent, or its previous chunk's
/// end) to its end: a recent average.
class ServiceTime {
 public:
  void chunk_ended(Clock::time_point sent, Clock::time_point now) noexcept {
    average_ = (3 * average_ + (now - std::max(last_end_, sent))) / 4;
    last_end_ = now;
  }
  Clock::duration average() const noexcept { return average_; }

 private:
  Clock::time_point last_end_{};
  Clock::duration average_{std::chrono::milliseconds(1)};
};

/// How many chunks this worker may hold: deep only for short chunks and while there is plenty
/// left for every worker, so that long items never wait behind each other at one worker while
/// another idles.
inline std::size_t pipeline_depth(const Pipeline& p, const ServiceTime& worker, std::size_t pending,
                                  std::size_t workers) noexcept {
  return worker.average() < p.short_chunk && pending > workers * p.short_depth ? p.short_depth : p.depth;
}

/// Gives the workers chunks while any takes one (`send_one(worker)` true), those that hold fewest
/// first (`held(worker)`: chunks it holds), one each in turn among equals: a worker that finishes
/// sooner gets more, and a chunk that arrives alone goes to an idle worker, not behind another
/// chunk at the first. True when any was taken.
template <class Workers, class Held, class SendOne>
bool feed_in_turn(const std::deque<Task*>& pending, Workers& workers, Held&& held, SendOne&& send_one) {
  bool progress = false;
  for (std::size_t level = 0; !pending.empty(); ++level) {
    bool deeper = false;  // a worker holds more than `level`, or took one at it: look one deeper
    for (auto& w : workers) {
      if (pending.empty()) break;
      const std::size_t h = held(w);
      if (h > level) {
        deeper = true;
      } else if (h == level && send_one(w)) {
        progress = true;
        deeper = true;
      }
    }
    if (!deeper) break;
  }
  return progress;
}

/// Takes the front pending task to send. Its remote job, or nullptr when the job no longer wants
/// it (an abandoned imap, a cancelled call): the task is dropped and released then.
inline RemoteJob* take_pending(std::deque<Task*>& pending, Task*& task) noexcept {
  task = pending.front();
  pending.pop_front();
  RemoteJob* job = task->job->remote();
  MPP_ASSERT(job != nullptr);
  if (job->begin_send()) return job;
  job->drop(task->begin, task->end);
  release_task(task);
  return nullptr;
}

/// Items [from, end) of `task`, a chunk cut short where its worker was lost, go to the back of
/// `again` as a task of their own, to be sent again (`losses`: Task::unattributed_losses). Out of
/// memory, they fail with that error instead. The caller still releases `task`.
template <class Tasks>
void send_again(Tasks& again, const Task& task, std::size_t from, std::size_t end,
                std::uint32_t losses = 0) noexcept {
  if (from >= end) return;
  Task* rest = nullptr;
  try {
    rest = new Task{task.job, from, end, 0, true, losses};
    again.push_back(rest);
    task.job->add_ref();
  } catch (...) {
    delete rest;
    const auto error = std::current_exception();
    RemoteJob* job = task.job->remote();
    for (std::size_t i = from; i < end; ++i) job->accept_error(i, error);
  }
}

/// Fails every item of `task` with `error` and releases it: an argument that cannot be encoded
/// fails its items, not the pool; a pool that cannot start workers fails what is queued.
inline void fail_task(Task* task, const std::exception_ptr& error) noexcept {
  RemoteJob* job = task->job->remote();
  for (std::size_t i = task->begin; i < task->end; ++i) job->accept_error(i, error);
  release_task(task);
}

}  // namespace mpp::detail
