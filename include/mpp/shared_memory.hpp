// Memory that processes share: mpp::SharedMemory, a named block as Python's
// multiprocessing.shared_memory.SharedMemory (any process that knows the name can attach to it,
// whatever started it: fork, spawn, forkserver, mpirun on the same machine), and the typed objects
// in one, mpp::Value<T> and mpp::Array<T>, as Python's multiprocessing.Value and Array.
#pragma once

#include <sys/types.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "mpp/detail/core/decode_tag.hpp"
#include "mpp/detail/posix/fd.hpp"
#include "mpp/synchronize.hpp"

namespace mpp {

/// A POSIX shared memory segment (/dev/shm), mapped read-write.
///
/// Lifetime: the SharedMemory that created a segment owns its name, and its destructor unlinks it
/// (unless unlink() or keep_name() was called); attached ones never unlink. Unlinking removes the
/// name only: every process that has the segment mapped keeps it until it unmaps it. A copy of the
/// creator in a forked child (captured by an mpp::Process target, say) is not the creator: only
/// the process that created the segment unlinks it. A creator that ends without its destructor
/// running (killed, crashed, _exit) leaves the name to a tracker process of its own, which
/// unlinks it once the creator and the children it forked have ended; keep_name() takes it off.
///
/// Thread safety: the object is not (move it, don't share it); the memory is what you make of it.
class SharedMemory {
 public:
  /// A new segment of `size` bytes (at least 1), zero-filled, under a fresh name
  /// ("mpp-<pid>-<n>-<random>"), readable and writable by its owner only.
  explicit SharedMemory(std::size_t size);
  /// A new segment named `name` ("data" or "/data": one component, at most 250 characters),
  /// created exclusively: an existing segment of that name is never attached to, but refused with
  /// std::system_error (std::errc::file_exists). `mode` is its permission bits exactly (the umask
  /// does not apply); the default lets only its owner attach.
  static SharedMemory create(std::string_view name, std::size_t size, mode_t mode = 0600);
  /// The existing segment named `name`, all of it. std::system_error when there is none
  /// (std::errc::no_such_file_or_directory) or this user may not open it (permission_denied).
  static SharedMemory attach(std::string_view name);

  SharedMemory(SharedMemory&& other) noexcept;
  SharedMemory& operator=(SharedMemory&& other) noexcept;
  SharedMemory(const SharedMemory&) = delete;
  SharedMemory& operator=(const SharedMemory&) = delete;
  /// Unmaps it; a creator also unlinks the name (see the class comment).
  ~SharedMemory();

  /// The name, as attach() takes it (without a leading '/').
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] std::size_t size() const noexcept { return mapping_.size(); }
  [[nodiscard]] std::byte* data() noexcept { return static_cast<std::byte*>(mapping_.get()); }
  [[nodiscard]] const std::byte* data() const noexcept {
    return static_cast<const std::byte*>(mapping_.get());
  }
  [[nodiscard]] std::span<std::byte> bytes() noexcept { return {data(), size()}; }

  /// Removes the name now: no process can attach any more. Mappings stay valid. Does nothing when
  /// the name is gone already (unlinked by this object, or by another process).
  void unlink();
  /// This creator will not unlink the name: the segment outlives it, until someone unlinks it.
  void keep_name() noexcept;

 private:
  SharedMemory(std::string name, detail::Mapping mapping, pid_t owner_pid, std::uint64_t inode);

  std::string name_;
  detail::Mapping mapping_;
  pid_t owner_pid_ = 0;  // the creating process, which unlinks; 0: no one does
};

namespace detail {

/// The storage of a Value or an Array: `count` objects of T in a SharedMemory segment of their
/// own, and the RLock that guards them when asked for. Copies share both; it crosses to another
/// process as the names and the count, and the receiver attaches.
template <class T>
class SharedObjects {
  static_assert(
      std::is_trivially_copyable_v<T>,
      "mpp::Value and mpp::Array hold trivially copyable types: their bytes are what processes share");

 public:
  SharedObjects(std::size_t count, bool lock)
      : memory_(std::make_shared<SharedMemory>(bytes_for(count))), count_(count) {
    static_assert(alignof(T) <= 4096, "a segment starts on a page");
    T* objects = data();
    for (std::size_t i = 0; i < count; ++i) new (objects + i) T{};
    if (lock) {
      lock_ = RLock();
      has_lock_ = true;
    }
  }
  SharedObjects() noexcept = default;

  [[nodiscard]] T* data() const noexcept { return std::launder(reinterpret_cast<T*>(memory_->data())); }
  [[nodiscard]] std::size_t count() const noexcept { return count_; }
  [[nodiscard]] const std::string& name() const noexcept { return memory_->name(); }
  [[nodiscard]] bool has_lock() const noexcept { return has_lock_; }
  RLock& lock(const char* who) {
    if (!has_lock_)
      throw std::logic_error(std::string(who) + "::get_lock: made without a lock (lock = false)");
    return lock_;
  }
  /// Holds the lock, when there is one, for the life of the returned guard.
  [[nodiscard]] std::unique_lock<RLock> guard() const {
    return has_lock_ ? std::unique_lock<RLock>(lock_) : std::unique_lock<RLock>();
  }

  template <class Archive>
  void save(Archive& archive) const {
    archive(name(), static_cast<std::uint64_t>(count_), has_lock_);
    if (has_lock_) archive(lock_);
  }
  template <class Archive>
  void load(Archive& archive) {
    std::string name;
    std::uint64_t count = 0;
    bool has_lock = false;
    archive(name, count, has_lock);
    auto memory = std::make_shared<SharedMemory>(SharedMemory::attach(name));
    if (count > memory->size() / sizeof(T)) {
      throw std::invalid_argument("mpp::Value/Array: the shared memory segment '" + name +
                                  "' is smaller than sent");
    }
    memory_ = std::move(memory);
    count_ = static_cast<std::size_t>(count);
    has_lock_ = has_lock;
    if (has_lock) archive(lock_);
  }

 private:
  static std::size_t bytes_for(std::size_t count) {
    if (count > SIZE_MAX / sizeof(T)) throw std::length_error("mpp::Array: too many elements");
    return std::max<std::size_t>(count * sizeof(T), 1);  // a segment has at least a byte
  }

  std::shared_ptr<SharedMemory> memory_;
  std::size_t count_ = 0;
  mutable RLock lock_{DecodeTag{}};  // an empty handle unless has_lock_ (std::optional upsets g++'s
                                     // -Wmaybe-uninitialized at -O1)
  bool has_lock_ = false;
};

}  // namespace detail

/// One T in shared memory (Python's multiprocessing.Value; with lock = false, RawValue), for a
/// trivially copyable T. A handle: copies share the value; it reaches children as an mpp::Lock
/// does (a captured copy under fork, an argument of a Process or a ProcessPool task under every
/// start method), and the value lives while any process maps it (its name, as long as the Value
/// that made it). get() and set() hold the value's RLock when it has one; value() is the shared
/// object itself, for a read-modify-write under get_lock():
///
///     { std::lock_guard guard(counter.get_lock()); ++counter.value(); }
///
/// Thread-safe as its lock makes it: without a lock, concurrent access is the caller's to order.
template <class T>
class Value {
 public:
  explicit Value(T initial = T{}, bool lock = true) : objects_(1, lock) { *objects_.data() = initial; }
  explicit Value(detail::DecodeTag) noexcept {}

  /// A copy of the value (holding the lock, when there is one).
  [[nodiscard]] T get() const {
    const auto guard = objects_.guard();
    return *objects_.data();
  }
  /// Replaces the value (holding the lock, when there is one).
  void set(const T& value) {
    const auto guard = objects_.guard();
    *objects_.data() = value;
  }
  /// The shared object itself: read and write it holding get_lock().
  [[nodiscard]] T& value() const noexcept { return *objects_.data(); }
  /// The RLock that get() and set() hold; std::logic_error when made with lock = false.
  [[nodiscard]] RLock& get_lock() { return objects_.lock("mpp::Value"); }
  [[nodiscard]] bool has_lock() const noexcept { return objects_.has_lock(); }
  [[nodiscard]] const std::string& name() const noexcept { return objects_.name(); }

  template <class Archive>
  void serialize(Archive& archive) {
    archive(objects_);
  }

 private:
  detail::SharedObjects<T> objects_;
};

/// A fixed number of T in shared memory (Python's multiprocessing.Array; with lock = false,
/// RawArray), for a trivially copyable T. A handle, crossing and living as a Value does. get(i),
/// set(i, v) and to_vector() hold the array's RLock when it has one; operator[], data(), begin()
/// and end() are the shared elements themselves, to use holding get_lock() (or unlocked, where
/// each process writes its own part).
template <class T>
class Array {
 public:
  /// `size` elements, value-initialised (zero for numbers).
  explicit Array(std::size_t size, bool lock = true) : objects_(size, lock) {}
  /// A copy of `values`.
  explicit Array(std::span<const T> values, bool lock = true) : objects_(values.size(), lock) {
    std::copy(values.begin(), values.end(), objects_.data());
  }
  Array(std::initializer_list<T> values, bool lock = true)
      : Array(std::span<const T>(values.begin(), values.size()), lock) {}
  explicit Array(detail::DecodeTag) noexcept {}

  [[nodiscard]] std::size_t size() const noexcept { return objects_.count(); }
  [[nodiscard]] T* data() const noexcept { return objects_.data(); }
  [[nodiscard]] T& operator[](std::size_t i) const noexcept { return objects_.data()[i]; }
  [[nodiscard]] T* begin() const noexcept { return data(); }
  [[nodiscard]] T* end() const noexcept { return data() + size(); }
  [[nodiscard]] std::span<T> span() const noexcept { return {data(), size()}; }

  /// Element i (holding the lock, when there is one); std::out_of_range past the end.
  [[nodiscard]] T get(std::size_t i) const {
    check(i);
    const auto guard = objects_.guard();
    return data()[i];
  }
  void set(std::size_t i, const T& value) {
    check(i);
    const auto guard = objects_.guard();
    data()[i] = value;
  }
  /// A copy of every element, taken holding the lock (Python's arr[:]).
  [[nodiscard]] std::vector<T> to_vector() const {
    const auto guard = objects_.guard();
    return std::vector<T>(begin(), end());
  }
  [[nodiscard]] RLock& get_lock() { return objects_.lock("mpp::Array"); }
  [[nodiscard]] bool has_lock() const noexcept { return objects_.has_lock(); }
  [[nodiscard]] const std::string& name() const noexcept { return objects_.name(); }

  template <class Archive>
  void serialize(Archive& archive) {
    archive(objects_);
  }

 private:
  void check(std::size_t i) const {
    if (i >= size()) {
      throw std::out_of_range("mpp::Array: index " + std::to_string(i) + " is past the end (size " +
                              std::to_string(size()) + ")");
    }
  }

  detail::SharedObjects<T> objects_;
};

}  // namespace mpp

// The container, in a header of its own that includes this one: either header gives both.
#include "mpp/shared_vector.hpp"  // IWYU pragma: export
