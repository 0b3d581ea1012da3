#include "process/forkserver.hpp"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/fork_generation.hpp"
#include "mpp/detail/posix/fd.hpp"
#include "mpp/errors.hpp"
#include "posix/syscall.hpp"

namespace mpp::detail {
namespace {

constexpr std::uint64_t k_request_magic = 0x6d70702d66737231;  // "mpp-fsr1"
constexpr std::uint64_t k_reply_magic = 0x6d70702d66736131;    // "mpp-fsa1"

enum class RequestKind : std::uint32_t { start = 1, reap = 2, forget = 3 };

struct RequestHeader {
  std::uint64_t magic;
  RequestKind kind;
  std::uint32_t reserved;
  std::int64_t pid;  // reap, forget
};

struct Reply {
  std::uint64_t magic;
  std::int64_t pid;
  std::int32_t error;  // errno of the server's failure; 0: none
  std::int32_t ended;  // reap: 1 when `status` is the child's wait status
  std::int32_t status;
  std::int32_t reserved;
};

constexpr std::size_t k_request_max = sizeof(RequestHeader) + k_setup_max;

int open_pidfd(pid_t pid) noexcept {
  // A descriptor, or -errno.
  return static_cast<int>(posix::retried("pidfd_open", [&] { return ::syscall(SYS_pidfd_open, pid, 0); }));
}

// After a send (0: sent) or a receive (0: end of file): whether the server's end is closed.
bool send_failed_for_good(long rc) noexcept { return rc == -EPIPE || rc == -ECONNRESET || rc == -ENOTCONN; }
bool receive_found_it_gone(long rc) noexcept { return rc == 0 || send_failed_for_good(rc); }

// The channel of the running server, closed in every process forked from this one (at most one
// server is alive per process: a dead one's channel is closed before another starts). A copy of
// Server::fd_ as a plain int: the atfork handler reads it without the server's mutex.
std::atomic<int> g_channel_fd{-1};

void close_channel_in_child() noexcept { Fd(g_channel_fd.exchange(-1, std::memory_order_relaxed)).reset(); }

// The server's channel ended (it died) or broke: the request cannot be answered.
struct ServerGone {};

// One run of the fork server, as the program sees it. Adopted children keep it (their status
// source) after another has replaced it.
// Who this process runs as. The server's children run as the server does, which is as the program
// did when it started the server: a program that changed its credentials since (a root daemon
// dropping its privileges) gets a new server, so that its new workers never keep the old ones.
struct Credentials {
  uid_t uid[3] = {};  // real, effective, saved
  gid_t gid[3] = {};
  bool operator==(const Credentials&) const = default;
};

Credentials current_credentials() noexcept {
  Credentials c;
  ::getresuid(&c.uid[0], &c.uid[1], &c.uid[2]);
  ::getresgid(&c.gid[0], &c.gid[1], &c.gid[2]);
  return c;
}

class Server final : public StatusSource, public std::enable_shared_from_this<Server> {
 public:
  Server() = default;
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  ~Server() {
    if (fork_generation() != generation_) return;  // a forked copy: the descriptor is not ours
    try {
      end_channel();
    } catch (...) {  // destructors never throw
    }
  }

  // Spawns the server. Throws std::system_error.
  static std::shared_ptr<Server> start() {
    static const bool registered = ::pthread_atfork(nullptr, nullptr, &close_channel_in_child) == 0;
    (void)registered;
    auto server = std::make_shared<Server>();
    server->generation_ = fork_generation();
    server->credentials_ = current_credentials();
    Fd end;
    // No death signal: the server outlives the thread that starts it; it ends with the channel.
    server->process_ = spawn_with_setup(server_setup_message(), 0, &end);
    g_channel_fd.store(end.get(), std::memory_order_relaxed);
    server->fd_ = std::move(end);
    return server;
  }

  bool alive() {
    const std::lock_guard lock(mutex_);
    return static_cast<bool>(fd_);
  }
  pid_t pid() const noexcept { return process_.pid(); }
  /// Whether it runs as this process does now.
  bool same_credentials() const noexcept { return credentials_ == current_credentials(); }
  int channel() {
    const std::lock_guard lock(mutex_);
    return fd_.get();
  }

  // Throws ServerGone when the server has ended.
  Child start_child(const SetupMessage& message) {
    const std::lock_guard lock(mutex_);
    if (!fd_) throw ServerGone{};
    ByteBuffer request;
    const RequestHeader header{k_request_magic, RequestKind::start, 0, 0};
    append_bytes(request, &header, sizeof(header));
    request.insert(request.end(), message.bytes.begin(), message.bytes.end());
    Fd pidfd;
    const Reply reply = exchange(request, std::span<const int>(message.fds.data(), message.fd_count), &pidfd);
    if (reply.error != 0) {
      posix::throw_errno(reply.error == EMFILE
                             ? "mpp: the fork server could not start a process: no descriptor left there"
                             : "mpp: the fork server could not start a process: fork",
                         reply.error);
    }
    if (!pidfd || reply.pid <= 0) broken();
    return Child::adopt(static_cast<pid_t>(reply.pid), pidfd.release(), shared_from_this());
  }

  std::optional<int> reap(pid_t pid) override {
    if (fork_generation() != generation_) {
      throw Error("mpp: process " + std::to_string(pid) +
                  " was started by the fork server of the process this one was forked from: only that "
                  "process can read its exit status");
    }
    const std::lock_guard lock(mutex_);
    try {
      if (!fd_) throw ServerGone{};
      ByteBuffer request;
      const RequestHeader header{k_request_magic, RequestKind::reap, 0, pid};
      append_bytes(request, &header, sizeof(header));
      const Reply reply = exchange(request, {}, nullptr);
      if (reply.error != 0) posix::throw_errno("mpp: the fork server's waitpid", reply.error);
      if (reply.ended == 0) return std::nullopt;
      return reply.status;
    } catch (const ServerGone&) {
      throw StatusLost("mpp: the fork server that started process " + std::to_string(pid) +
                       " ended before reporting how that process ended: its exit status is lost");
    }
  }

  void forget(pid_t pid) noexcept override {
    if (fork_generation() != generation_) return;
    const std::lock_guard lock(mutex_);
    if (!fd_) return;
    const RequestHeader header{k_request_magic, RequestKind::forget, 0, pid};
    const long rc =
        send_message(fd_.get(), std::span(reinterpret_cast<const std::byte*>(&header), sizeof(header)), {});
    if (send_failed_for_good(rc)) mark_gone();
  }

 private:
  // Sends a request and reads its reply (and the descriptor it carries, into `fd`). Under mutex_.
  Reply exchange(std::span<const std::byte> request, std::span<const int> fds, Fd* fd) {
    long rc = send_message(fd_.get(), request, fds);
    if (send_failed_for_good(rc)) {
      mark_gone();
      throw ServerGone{};
    }
    if (rc < 0) posix::throw_errno("sendmsg", static_cast<int>(-rc));
    Reply reply{};
    int received = -1;
    bool fds_lost = false;
    rc = receive_message(fd_.get(), std::span(reinterpret_cast<std::byte*>(&reply), sizeof(reply)),
                         std::span(&received, 1), &fds_lost);
    Fd owned(received);
    if (fd != nullptr) *fd = std::move(owned);
    if (receive_found_it_gone(rc)) {
      mark_gone();
      throw ServerGone{};
    }
    if (rc < 0 && rc != -EMSGSIZE) posix::throw_errno("recvmsg", static_cast<int>(-rc));
    if (rc != static_cast<long>(sizeof(reply)) || reply.magic != k_reply_magic) {
      if (fd != nullptr) fd->reset();
      broken();
    }
    if (fds_lost) {
      // The reply came whole, but this process had no descriptor left for the one it carried (the
      // new process's pidfd): that process could not be watched. It is killed (safe by pid: the
      // server reaps it only once told to forget it) and left to the server; the server stays.
      if (reply.error == 0 && reply.pid > 0) {
        (void)posix::retried("kill", [&] { return ::kill(static_cast<pid_t>(reply.pid), SIGKILL); });
        const RequestHeader forget{k_request_magic, RequestKind::forget, 0, reply.pid};
        rc = send_message(fd_.get(), std::span(reinterpret_cast<const std::byte*>(&forget), sizeof(forget)),
                          {});
        if (send_failed_for_good(rc)) mark_gone();
      }
      posix::throw_errno("mpp: no descriptor left in this process for the fork server's new process", EMFILE);
    }
    return reply;
  }

  // The server answered something else than a reply: it is not to be trusted any more.
  [[noreturn]] void broken() {
    mark_gone();
    throw Error("mpp: the fork server sent a malformed reply; it was stopped");
  }

  // The channel ended or broke: close it and reap the server. Under mutex_.
  void mark_gone() noexcept {
    try {
      end_channel();
    } catch (...) {  // its status is nobody's business
    }
  }

  void end_channel() {
    if (fd_) {
      int expected = fd_.get();
      g_channel_fd.compare_exchange_strong(expected, -1, std::memory_order_relaxed);
      fd_.reset();
    }
    if (process_ && !process_.poll()) {
      // It exits at end of file on its channel: give it a moment, then make sure.
      if (!process_.wait_until(deadline_after(std::chrono::seconds(1)))) {
        process_.signal(SIGKILL);
        process_.wait();
      }
    }
  }

  std::mutex mutex_;
  Fd fd_;          // under mutex_
  Child process_;  // reaped under mutex_ (end_channel)
  std::uint64_t generation_ = 0;
  Credentials credentials_;
};

// The program's fork server. A process forked from the program gets a client of its own (the
// parent's mutex may be held there by a thread that does not exist in it), and so a server of its
// own when it needs one.
struct Client {
  std::mutex mutex;
  std::shared_ptr<Server> current;  // under mutex
  std::uint64_t generation = 0;
};

std::atomic<Client*> g_client{nullptr};

Client& client() {
  const std::uint64_t generation = fork_generation();
  Client* current = g_client.load(std::memory_order_acquire);
  if (current != nullptr && current->generation == generation) return *current;
  // The parent's client (if any) is left as it is: it belongs to the parent.
  auto* fresh = new Client;  // NOLINT(cppcoreguidelines-owning-memory): lives as long as the process
  fresh->generation = generation;
  if (g_client.compare_exchange_strong(current, fresh, std::memory_order_acq_rel)) return *fresh;
  delete fresh;  // NOLINT(cppcoreguidelines-owning-memory)
  return *current;
}

// --- the server ------------------------------------------------------------------------------

void send_reply(int fd, const Reply& reply, int pidfd) noexcept {
  const long rc =
      pidfd >= 0 ? send_message(fd, std::span(reinterpret_cast<const std::byte*>(&reply), sizeof(reply)),
                                std::span(&pidfd, 1))
                 : send_message(fd, std::span(reinterpret_cast<const std::byte*>(&reply), sizeof(reply)), {});
  if (rc < 0) ::_exit(0);  // the program is gone
}

[[noreturn]] void serve_child(int channel, std::span<const std::byte> body, std::array<int, k_setup_fds>& fds,
                              pid_t server, std::map<pid_t, Fd>& forgotten) noexcept {
  // First of all: die with the server, and make sure it did not die before that. (The seam is fine
  // after this fork: the server is single-threaded.)
  (void)posix::retried("prctl", [] { return ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
  if (::getppid() != server) ::_exit(1);
  Fd(channel).reset();
  forgotten.clear();          // closes their pidfds, the server's
  ::signal(SIGINT, SIG_DFL);  // the server ignores Ctrl-C; its children decide for themselves
  run_setup(body, fds, server, forkserver_relocation());
}

}  // namespace

Child forkserver_start(const SetupMessage& message) {
  // As before a fork: what the program wrote so far comes out before anything the new process
  // writes (only streams no other thread holds: never waits).
  (void)flush_free_standard_streams();
  Client& c = client();
  const std::lock_guard lock(c.mutex);
  for (int attempt = 0;; ++attempt) {
    // A server that runs as the program no longer does serves the children it has (they keep it),
    // and a new one starts the new ones.
    if (!c.current || !c.current->alive() || !c.current->same_credentials()) c.current = Server::start();
    try {
      return c.current->start_child(message);
    } catch (const ServerGone&) {
      if (attempt > 0)
        throw Error(
            "mpp: the fork server ended while starting a process, twice in a row (see its standard error)");
    }
  }
}

pid_t forkserver_pid() noexcept {
  Client& c = client();
  const std::lock_guard lock(c.mutex);
  return c.current && c.current->alive() ? c.current->pid() : -1;
}

int forkserver_channel_fd() noexcept {
  Client& c = client();
  const std::lock_guard lock(c.mutex);
  return c.current ? c.current->channel() : -1;
}

void run_fork_server(int fd) noexcept {
  // Ctrl-C reaches the whole process group: the program decides; the server ends with it.
  ::signal(SIGINT, SIG_IGN);
  // What main() wrote before freeze_support() is written once, not again by each child.
  flush_standard_streams();
  const pid_t self = ::getpid();
  std::map<pid_t, Fd> forgotten;  // children nobody will reap: their pidfds
  std::vector<pollfd> watched;
  std::array<std::byte, k_request_max> buffer{};
  for (;;) {
    watched.assign(1, pollfd{fd, POLLIN, 0});
    for (const auto& [pid, pidfd] : forgotten) watched.push_back({pidfd.get(), POLLIN, 0});
    if (posix::retried("poll", [&] { return ::poll(watched.data(), watched.size(), -1); }) < 0) ::_exit(1);
    for (std::size_t k = 1; k < watched.size(); ++k) {
      if (watched[k].revents == 0) continue;
      for (auto it = forgotten.begin(); it != forgotten.end(); ++it) {
        if (it->second.get() != watched[k].fd) continue;
        int status = 0;
        if (posix::retried("waitpid", [&] { return ::waitpid(it->first, &status, WNOHANG); }) != 0) {
          forgotten.erase(it);
        }
        break;
      }
    }
    if (watched[0].revents == 0) continue;

    std::array<int, k_setup_fds> fds{-1, -1, -1, -1, -1};
    bool fds_lost = false;  // the request came whole, its descriptors did not: no room here
    const long got = receive_message(fd, buffer, fds, &fds_lost);
    if (got == 0 || (got < 0 && got != -EMSGSIZE)) ::_exit(0);  // the program ended
    RequestHeader header{};
    const bool valid = got >= static_cast<long>(sizeof(header));
    if (valid) std::memcpy(&header, buffer.data(), sizeof(header));
    Reply reply{k_reply_magic, header.pid, 0, 0, 0, 0};
    if (!valid || header.magic != k_request_magic || fds_lost) {
      close_fds(fds);
      reply.error = fds_lost ? EMFILE : EPROTO;
      send_reply(fd, reply, -1);
      continue;
    }
    switch (header.kind) {
      case RequestKind::start: {
        const std::span<const std::byte> body(buffer.data() + sizeof(header),
                                              static_cast<std::size_t>(got) - sizeof(header));
        const pid_t pid = posix::retried("fork", [] { return ::fork(); });
        if (pid == 0) serve_child(fd, body, fds, self, forgotten);
        close_fds(fds);
        Fd pidfd;
        if (pid < 0) {
          reply.error = -pid;
        } else {
          // Before it can be reaped: only this process reaps it, and only when asked to.
          const int opened = open_pidfd(pid);
          if (opened < 0) {
            reply.error = -opened;
            (void)posix::retried("kill", [&] { return ::kill(pid, SIGKILL); });
            int status = 0;
            (void)posix::retried("waitpid", [&] { return ::waitpid(pid, &status, 0); });
          } else {
            pidfd.reset(opened);
          }
        }
        reply.pid = pid < 0 ? -1 : pid;
        send_reply(fd, reply, pidfd.get());
        break;
      }
      case RequestKind::reap: {
        int status = 0;
        const pid_t rc = posix::retried(
            "waitpid", [&] { return ::waitpid(static_cast<pid_t>(header.pid), &status, WNOHANG); });
        if (rc < 0) {
          reply.error = -rc;
        } else if (rc > 0) {
          reply.ended = 1;
          reply.status = status;
        }
        send_reply(fd, reply, -1);
        break;
      }
      case RequestKind::forget: {
        const auto pid = static_cast<pid_t>(header.pid);
        int status = 0;
        if (posix::retried("waitpid", [&] { return ::waitpid(pid, &status, WNOHANG); }) == 0) {
          const int pidfd = open_pidfd(pid);
          if (pidfd >= 0) forgotten.emplace(pid, Fd(pidfd));
        }
        break;
      }
      default:
        reply.error = EPROTO;
        send_reply(fd, reply, -1);
        break;
    }
  }
}

}  // namespace mpp::detail
