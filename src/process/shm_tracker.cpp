// The /dev/shm tracker (shm_tracker.hpp). The tracker is cloned, not forked with glibc's fork: the
// program may be multi-threaded and have fork handlers, so the child runs only raw system calls on
// a stack of its own, in a session of its own and with every signal blocked (a Ctrl-C or a SIGKILL
// to the program's process group must not stop it before it cleans up). It reads lines "+name" and "-name"
// from its socket until end of file, keeps the names in memory it maps itself, and unlinks what is left.
#include "shm_tracker.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>

extern "C" int __clone(int (*fn)(void*), void* stack, int flags, void* arg, ...);

namespace mpp::detail::shm_tracker {
namespace {

constexpr std::size_t k_stack_size = std::size_t{64} * 1024;
constexpr std::size_t k_read_size = 4096;

struct TrackerStart {
  int socket = -1;  // the tracker's end
};

// Raw system calls only (see the file comment). The names live in `table`, each ending in '\n'.
// NOLINTNEXTLINE(cppcoreguidelines-pro-type-vararg): syscall(2)
__attribute__((no_sanitize("address", "thread", "undefined"))) int tracker_main(void* arg) {
  const int socket = static_cast<TrackerStart*>(arg)->socket;
  // A session of its own: a signal to the program's whole process group (timeout -s KILL, a job
  // runner ending a job) must not end the tracker with the program.
  ::syscall(SYS_setsid);
  // Only the socket stays open: the tracker must not keep any of the program's pipes alive.
  if (socket != 0 && ::syscall(SYS_dup3, socket, 0, O_CLOEXEC) < 0) ::syscall(SYS_exit_group, 1);
  if (::syscall(SYS_close_range, 1U, ~0U, 0U) != 0) {
    for (long fd = 1; fd < 65536; ++fd) ::syscall(SYS_close, fd);
  }
  // Ready: in its own session, so the program may now be killed with its process group.
  const char ready = 'r';
  if (::syscall(SYS_write, 0, &ready, 1) != 1) ::syscall(SYS_exit_group, 1);
  std::size_t capacity = std::size_t{1} << 20;  // reserved; pages are used as the names need them
  auto* table = reinterpret_cast<char*>(::syscall(SYS_mmap, nullptr, capacity, PROT_READ | PROT_WRITE,
                                                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0));
  if (reinterpret_cast<long>(table) == -1) ::syscall(SYS_exit_group, 1);
  std::size_t used = 0;
  char input[k_read_size];
  std::size_t pending = 0;  // bytes of an unfinished line at the start of input
  for (;;) {
    const long got = ::syscall(SYS_read, 0, input + pending, sizeof input - pending);
    if (got == -1 && errno == EINTR) continue;
    if (got <= 0) break;  // end of file (or an error): the program has gone
    std::size_t end = pending + static_cast<std::size_t>(got);
    std::size_t start = 0;
    for (std::size_t i = 0; i < end; ++i) {
      if (input[i] != '\n') continue;
      const char op = input[start];
      const char* name = input + start + 1;
      const std::size_t length = i - start;  // the name and its '\n'
      if (op == '+' && used + length <= capacity) {
        for (std::size_t k = 0; k < length; ++k) table[used + k] = name[k];
        used += length;
      } else if (op == '-') {
        // Remove one entry equal to the name (its '\n' included).
        for (std::size_t at = 0; at < used;) {
          std::size_t next = at;
          while (table[next] != '\n') ++next;
          ++next;
          bool same = next - at == length;
          for (std::size_t k = 0; same && k < length; ++k) same = table[at + k] == name[k];
          if (same) {
            for (std::size_t k = next; k < used; ++k) table[k - length] = table[k];
            used -= length;
            break;
          }
          at = next;
        }
      }
      start = i + 1;
    }
    pending = end - start;
    for (std::size_t k = 0; k < pending; ++k) input[k] = input[start + k];
    if (pending == sizeof input) pending = 0;  // a line longer than any name: dropped
  }
  const long dir = ::syscall(SYS_openat, AT_FDCWD, "/dev/shm", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    for (std::size_t at = 0; at < used;) {
      std::size_t next = at;
      while (table[next] != '\n') ++next;
      table[next] = '\0';
      ::syscall(SYS_unlinkat, dir, table + at, 0);
      at = next + 1;
    }
  }
  ::syscall(SYS_exit_group, 0);
  return 0;
}

struct Tracker {
  std::mutex mutex;
  int socket = -1;  // this process's end; -1: none yet, or none could be started
  pid_t owner = 0;  // the process that started it: a forked child starts its own
  bool failed = false;
};

Tracker& tracker() {
  static auto* t = new Tracker;  // never destroyed: used by destructors of static objects
  return *t;
}

// Under the mutex. A forked child inherited its parent's end: it keeps it open (its parent's names
// stay until it ends too) and starts a tracker of its own for what it creates.
bool ensure_started(Tracker& t) {
  const pid_t self = ::getpid();
  if (t.owner == self) return t.socket >= 0;
  t.owner = self;
  t.socket = -1;
  int ends[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0) return false;
  TrackerStart start{ends[1]};
  const auto stack = std::make_unique<std::max_align_t[]>(k_stack_size / sizeof(std::max_align_t));
  sigset_t all;
  sigset_t previous;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &previous);
  // Not CLONE_VM: the tracker has a copy of this process's memory, as a fork would give it, and no
  // fork handlers run. glibc's clone under its other exported name, which ThreadSanitizer does not
  // intercept (tracker_main runs none of its code).
  const int pid =
      ::__clone(tracker_main, stack.get() + k_stack_size / sizeof(std::max_align_t), SIGCHLD, &start);
  ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  ::close(ends[1]);
  if (pid < 0) {
    ::close(ends[0]);
    return false;
  }
  // Wait for it to be in its own session: a SIGKILL to the process group right after the first
  // segment is made must not reach it.
  char ready = 0;
  ssize_t got = 0;
  do {
    got = ::read(ends[0], &ready, 1);
  } while (got < 0 && errno == EINTR);
  if (got != 1) {
    ::close(ends[0]);
    return false;
  }
  t.socket = ends[0];
  return true;
}

void send_line(char op, std::string_view name) noexcept {
  if (name.empty() || name.size() > 250) return;
  Tracker& t = tracker();
  const std::lock_guard lock(t.mutex);
  if (!ensure_started(t)) return;
  char line[256];
  line[0] = op;
  std::memcpy(line + 1, name.data(), name.size());
  line[name.size() + 1] = '\n';
  const std::size_t length = name.size() + 2;
  // One send of at most 252 bytes; MSG_NOSIGNAL: a tracker that was killed is no SIGPIPE here.
  std::size_t sent = 0;
  while (sent < length) {
    const ssize_t rc = ::send(t.socket, line + sent, length - sent, MSG_NOSIGNAL);
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) return;
    sent += static_cast<std::size_t>(rc);
  }
}

}  // namespace

void track(std::string_view name) noexcept { send_line('+', name); }

void untrack(std::string_view name) noexcept { send_line('-', name); }

}  // namespace mpp::detail::shm_tracker
