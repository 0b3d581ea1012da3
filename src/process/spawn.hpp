// The spawn start method: a ProcessPool worker (or an mpp::Process child) that is a fresh run of the
// program's own binary (/proc/self/exe) instead of a fork. The parent sends it, over an AF_UNIX
// socketpair (the child's end keeps its number across exec; k_spawn_variable names it), one setup
// message with descriptors attached (SCM_RIGHTS). For a pool worker: the memfds of what they share
// (the worker's page, its two rings, the dispatcher's page) and the wake-up eventfd, with the parent's
// pid, maxtasksperchild, whether items are timed, and the initializer as (module, offset). For an
// mpp::Process child: a memfd holding the target, relocated, and its encoded arguments. The
// program's main() calls mpp::freeze_support() first thing; there, finding k_spawn_variable set, the
// process receives its setup and runs it (worker_main, or the Process target).
//
// The same setup messages are what the fork server (process/forkserver.hpp) receives to start a
// child: its forked child runs run_setup() on them exactly as a spawned one does.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstddef>
#include <span>
#include <string>

#include "mpp/detail/posix/child.hpp"
#include "mpp/detail/posix/fd.hpp"
#include "mpp/detail/remote/codec.hpp"
#include "mpp/detail/remote/remote.hpp"

namespace mpp::detail {

/// The environment variable that makes freeze_support() a worker; its value is the descriptor of
/// the setup socket (whatever number the parent's end had: a fixed number could replace a
/// descriptor the program passes on to its children on purpose). Removed from the worker's
/// environment before anything else runs there.
inline constexpr const char* k_spawn_variable = "MPP_SPAWN_FD";

/// What freeze_support() recorded: whether main() called it, and argv[0].
bool freeze_support_called() noexcept;
void record_freeze_support(const char* argv0);
/// argv[0] as freeze_support() recorded it ("mpp-worker" when it had none).
const std::string& program_name();

/// How function addresses cross to a spawned worker or a fork server's worker: (module build id,
/// offset). Installed on the threads that encode a spawn or forkserver pool's requests, and in the
/// worker.
const FunctionRelocation& spawn_relocation() noexcept;
const FunctionRelocation& forkserver_relocation() noexcept;
/// The same for an mpp::Process target under spawn or forkserver.
const FunctionRelocation& process_relocation() noexcept;

/// The most descriptors one setup message carries.
inline constexpr std::size_t k_setup_fds = 5;
/// The longest setup message: the header and a relocated initializer (a module name of 255 bytes).
inline constexpr std::size_t k_setup_max = 1024;

/// One setup message, ready to send: its bytes and the descriptors that go with it (the caller's;
/// sending duplicates them).
struct SetupMessage {
  ByteBuffer bytes;
  std::array<int, k_setup_fds> fds{-1, -1, -1, -1, -1};
  std::size_t fd_count = 0;
};

/// What one pool worker is given. The descriptors stay the caller's (it closes them after).
struct SpawnSetup {
  int worker_shared_fd = -1;  // memfd of the WorkerShared page
  int requests_fd = -1;       // memfds of the two rings
  int responses_fd = -1;
  std::size_t ring_bytes = 0;
  int dispatcher_fd = -1;  // memfd of the DispatcherShared page
  int wake_fd = -1;        // the dispatcher's eventfd
  void (*initializer)() = nullptr;
  std::size_t maxtasks = 0;
  bool timed = false;
  std::size_t index = 0;
};

/// A pool worker's setup. `relocation` encodes the initializer (spawn_relocation() or
/// forkserver_relocation()). Throws mpp::SerializationError when the initializer cannot be named.
SetupMessage worker_setup_message(const SpawnSetup& setup, const FunctionRelocation& relocation);
/// An mpp::Process child's setup: `payload_fd` is a memfd holding what process_payload_main() runs.
SetupMessage process_setup_message(int payload_fd);
/// The message that makes a spawned process the fork server.
SetupMessage server_setup_message();

/// Sends one message on an AF_UNIX SOCK_SEQPACKET socket, descriptors attached (MSG_NOSIGNAL).
/// Returns 0 or -errno (EPIPE, ECONNRESET: the peer is gone).
long send_message(int socket, std::span<const std::byte> bytes, std::span<const int> fds) noexcept;
/// Closes each descriptor of `fds` that is open (>= 0) and sets it to -1: received ones not wanted.
void close_fds(std::span<int> fds) noexcept;
/// Receives one message into `buffer`, its descriptors (close-on-exec) into `fds` (at most
/// fds.size(); more are closed; the unused entries stay -1). Returns its length, 0 at end of file,
/// or -errno; -EMSGSIZE when the message or its descriptors were truncated (the descriptors it did
/// get are in `fds`, the caller's to close). With `fds_lost`, a message that came whole but whose
/// descriptors did not (this process had no room for them: EMFILE) returns its length and sets it.
long receive_message(int socket, std::span<std::byte> buffer, std::span<int> fds,
                     bool* fds_lost = nullptr) noexcept;

/// Runs /proc/self/exe with k_spawn_variable set, the message queued on its socket. The child
/// gets `death_signal` when the calling thread ends (0: none). With `parent_end`, the parent's end of
/// the socket (close-on-exec) is kept open and stored there; otherwise it is closed. Throws std::system_error
/// when a system call fails.
Child spawn_with_setup(const SetupMessage& message, int death_signal, Fd* parent_end = nullptr);

/// Starts a pool worker by spawning it. The child dies with the calling thread (PR_SET_PDEATHSIG),
/// as a forked worker does. Throws mpp::SerializationError when the initializer cannot be named for
/// the worker, std::system_error when a system call fails.
Child spawn_worker(const SpawnSetup& setup);

/// In freeze_support() of a spawned process: receives the setup from descriptor `fd` and runs it
/// (a pool worker, a Process target, or the fork server). Never returns.
[[noreturn]] void run_spawned_worker(int fd) noexcept;

/// Runs a received setup message (not the server's): a pool worker (worker_main) or a Process
/// target. Takes the descriptors (closes them). `parent`: the process whose death ends a pool worker
/// (it checks it as it waits); 0: the one the message names (the program, for a spawned worker).
/// Never returns.
[[noreturn]] void run_setup(std::span<const std::byte> message, std::array<int, k_setup_fds>& fds,
                            pid_t parent, const FunctionRelocation& worker_relocation) noexcept;

/// Defined with mpp::Process (src/process.cpp): runs the target a process setup's memfd holds and
/// ends the process with its exit code.
[[noreturn]] void process_payload_main(int payload_fd) noexcept;

}  // namespace mpp::detail
