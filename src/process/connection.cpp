// mpp::Pipe and mpp::Connection (include/mpp/connection.hpp), and their shared part
// (include/mpp/detail/process/connection_core.hpp). The holders of each end are recorded by
// process id with a count of handles; a reader that finds its queue empty looks every
// k_liveness_check whether any holder of the other end is still alive (a zombie is not), so a
// writer that dies without closing is EOF for its reader, as with an OS pipe.
#include "mpp/connection.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <new>
#include <stdexcept>
#include <string>
#include <system_error>

#include "mpp/detail/core/demangle.hpp"
#include "mpp/errors.hpp"
#include "process/sync/robust_mutex.hpp"

namespace mpp {
namespace detail {
namespace {

constexpr const char* k_who = "mpp::Connection";
constexpr std::size_t k_slots = 64;  // processes that may hold one end at once
constexpr auto k_liveness_check = std::chrono::milliseconds(50);

struct Holder {
  pid_t pid = 0;
  std::uint32_t handles = 0;  // 0: a free slot
};

struct EndsState {
  pthread_mutex_t mutex;
  Holder holders[2][k_slots];
};

// Whether `pid` names a process that has not ended (a zombie has). A recycled pid would pass: the
// price of needing no helper process.
bool alive(pid_t pid) {
  if (pid == ::getpid()) return true;
  if (::kill(pid, 0) != 0 && errno == ESRCH) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const std::size_t paren = line.rfind(')');
  if (paren == std::string::npos || paren + 2 >= line.size()) return true;
  const char state = line[paren + 2];
  return state != 'Z' && state != 'X';
}

}  // namespace

PipeEnds::PipeEnds() : SyncHandle(SyncKind::pipe, sizeof(EndsState)) {
  auto& s = *new (&state<EndsState>()) EndsState{};
  sync::init_robust_mutex(s.mutex, PTHREAD_MUTEX_ERRORCHECK, k_who);
}

void PipeEnds::hold(int end) {
  auto& s = state<EndsState>();
  const sync::StateGuard guard(s.mutex, k_who);
  const pid_t self = ::getpid();
  Holder* free_slot = nullptr;
  for (Holder& h : s.holders[end]) {
    if (h.handles != 0 && h.pid == self) {
      ++h.handles;
      return;
    }
    if (h.handles == 0 && free_slot == nullptr) free_slot = &h;
  }
  if (free_slot == nullptr) {
    throw std::length_error(std::string(k_who) + ": more than " + std::to_string(k_slots) +
                            " processes hold one end of a pipe");
  }
  *free_slot = Holder{self, 1};
}

void PipeEnds::let_go(int end) noexcept {
  auto& s = state<EndsState>();
  try {
    const sync::StateGuard guard(s.mutex, k_who);
    const pid_t self = ::getpid();
    for (Holder& h : s.holders[end]) {
      if (h.handles != 0 && h.pid == self) {
        --h.handles;
        return;
      }
    }
  } catch (...) {  // the state's mutex failed: nothing to release then
  }
}

bool PipeEnds::gone(int end) {
  auto& s = state<EndsState>();
  const sync::StateGuard guard(s.mutex, k_who);
  bool any = false;
  for (Holder& h : s.holders[end]) {
    if (h.handles == 0) continue;
    if (alive(h.pid)) {
      any = true;
    } else {
      h = Holder{};  // ended without letting go
    }
  }
  return !any;
}

bool PipeEnds::released(int end) noexcept {
  auto& s = state<EndsState>();
  try {
    const sync::StateGuard guard(s.mutex, k_who);
    return std::none_of(std::begin(s.holders[end]), std::end(s.holders[end]),
                        [](const Holder& h) { return h.handles != 0; });
  } catch (...) {
    return false;
  }
}

ConnectionCore::ConnectionCore(PipeEnds ends, int end, std::shared_ptr<SharedQueue> in,
                               std::shared_ptr<SharedQueue> out)
    : ends_(std::move(ends)), end_(end), in_(std::move(in)), out_(std::move(out)) {
  ends_.hold(end_);
  holder_ = ::getpid();
}

ConnectionCore::~ConnectionCore() { close(); }

void ConnectionCore::close() noexcept {
  if (closed_) return;
  closed_ = true;
  if (holder_ == ::getpid()) ends_.let_go(end_);
}

void ConnectionCore::check_open(const char* what) const {
  if (closed_) throw std::logic_error(std::string(k_who) + "::" + what + ": the connection is closed");
}

void ConnectionCore::register_here() {
  if (holder_ == ::getpid()) return;
  ends_.hold(end_);
  holder_ = ::getpid();
}

void ConnectionCore::send(std::uint64_t tag, std::span<const std::byte> bytes) {
  check_open("send");
  if (!out_) throw std::logic_error(std::string(k_who) + "::send: this end only receives (Pipe(false))");
  register_here();
  if (ends_.released(1 - end_)) {
    throw std::system_error(EPIPE, std::generic_category(),
                            std::string(k_who) + "::send: the other end is closed");
  }
  out_->put(std::as_bytes(std::span(&tag, 1)), bytes);
}

bool ConnectionCore::recv(ByteBuffer& out, Deadline deadline) {
  check_open("recv");
  if (!in_) throw std::logic_error(std::string(k_who) + "::recv: this end only sends (Pipe(false))");
  register_here();
  for (;;) {
    const Deadline now = Clock::now();
    if (in_->get(out, std::min(deadline, now + k_liveness_check))) return true;
    if (ends_.gone(1 - end_)) {
      if (in_->get(out, Clock::now())) return true;  // sent just before the end went
      throw EOFError(std::string(k_who) +
                     "::recv: nothing left to receive, and the other end is closed (or its process ended)");
    }
    if (Clock::now() >= deadline) return false;
  }
}

bool ConnectionCore::poll(Deadline deadline) {
  check_open("poll");
  if (!in_) throw std::logic_error(std::string(k_who) + "::poll: this end only sends (Pipe(false))");
  register_here();
  for (;;) {
    const Deadline now = Clock::now();
    if (in_->wait_nonempty(std::min(deadline, now + k_liveness_check))) return true;
    if (ends_.gone(1 - end_)) return true;  // recv would say EOF at once
    if (Clock::now() >= deadline) return false;
  }
}

}  // namespace detail

std::pair<Connection, Connection> Pipe(bool duplex) {
  detail::PipeEnds ends;
  auto to_first = std::make_shared<detail::SharedQueue>();
  std::shared_ptr<detail::SharedQueue> to_second = duplex ? std::make_shared<detail::SharedQueue>() : nullptr;
  Connection first(std::make_shared<detail::ConnectionCore>(ends, 0, to_first, to_second));
  Connection second(std::make_shared<detail::ConnectionCore>(ends, 1, to_second, to_first));
  return {std::move(first), std::move(second)};
}

void Connection::send_bytes(std::span<const std::byte> bytes) { core().send(k_bytes_tag, bytes); }

std::vector<std::byte> Connection::recv_bytes() {
  detail::ByteBuffer message;
  (void)core().recv(message, detail::k_no_deadline);
  check_tag(message, k_bytes_tag, typeid(std::vector<std::byte>));
  message.erase(message.begin(), message.begin() + sizeof(std::uint64_t));  // no second buffer
  return message;
}

void Connection::check_tag(const detail::ByteBuffer& message, std::uint64_t tag, const std::type_info& type) {
  std::uint64_t sent = 0;
  if (message.size() < sizeof sent)
    detail::throw_serialization("mpp::Connection::recv: a message without its type");
  std::memcpy(&sent, message.data(), sizeof sent);
  if (sent != tag) {
    detail::throw_serialization("mpp::Connection::recv: asked for " +
                                (tag == k_bytes_tag ? std::string("bytes") : detail::type_name(type)) +
                                ", but the message was sent as another type");
  }
}

detail::ConnectionCore& Connection::core() const {
  if (!core_) throw std::logic_error("mpp::Connection: an empty connection (moved from)");
  return *core_;
}

bool Connection::poll_until(detail::Deadline deadline) { return core().poll(deadline); }

void Connection::close() {
  if (core_) core_->close();
}

bool Connection::closed() const noexcept { return !core_ || core_->closed(); }
bool Connection::readable() const noexcept { return core_ && core_->readable(); }
bool Connection::writable() const noexcept { return core_ && core_->writable(); }

void Connection::attach(detail::PipeEnds ends, int end, const std::string& in, const std::string& out) {
  if (end != 0 && end != 1) detail::throw_serialization("mpp::Connection: a corrupt end");
  auto in_queue = in.empty() ? nullptr : std::make_shared<detail::SharedQueue>(in);
  auto out_queue = out.empty() ? nullptr : std::make_shared<detail::SharedQueue>(out);
  core_ = std::make_shared<detail::ConnectionCore>(std::move(ends), end, std::move(in_queue),
                                                   std::move(out_queue));
}

}  // namespace mpp
