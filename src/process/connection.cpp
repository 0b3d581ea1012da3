// mpp::Pipe and mpp::Connection (include/mpp/connection.hpp), and their shared part
// (include/mpp/detail/process/connection_core.hpp). The holders of each end are recorded by
// process id with a count of handles; a reader that finds its queue empty looks every
// k_liveness_check whether any holder of the other end is still alive (a zombie is not), so a
// writer that dies without closing is EOF for its reader, as with an OS pipe. A handle being
// encoded is recorded as a transit (a token and the process it counts for) until a receiver
// adopts the token: an OS descriptor passed to a child is the child's from the start, and
// without this a parent that closes its copy right after start() would be EOF for its reader
// before a spawned child had attached.
#include "mpp/connection.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
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
constexpr std::size_t k_slots = 64;      // processes that may hold one end at once
constexpr std::size_t k_transits = 128;  // handles of one end that may travel at once
constexpr auto k_liveness_check = std::chrono::milliseconds(50);

struct Holder {
  pid_t pid = 0;
  std::uint32_t handles = 0;  // 0: a free slot
};

struct Transit {
  std::uint64_t token = 0;  // 0: a free slot
  pid_t pid = 0;            // the process it counts for: its sender, or the child it goes to
};

struct EndsState {
  pthread_mutex_t mutex;
  Holder holders[2][k_slots];
  Transit transits[2][k_transits];
};

// Unique among the tokens in flight: this process's id, and a count.
std::uint64_t next_token() noexcept {
  static std::atomic<std::uint32_t> count{0};
  std::uint32_t n = count.fetch_add(1, std::memory_order_relaxed) + 1;
  if (n == 0) n = count.fetch_add(1, std::memory_order_relaxed) + 1;
  return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(::getpid())) << 32) | n;
}

Transit* find_transit(EndsState& s, int end, std::uint64_t token) noexcept {
  if (token == 0) return nullptr;
  for (Transit& t : s.transits[end]) {
    if (t.token == token) return &t;
  }
  return nullptr;
}

// This process's live ConnectionCores, which a forked child inherits (HandOff::add_all_of_this_process).
struct Registry {
  std::mutex mutex;
  std::vector<ConnectionCore*> cores;
};

Registry& registry() {
  static Registry* const r = [] {
    auto* made = new Registry;  // never destroyed: cores may outlive static destruction
    // A child forked while another thread held the mutex would find it locked for ever.
    ::pthread_atfork([] { registry().mutex.lock(); }, [] { registry().mutex.unlock(); },
                     [] { registry().mutex.unlock(); });
    return made;
  }();
  return *r;
}

thread_local HandOff* t_hand_off = nullptr;

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

namespace {

void hold_locked(EndsState& s, int end) {
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

}  // namespace

void PipeEnds::hold(int end) {
  auto& s = state<EndsState>();
  const sync::StateGuard guard(s.mutex, k_who);
  hold_locked(s, end);
}

std::uint64_t PipeEnds::send_off(int end) const {
  auto& s = state<EndsState>();
  const sync::StateGuard guard(s.mutex, k_who);
  for (Transit& t : s.transits[end]) {
    if (t.token == 0) {
      t = Transit{next_token(), ::getpid()};
      return t.token;
    }
  }
  return 0;
}

void PipeEnds::adopt(int end, std::uint64_t token) const {
  auto& s = state<EndsState>();
  const sync::StateGuard guard(s.mutex, k_who);
  hold_locked(s, end);
  if (Transit* t = find_transit(s, end, token)) *t = Transit{};
}

void PipeEnds::hand_to(int end, std::uint64_t token, pid_t pid) const noexcept {
  auto& s = state<EndsState>();
  try {
    const sync::StateGuard guard(s.mutex, k_who);
    if (Transit* t = find_transit(s, end, token)) t->pid = pid;
  } catch (...) {  // the state's mutex failed: the transit stays the sender's
  }
}

void PipeEnds::recall(int end, std::uint64_t token) const noexcept {
  auto& s = state<EndsState>();
  try {
    const sync::StateGuard guard(s.mutex, k_who);
    if (Transit* t = find_transit(s, end, token)) *t = Transit{};
  } catch (...) {
  }
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
  for (Transit& t : s.transits[end]) {
    if (t.token == 0) continue;
    if (alive(t.pid)) {
      any = true;
    } else {
      t = Transit{};  // its sender, or the child it went to, ended before it arrived
    }
  }
  return !any;
}

bool PipeEnds::released(int end) noexcept {
  auto& s = state<EndsState>();
  try {
    const sync::StateGuard guard(s.mutex, k_who);
    return std::none_of(std::begin(s.holders[end]), std::end(s.holders[end]),
                        [](const Holder& h) { return h.handles != 0; }) &&
           std::none_of(std::begin(s.transits[end]), std::end(s.transits[end]),
                        [](const Transit& t) { return t.token != 0; });
  } catch (...) {
    return false;
  }
}

ConnectionCore::ConnectionCore(PipeEnds ends, int end, std::shared_ptr<SharedQueue> in,
                               std::shared_ptr<SharedQueue> out, std::uint64_t token)
    : ends_(std::move(ends)), end_(end), in_(std::move(in)), out_(std::move(out)) {
  ends_.adopt(end_, token);
  holder_ = ::getpid();
  Registry& r = registry();
  try {
    const std::lock_guard lock(r.mutex);
    r.cores.push_back(this);
  } catch (...) {
    close();
    throw;
  }
}

ConnectionCore::~ConnectionCore() {
  close();
  Registry& r = registry();
  const std::lock_guard lock(r.mutex);
  std::erase(r.cores, this);
}

std::uint64_t ConnectionCore::send_off() {
  check_open("send_off");
  const std::uint64_t token = ends_.send_off(end_);
  if (HandOff* hand_off = HandOff::current()) hand_off->add(ends_, end_, token);
  return token;
}

void ConnectionCore::adopt_in_forked_child(std::uint64_t token) {
  ends_.adopt(end_, token);
  holder_ = ::getpid();
}

HandOff::HandOff() : previous_(t_hand_off) { t_hand_off = this; }

HandOff::~HandOff() {
  if (t_hand_off == this) t_hand_off = previous_;
  if (given_) return;
  for (const Item& item : items_) item.ends.recall(item.end, item.token);
}

HandOff* HandOff::current() noexcept { return t_hand_off; }

void HandOff::add(const PipeEnds& ends, int end, std::uint64_t token) {
  if (token == 0) return;
  try {
    items_.push_back(Item{ends, end, token, nullptr});
  } catch (...) {
    ends.recall(end, token);
    throw;
  }
}

void HandOff::add_all_of_this_process() {
  Registry& r = registry();
  const std::lock_guard lock(r.mutex);
  items_.reserve(items_.size() + r.cores.size());
  for (ConnectionCore* core : r.cores) {
    std::shared_ptr<ConnectionCore> alive_core = core->weak_from_this().lock();
    if (!alive_core || alive_core->closed()) continue;  // being destroyed, or closed
    items_.push_back(Item{core->ends(), core->end(), 0, std::move(alive_core)});
    items_.back().token = core->ends().send_off(core->end());
  }
}

void HandOff::give_to(pid_t child) noexcept {
  given_ = true;
  for (const Item& item : items_) item.ends.hand_to(item.end, item.token, child);
}

void HandOff::adopt_in_forked_child() {
  t_hand_off = previous_;  // the child's own encodings are not the parent's hand-off
  given_ = true;           // the child never recalls the parent's transits
  for (const Item& item : items_) {
    if (item.core) item.core->adopt_in_forked_child(item.token);
  }
}

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

void Connection::attach(detail::PipeEnds ends, int end, const std::string& in, const std::string& out,
                        std::uint64_t token) {
  if (end != 0 && end != 1) detail::throw_serialization("mpp::Connection: a corrupt end");
  auto in_queue = in.empty() ? nullptr : std::make_shared<detail::SharedQueue>(in);
  auto out_queue = out.empty() ? nullptr : std::make_shared<detail::SharedQueue>(out);
  core_ = std::make_shared<detail::ConnectionCore>(std::move(ends), end, std::move(in_queue),
                                                   std::move(out_queue), token);
}

}  // namespace mpp
