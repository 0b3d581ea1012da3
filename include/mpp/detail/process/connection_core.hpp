// The shared part of an mpp::Connection (compiled in src/process/connection.cpp): a queue in each
// direction in shared memory, and a record of which processes hold each end, from which a reader
// learns that nothing more can come (EOF).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "mpp/detail/core/decode_tag.hpp"
#include "mpp/detail/core/wait.hpp"
#include "mpp/detail/process/shared_queue.hpp"
#include "mpp/detail/process/sync_handle.hpp"

namespace mpp::detail {

/// Which processes hold each end (0 and 1) of a pipe, with how many handles each.
class PipeEnds : public SyncHandle {
 public:
  PipeEnds();
  explicit PipeEnds(DecodeTag) noexcept : SyncHandle(SyncKind::pipe) {}

  /// This process holds one more handle of `end`.
  void hold(int end);
  /// This process holds one handle of `end` fewer.
  void let_go(int end) noexcept;
  /// No process holds `end` any more: every handle was closed or destroyed, or its process ended.
  [[nodiscard]] bool gone(int end);
  /// No process is recorded as holding `end` (closed or destroyed; a dead holder still counts).
  [[nodiscard]] bool released(int end) noexcept;
};

/// One end of a pipe, as the handles of one process share it.
class ConnectionCore {
 public:
  /// `in`: what this end receives (null: it only sends); `out`: what it sends (null: it only receives).
  ConnectionCore(PipeEnds ends, int end, std::shared_ptr<SharedQueue> in, std::shared_ptr<SharedQueue> out);
  ConnectionCore(const ConnectionCore&) = delete;
  ConnectionCore& operator=(const ConnectionCore&) = delete;
  ~ConnectionCore();

  /// Sends a message (the caller's tag and bytes); std::system_error (EPIPE) when the other end is
  /// released, std::logic_error when this end only receives or is closed.
  void send(std::uint64_t tag, std::span<const std::byte> bytes);
  /// Receives one message into `out` (its tag first); false when nothing came by the deadline.
  /// mpp::EOFError when nothing is left and the other end is gone.
  bool recv(ByteBuffer& out, Deadline deadline);
  /// Whether a message (or EOF) is there by the deadline.
  bool poll(Deadline deadline);
  void close() noexcept;
  [[nodiscard]] bool closed() const noexcept { return closed_; }
  [[nodiscard]] bool readable() const noexcept { return in_ != nullptr; }
  [[nodiscard]] bool writable() const noexcept { return out_ != nullptr; }

  [[nodiscard]] const PipeEnds& ends() const noexcept { return ends_; }
  [[nodiscard]] int end() const noexcept { return end_; }
  [[nodiscard]] std::string in_name() const { return in_ ? in_->name() : std::string(); }
  [[nodiscard]] std::string out_name() const { return out_ ? out_->name() : std::string(); }

 private:
  void check_open(const char* what) const;
  void register_here();  // a forked copy holds the end too

  PipeEnds ends_;
  int end_;
  std::shared_ptr<SharedQueue> in_;
  std::shared_ptr<SharedQueue> out_;
  pid_t holder_ = 0;  // the process whose hold() this core made
  bool closed_ = false;
};

}  // namespace mpp::detail
