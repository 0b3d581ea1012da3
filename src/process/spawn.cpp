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
#include <mutex>
#include <string>
#include <vector>

#include "mpp/detail/remote/codec.hpp"
#include "posix/syscall.hpp"
#include "process/worker.hpp"
#include "remote/function_table.hpp"

namespace mpp::detail {
namespace {

// Exit code of a spawned worker whose setup is missing or malformed (Child::describe() shows it
// in the WorkerLost the pool reports).
constexpr int k_bad_setup = 7;

// Leads the setup message: mpp's, and this version of its layout.
constexpr std::uint64_t k_setup_magic = 0x6d70702d73706e31;  // "mpp-spn1"
constexpr std::size_t k_setup_fds = 5;
// The setup message at most: the header and a relocated initializer (a module name of 255 bytes).
constexpr std::size_t k_setup_max = 1024;

struct SetupHeader {
  std::uint64_t magic;
  std::uint64_t ring_bytes;
  std::uint64_t maxtasks;
  std::int64_t parent;
  std::uint32_t timed;
  std::uint32_t initializer_bytes;  // the relocated initializer follows; 0: none
};

std::atomic<bool> g_freeze_support{false};
std::string& program_name() {
  static std::string name;
  return name;
}

// Closes what it holds, unless released.
struct Fds {
  std::array<int, k_setup_fds> fd{-1, -1, -1, -1, -1};
  Fds() = default;
  Fds(const Fds&) = delete;
  Fds& operator=(const Fds&) = delete;
  ~Fds() {
    for (int f : fd)
      if (f >= 0) ::close(f);
  }
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
  if (::fstat(fd, &st) != 0 || static_cast<std::size_t>(st.st_size) < bytes)
    bad_setup("a shared page is too small");
  void* at = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (at == MAP_FAILED) bad_setup("mmap failed");
  return at;
}

std::size_t page_rounded(std::size_t bytes) noexcept {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return (bytes + page - 1) / page * page;
}

}  // namespace

bool freeze_support_called() noexcept { return g_freeze_support.load(std::memory_order_acquire); }

void record_freeze_support(const char* argv0) {
  program_name() = argv0 != nullptr && *argv0 != '\0' ? argv0 : "mpp-worker";
  g_freeze_support.store(true, std::memory_order_release);
}

const FunctionRelocation& spawn_relocation() noexcept {
  static const ModuleRelocation k_relocation(
      {"mpp::ProcessPool", "a spawned worker", "in the worker process", "spawned workers",
       "a spawned worker is a fresh run of the program: it has the libraries the program links, not "
       "those its parent dlopen()ed later; link the library, or dlopen() it in the pool's initializer "
       "too"});
  return k_relocation;
}

Child spawn_worker(const SpawnSetup& setup) {
  ByteBuffer message;
  SetupHeader header{k_setup_magic,         setup.ring_bytes,
                     setup.maxtasks,        static_cast<std::int64_t>(::getpid()),
                     setup.timed ? 1U : 0U, 0};
  append_bytes(message, &header, sizeof(header));
  if (setup.initializer != nullptr) {
    spawn_relocation().encode(message, reinterpret_cast<std::uintptr_t>(setup.initializer));
    header.initializer_bytes = static_cast<std::uint32_t>(message.size() - sizeof(header));
    std::memcpy(message.data(), &header, sizeof(header));
  }
  MPP_ASSERT(message.size() <= k_setup_max);

  int ends[2] = {-1, -1};
  posix::checked("socketpair", [&] { return ::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ends); });
  Fds sockets;
  sockets.fd[0] = ends[0];
  sockets.fd[1] = ends[1];

  // The whole setup is queued at the child's end before the child starts: it reads it whenever it
  // gets there, and nothing here waits for it.
  const int fds[k_setup_fds] = {setup.worker_shared_fd, setup.requests_fd, setup.responses_fd,
                                setup.dispatcher_fd, setup.wake_fd};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(fds))] = {};
  iovec iov{message.data(), message.size()};
  msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(fds));
  std::memcpy(CMSG_DATA(cmsg), fds, sizeof(fds));
  posix::checked("sendmsg", [&] { return ::sendmsg(ends[0], &msg, MSG_NOSIGNAL); });

  Child::SpawnOptions options;
  options.program = "/proc/self/exe";
  options.parent_death_signal = SIGKILL;
  options.pass_fd = ends[1];
  options.pass_fd_as = ends[1];  // the same number: only its close-on-exec flag is cleared
  options.environment.push_back(std::string(k_spawn_variable) + "=" + std::to_string(ends[1]));
  return Child::spawn({program_name()}, options);
}

void run_spawned_worker(int fd) noexcept {
  std::array<std::byte, k_setup_max> buffer{};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * k_setup_fds)] = {};
  iovec iov{buffer.data(), buffer.size()};
  msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  const ssize_t got = posix::retried("recvmsg", [&] { return ::recvmsg(fd, &msg, MSG_CMSG_CLOEXEC); });
  ::close(fd);  // one message only; the worker's own children must not inherit the socket
  Fds fds;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t k = 0; k < count; ++k) {
      int received = -1;
      std::memcpy(&received, CMSG_DATA(c) + k * sizeof(int), sizeof(int));
      if (k < k_setup_fds && fds.fd[k] < 0) {
        fds.fd[k] = received;
      } else {
        ::close(received);
      }
    }
  }
  if (got < 0) bad_setup("no message on its descriptor");
  if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0) bad_setup("a truncated message");
  SetupHeader header{};
  if (static_cast<std::size_t>(got) < sizeof(header)) bad_setup("a message too short");
  std::memcpy(&header, buffer.data(), sizeof(header));
  if (header.magic != k_setup_magic) bad_setup("a message of another kind or version");
  if (header.initializer_bytes != static_cast<std::size_t>(got) - sizeof(header))
    bad_setup("a malformed message");
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
    if (::fstat(fds.fd[k], &st) != 0 || static_cast<std::uint64_t>(st.st_size) != header.ring_bytes) {
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
  setup.parent = static_cast<pid_t>(header.parent);
  setup.maxtasks = header.maxtasks;
  setup.timed = header.timed != 0;
  setup.relocation = &spawn_relocation();
  std::exception_ptr initializer_error;
  if (header.initializer_bytes != 0) {
    try {
      ByteReader in(std::span<const std::byte>(buffer.data() + sizeof(header), header.initializer_bytes));
      // NOLINTNEXTLINE(performance-no-int-to-ptr): a code address, resolved in this process
      setup.initializer = reinterpret_cast<void (*)()>(spawn_relocation().decode(in));
    } catch (...) {
      // Reported as the initializer's failure (init_error), as if it had thrown.
      initializer_error = std::current_exception();
    }
  }
  setup.initializer_error = initializer_error;
  // The memfds are mapped; only the eventfd is still needed.
  for (int& f : fds.fd) {
    if (f >= 0) ::close(f);
    f = -1;
  }
  worker_main(setup);
}

}  // namespace mpp::detail
