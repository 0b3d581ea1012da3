// The shared part of an mpp::Connection (compiled in src/process/connection.cpp): a queue in each
// direction in shared memory, and a record of which processes hold each end, from which a reader
// learns that nothing more can come (EOF). A handle on its way to another process (encoded, not yet
// decoded) counts as held, by its sender until then, or by the child it was started with.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

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

  /// A handle of `end` leaves this process (it is being encoded): it counts as held by this
  /// process until a receiver adopts the returned token. 0 when every transit slot is taken
  /// (then the handle counts from its adoption only).
  [[nodiscard]] std::uint64_t send_off(int end) const;
  /// The handle of `token` has arrived in this process: this process holds one more handle of
  /// `end`, and the transit ends. A token already adopted (a message decoded twice) or 0 only holds.
  void adopt(int end, std::uint64_t token) const;
  /// The handle of `token` travels to the child `pid`: it counts as held while that child lives
  /// (until it adopts it). Nothing when it was adopted already.
  void hand_to(int end, std::uint64_t token, pid_t pid) const noexcept;
  /// The handle of `token` will not arrive (its message was never sent).
  void recall(int end, std::uint64_t token) const noexcept;
};

class ConnectionCore;

/// The handles encoded on this thread while a HandOff is installed (Process::start under spawn
/// and forkserver), or, under fork, every handle this process holds: they belong to the child
/// about to start, and count as held from before it starts until it ends or lets them go, as the
/// descriptors a Python child inherits. Not given to a child (start failed): recalled.
class HandOff {
 public:
  HandOff();  // installs this one on this thread
  HandOff(const HandOff&) = delete;
  HandOff& operator=(const HandOff&) = delete;
  ~HandOff();

  /// The current thread's HandOff, or null.
  [[nodiscard]] static HandOff* current() noexcept;
  void add(const PipeEnds& ends, int end, std::uint64_t token);
  /// Every handle this process holds goes with a forked child.
  void add_all_of_this_process();
  /// The parent's part once the child has started: the handles count as the child's now.
  void give_to(pid_t child) noexcept;
  /// The forked child's part: it holds every handle it inherited.
  void adopt_in_forked_child();

 private:
  struct Item {
    PipeEnds ends;
    int end;
    std::uint64_t token;
    std::shared_ptr<ConnectionCore> core;  // under fork: the inherited handle
  };
  std::vector<Item> items_;
  HandOff* previous_;
  bool given_ = false;
};

/// One end of a pipe, as the handles of one process share it.
class ConnectionCore : public std::enable_shared_from_this<ConnectionCore> {
 public:
  /// `in`: what this end receives (null: it only sends); `out`: what it sends (null: it only
  /// receives). `token`: the transit this handle arrived by (send_off), or 0 for a new one.
  ConnectionCore(PipeEnds ends, int end, std::shared_ptr<SharedQueue> in, std::shared_ptr<SharedQueue> out,
                 std::uint64_t token = 0);
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
  /// This handle is being encoded: the token its receiver adopts (see PipeEnds::send_off).
  [[nodiscard]] std::uint64_t send_off();
  /// Under fork: the child's copy of this handle becomes the child's own.
  void adopt_in_forked_child(std::uint64_t token);
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
