#include "process/spawn.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <bit>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "mpp/detail/remote/codec.hpp"
#include "posix/syscall.hpp"
#include "process/forkserver.hpp"
#include "process/worker.hpp"
#include "remote/function_table.hpp"

namespace mpp::detail {
namespace {

// Exit code of a spawned worker whose setup is missing or malformed (Child::describe() shows it
// in the WorkerLost the pool reports).
constexpr int k_bad_setup = 7;

// Each setup message leads with its kind: mpp's, and this version of its layout.
constexpr std::uint64_t k_setup_magic = 0x6d70702d73706e32;    // "mpp-spn2": a pool worker
constexpr std::uint64_t k_process_magic = 0x6d70702d70726331;  // "mpp-prc1": an mpp::Process child
constexpr std::uint64_t k_server_magic = 0x6d70702d66737631;   // "mpp-fsv1": the fork server

struct SetupHeader {
  std::uint64_t magic;
  std::uint64_t ring_bytes;
  std::uint64_t maxtasks;
  std::int64_t parent;
  std::uint64_t index;
  std::uint32_t timed;
  std::uint32_t initializer_bytes;  // the relocated initializer follows; 0: none
};

std::atomic<bool> g_freeze_support{false};
std::string& recorded_program_name() {
  static std::string name;
  return name;
}

// Closes what it holds.
struct Fds {
  std::array<int, k_setup_fds>& fd;
  explicit Fds(std::array<int, k_setup_fds>& fds) noexcept : fd(fds) {}
  Fds(const Fds&) = delete;
  Fds& operator=(const Fds&) = delete;
  ~Fds() { close_fds(fd); }
};

[[noreturn]] void bad_setup(const char* why) noexcept {
  std::fprintf(stderr,
               "mpp::freeze_support: %s is set, but this process got no valid ProcessPool worker setup "
               "(%s); ending it\n",
               k_spawn_variable, why);
  std::fflush(stderr);
  ::_exit(k_bad_setup);
}

// Maps `bytes` of `fd` shared, or ends the process.
void* map_shared(int fd, std::size_t bytes) noexcept {
  struct stat st = {};
  if (posix::retried("fstat", [&] { return ::fstat(fd, &st); }) != 0 ||
      static_cast<std::size_t>(st.st_size) < bytes)
    bad_setup("a shared page is too small");
  try {
    return posix::checked_mmap("mmap", nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  } catch (...) {
    bad_setup("mmap failed");
  }
}

std::size_t page_rounded(std::size_t bytes) noexcept {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return (bytes + page - 1) / page * page;
}

std::uint64_t magic_of(std::span<const std::byte> message) noexcept {
  std::uint64_t magic = 0;
  if (message.size() >= sizeof(magic)) std::memcpy(&magic, message.data(), sizeof(magic));
  return magic;
}

[[noreturn]] void run_worker_setup(std::span<const std::byte> message, std::array<int, k_setup_fds>& fd_array,
                                   pid_t parent, const FunctionRelocation& relocation) noexcept {
  Fds fds(fd_array);
  SetupHeader header{};
  if (message.size() < sizeof(header)) bad_setup("a message too short");
  std::memcpy(&header, message.data(), sizeof(header));
  if (header.initializer_bytes != message.size() - sizeof(header)) bad_setup("a malformed message");
  for (int f : fds.fd)
    if (f < 0) bad_setup("descriptors missing");
  if (!std::has_single_bit(header.ring_bytes) ||
      header.ring_bytes < static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE))) {
    bad_setup("a bad ring size");
  }

  // Mapped for the rest of the process's life: it ends with _exit.
  auto* shared = static_cast<WorkerShared*>(map_shared(fds.fd[0], page_rounded(sizeof(WorkerShared))));
  auto* dispatcher =
      static_cast<DispatcherShared*>(map_shared(fds.fd[3], page_rounded(sizeof(DispatcherShared))));
  for (int k : {1, 2}) {
    struct stat st = {};
    if (posix::retried("fstat", [&] { return ::fstat(fds.fd[k], &st); }) != 0 ||
        static_cast<std::uint64_t>(st.st_size) != header.ring_bytes) {
      bad_setup("a ring of the wrong size");
    }
  }
  static Ring requests;
  static Ring responses;
  try {
    requests = Ring::attach(fds.fd[1], header.ring_bytes, &shared->requests);
    responses = Ring::attach(fds.fd[2], header.ring_bytes, &shared->responses);
  } catch (...) {
    bad_setup("its rings cannot be mapped");
  }

  WorkerSetup setup;
  setup.shared = shared;
  setup.requests = &requests;
  setup.responses = &responses;
  setup.dispatcher = dispatcher;
  setup.wake_fd = fds.fd[4];
  fds.fd[4] = -1;  // the worker's from now on
  setup.parent = parent != 0 ? parent : static_cast<pid_t>(header.parent);
  setup.maxtasks = header.maxtasks;
  setup.timed = header.timed != 0;
  setup.index = header.index;
  setup.relocation = &relocation;
  std::exception_ptr initializer_error;
  if (header.initializer_bytes != 0) {
    try {
      ByteReader in(message.subspan(sizeof(header), header.initializer_bytes));
      // NOLINTNEXTLINE(performance-no-int-to-ptr): a code address, resolved in this process
      setup.initializer = reinterpret_cast<void (*)()>(relocation.decode(in));
    } catch (...) {
      // Reported as the initializer's failure (init_error), as if it had thrown.
      initializer_error = std::current_exception();
    }
  }
  setup.initializer_error = initializer_error;
  // The memfds are mapped; only the eventfd is still needed.
  close_fds(fds.fd);
  worker_main(setup);
}

}  // namespace

bool freeze_support_called() noexcept { return g_freeze_support.load(std::memory_order_acquire); }

void record_freeze_support(const char* argv0) {
  recorded_program_name() = argv0 != nullptr && *argv0 != '\0' ? argv0 : "mpp-worker";
  g_freeze_support.store(true, std::memory_order_release);
}

const std::string& program_name() { return recorded_program_name(); }

const FunctionRelocation& spawn_relocation() noexcept {
  static const ModuleRelocation k_relocation(
      {"mpp::ProcessPool", "a spawned worker", "in the worker process", "spawned workers",
       "a spawned worker is a fresh run of the program: it has the libraries the program links, not "
       "those its parent dlopen()ed later; link the library, or dlopen() it in the pool's initializer "
       "too"});
  return k_relocation;
}

const FunctionRelocation& forkserver_relocation() noexcept {
  static const ModuleRelocation k_relocation(
      {"mpp::ProcessPool", "a forkserver worker", "in the worker process", "forkserver workers",
       "a forkserver worker is forked from a fresh run of the program (the fork server): it has the "
       "libraries the program links, not those its parent dlopen()ed later; link the library, or "
       "dlopen() it in the pool's initializer too"});
  return k_relocation;
}

const FunctionRelocation& process_relocation() noexcept {
  static const ModuleRelocation k_relocation(
      {"mpp::Process", "the child process", "in the child process", "child processes",
       "under the spawn and forkserver start methods the child is (forked from) a fresh run of the "
       "program: it has the libraries the program links, not those its parent dlopen()ed later"});
  return k_relocation;
}

SetupMessage worker_setup_message(const SpawnSetup& setup, const FunctionRelocation& relocation) {
  SetupMessage message;
  SetupHeader header{k_setup_magic,
                     setup.ring_bytes,
                     setup.maxtasks,
                     static_cast<std::int64_t>(::getpid()),
                     setup.index,
                     setup.timed ? 1U : 0U,
                     0};
  append_bytes(message.bytes, &header, sizeof(header));
  if (setup.initializer != nullptr) {
    relocation.encode(message.bytes, reinterpret_cast<std::uintptr_t>(setup.initializer));
    header.initializer_bytes = static_cast<std::uint32_t>(message.bytes.size() - sizeof(header));
    std::memcpy(message.bytes.data(), &header, sizeof(header));
  }
  MPP_ASSERT(message.bytes.size() <= k_setup_max);
  message.fds = {setup.worker_shared_fd, setup.requests_fd, setup.responses_fd, setup.dispatcher_fd,
                 setup.wake_fd};
  message.fd_count = 5;
  return message;
}

namespace {
// A message that is its kind alone. (resize and memcpy: g++ 12 at -O3 takes an insert into the
// empty vector for an overflow, -Wstringop-overflow.)
ByteBuffer magic_only(std::uint64_t magic) {
  ByteBuffer bytes(sizeof(magic));
  std::memcpy(bytes.data(), &magic, sizeof(magic));
  return bytes;
}
}  // namespace

SetupMessage process_setup_message(int payload_fd) {
  SetupMessage message;
  message.bytes = magic_only(k_process_magic);
  message.fds[0] = payload_fd;
  message.fd_count = 1;
  return message;
}

SetupMessage server_setup_message() {
  SetupMessage message;
  message.bytes = magic_only(k_server_magic);
  return message;
}

void close_fds(std::span<int> fds) noexcept {
  for (int& f : fds) Fd(std::exchange(f, -1)).reset();
}

long send_message(int socket, std::span<const std::byte> bytes, std::span<const int> fds) noexcept {
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * k_setup_fds)] = {};
  iovec iov{const_cast<std::byte*>(bytes.data()), bytes.size()};
  msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (!fds.empty()) {
    MPP_ASSERT(fds.size() <= k_setup_fds);
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(cmsg), fds.data(), sizeof(int) * fds.size());
  }
  const long rc = posix::retried("sendmsg", [&] { return ::sendmsg(socket, &msg, MSG_NOSIGNAL); });
  return rc < 0 ? rc : 0;
}

long receive_message(int socket, std::span<std::byte> buffer, std::span<int> fds, bool* fds_lost) noexcept {
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * k_setup_fds)] = {};
  iovec iov{buffer.data(), buffer.size()};
  msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  const long got = posix::retried("recvmsg", [&] { return ::recvmsg(socket, &msg, MSG_CMSG_CLOEXEC); });
  for (int& f : fds) f = -1;
  if (got < 0) return got;
  std::size_t taken = 0;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t k = 0; k < count; ++k) {
      int received = -1;
      std::memcpy(&received, CMSG_DATA(c) + k * sizeof(int), sizeof(int));
      if (taken < fds.size()) {
        fds[taken++] = received;
      } else {
        Fd(received).reset();
      }
    }
  }
  if (fds_lost != nullptr) *fds_lost = (msg.msg_flags & MSG_CTRUNC) != 0;
  if ((msg.msg_flags & MSG_TRUNC) != 0 || (fds_lost == nullptr && (msg.msg_flags & MSG_CTRUNC) != 0)) {
    return -EMSGSIZE;
  }
  return got;
}

Child spawn_with_setup(const SetupMessage& message, int death_signal, Fd* parent_end) {
  // As before a fork: what the program wrote so far comes out before anything the new process
  // writes (only streams no other thread holds: never waits).
  (void)flush_free_standard_streams();
  int ends[2] = {-1, -1};
  posix::checked("socketpair", [&] { return ::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ends); });
  Fd ours(ends[0]);
  const Fd theirs(ends[1]);

  // The whole setup is queued at the child's end before the child starts: it reads it whenever it
  // gets there, and nothing here waits for it.
  const long sent =
      send_message(ours.get(), message.bytes, std::span<const int>(message.fds.data(), message.fd_count));
  if (sent < 0) posix::throw_errno("sendmsg", static_cast<int>(-sent));

  Child::SpawnOptions options;
  options.program = "/proc/self/exe";
  options.parent_death_signal = death_signal;
  options.pass_fd = theirs.get();
  options.pass_fd_as = theirs.get();  // the same number: only its close-on-exec flag is cleared
  options.environment.push_back(std::string(k_spawn_variable) + "=" + std::to_string(theirs.get()));
  Child child = Child::spawn({program_name()}, options);
  if (parent_end != nullptr) *parent_end = std::move(ours);
  return child;
}

Child spawn_worker(const SpawnSetup& setup) {
  return spawn_with_setup(worker_setup_message(setup, spawn_relocation()), SIGKILL);
}

void run_setup(std::span<const std::byte> message, std::array<int, k_setup_fds>& fds, pid_t parent,
               const FunctionRelocation& worker_relocation) noexcept {
  switch (magic_of(message)) {
    case k_setup_magic:
      run_worker_setup(message, fds, parent, worker_relocation);
    case k_process_magic: {
      const int payload = fds[0];
      fds[0] = -1;
      { Fds rest(fds); }
      if (payload < 0 || message.size() != sizeof(k_process_magic)) bad_setup("a malformed process setup");
      process_payload_main(payload);
    }
    default: {
      Fds all(fds);
      bad_setup("a message of another kind or version");
    }
  }
}

void run_spawned_worker(int fd) noexcept {
  std::array<std::byte, k_setup_max> buffer{};
  std::array<int, k_setup_fds> fds{-1, -1, -1, -1, -1};
  const long got = receive_message(fd, buffer, fds);
  if (got < 0 && got != -EMSGSIZE) bad_setup("no message on its descriptor");
  const std::span<const std::byte> message(buffer.data(), got < 0 ? 0 : static_cast<std::size_t>(got));
  if (got >= 0 && magic_of(message) == k_server_magic && message.size() == sizeof(k_server_magic)) {
    close_fds(fds);
    run_fork_server(fd);  // the socket is its channel to the program
  }
  Fd(fd).reset();  // one message only; the worker's own children must not inherit the socket
  if (got < 0) {
    Fds all(fds);
    bad_setup("a truncated message");
  }
  run_setup(message, fds, 0, spawn_relocation());
}

}  // namespace mpp::detail
