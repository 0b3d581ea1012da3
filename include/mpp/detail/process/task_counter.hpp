// The count of unfinished items of an mpp::JoinableQueue, shared by processes: put adds one,
// task_done takes one, join waits for none.
#pragma once

#include <cstdint>

#include "mpp/detail/core/decode_tag.hpp"
#include "mpp/detail/core/wait.hpp"
#include "mpp/detail/process/sync_handle.hpp"

namespace mpp::detail {

class TaskCounter : public SyncHandle {
 public:
  TaskCounter();
  explicit TaskCounter(DecodeTag) noexcept : SyncHandle(SyncKind::task_counter) {}

  void add() noexcept;
  /// std::logic_error when nothing is unfinished.
  void done();
  /// Waits until nothing is unfinished; false when the deadline passed first.
  bool wait_for_none(Deadline deadline);
  [[nodiscard]] std::uint32_t unfinished() const noexcept;
};

}  // namespace mpp::detail
