// Intrusive reference counting for objects shared between a caller and the executors: one
// allocation per task (the task and its result state are the same object).
#pragma once

#include <atomic>
#include <concepts>
#include <cstdint>
#include <utility>

namespace mpp::detail {

class RefCounted {
 public:
  RefCounted() = default;
  RefCounted(const RefCounted&) = delete;
  RefCounted& operator=(const RefCounted&) = delete;

  void add_ref(std::uint32_t count = 1) noexcept {
    // Relaxed: a new reference is always made from an existing one, which keeps the object alive.
    refs_.fetch_add(count, std::memory_order_relaxed);
  }
  void release() noexcept {
    // acq_rel: the last owner must see every write the other owners made before releasing.
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

 protected:
  virtual ~RefCounted() = default;

 private:
  std::atomic<std::uint32_t> refs_{1};
};

/// An owning pointer to a RefCounted object. `Ref<T>::adopt(p)` takes over the reference `p` was
/// created with; copying adds a reference.
template <class T>
class Ref {
 public:
  Ref() noexcept = default;
  static Ref adopt(T* p) noexcept {
    Ref r;
    r.p_ = p;
    return r;
  }
  static Ref share(T* p) noexcept {
    if (p != nullptr) p->add_ref();
    return adopt(p);
  }
  Ref(const Ref& other) noexcept : p_(other.p_) {
    if (p_ != nullptr) p_->add_ref();
  }
  Ref(Ref&& other) noexcept : p_(std::exchange(other.p_, nullptr)) {}
  template <std::derived_from<T> U>
  Ref(Ref<U> other) noexcept : p_(other.detach()) {}  // NOLINT(google-explicit-constructor)
  Ref& operator=(Ref other) noexcept {
    std::swap(p_, other.p_);
    return *this;
  }
  ~Ref() {
    if (p_ != nullptr) p_->release();
  }

  T* get() const noexcept { return p_; }
  T* operator->() const noexcept { return p_; }
  T& operator*() const noexcept { return *p_; }
  explicit operator bool() const noexcept { return p_ != nullptr; }
  /// Gives up ownership without releasing.
  T* detach() noexcept { return std::exchange(p_, nullptr); }

 private:
  T* p_ = nullptr;
};

}  // namespace mpp::detail
