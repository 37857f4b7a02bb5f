#pragma once

// The receiver's shared budgets, as plain counters: bytes of request bodies held in memory,
// bytes of events waiting for the writer, requests in flight. Pure and thread-safe (atomics).

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <utility>

namespace sessiondx::webhook {

/// A capacity shared by all connections. try_take never lets the total pass the capacity.
class budget {
 public:
  explicit budget(std::size_t capacity) : capacity_(capacity) {}

  bool try_take(std::size_t n) {
    std::size_t used = used_.load(std::memory_order_relaxed);
    do {
      if (n > capacity_ || used > capacity_ - n) return false;
    } while (!used_.compare_exchange_weak(used, used + n, std::memory_order_relaxed));
    return true;
  }
  void give_back(std::size_t n) { used_.fetch_sub(n, std::memory_order_relaxed); }
  std::size_t used() const { return used_.load(std::memory_order_relaxed); }
  std::size_t capacity() const { return capacity_; }

 private:
  const std::size_t capacity_;
  std::atomic<std::size_t> used_{0};
};

/// A part of a budget held by one request; given back when released or destroyed. Movable.
class lease {
 public:
  lease() = default;
  explicit lease(budget& b) : budget_(&b) {}
  lease(lease&& other) noexcept
      : budget_(std::exchange(other.budget_, nullptr)), held_(std::exchange(other.held_, 0)) {}
  lease& operator=(lease&& other) noexcept {
    if (this != &other) {
      release();
      budget_ = std::exchange(other.budget_, nullptr);
      held_ = std::exchange(other.held_, 0);
    }
    return *this;
  }
  lease(const lease&) = delete;
  lease& operator=(const lease&) = delete;
  ~lease() { release(); }

  /// Holds at least `n` in total; false (holding what it held) when the budget lacks the rest.
  bool grow_to(std::size_t n) {
    if (n <= held_) return true;
    if (budget_ == nullptr || !budget_->try_take(n - held_)) return false;
    held_ = n;
    return true;
  }
  void release() {
    if (budget_ != nullptr && held_ > 0) budget_->give_back(held_);
    held_ = 0;
  }
  std::size_t held() const { return held_; }

 private:
  budget* budget_ = nullptr;
  std::size_t held_ = 0;
};

/// Lets a log line through at most once per interval and counts the ones it held back, so a
/// condition that repeats thousands of times a second (EMFILE) writes one line, not megabytes.
class log_gate {
 public:
  explicit log_gate(std::int64_t interval_ms) : interval_ms_(interval_ms) {}

  /// True when a line may be written at `now_ms`; `suppressed` is then how many were held back
  /// since the last line.
  bool allow(std::int64_t now_ms, std::uint64_t& suppressed) {
    std::int64_t next = next_ms_.load(std::memory_order_relaxed);
    if (now_ms < next ||
        !next_ms_.compare_exchange_strong(next, now_ms + interval_ms_, std::memory_order_relaxed)) {
      held_back_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    suppressed = held_back_.exchange(0, std::memory_order_relaxed);
    return true;
  }

 private:
  const std::int64_t interval_ms_;
  std::atomic<std::int64_t> next_ms_{0};
  std::atomic<std::uint64_t> held_back_{0};
};

}  // namespace sessiondx::webhook
