#pragma once

// A hand-written event store for receiver tests: appends are held until the test releases them
// (a writer that is slow or stuck), or throw (a store with a bug). Reads return nothing.

#include "store/event_store.hpp"

#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <utility>
#include <vector>

namespace sessiondx::test {

class fake_store final : public store::event_store {
 public:
  enum class mode { hold, fail_by_throwing };

  explicit fake_store(mode m = mode::hold) : mode_(m) {}

  void append(std::vector<store::event> batch, append_handler done) override {
    if (mode_ == mode::fail_by_throwing) throw std::runtime_error("fake store: append exploded");
    std::lock_guard lock(mutex_);
    pending_.emplace_back(std::move(batch), std::move(done));
    changed_.notify_all();
  }

  /// Blocks until `n` appends are waiting (or `timeout` passes); returns how many are waiting.
  std::size_t wait_for_pending(std::size_t n,
                               std::chrono::seconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return pending_.size() >= n; });
    return pending_.size();
  }

  /// Commits every waiting append (all events stored).
  void release_all() {
    std::vector<std::pair<std::vector<store::event>, append_handler>> pending;
    {
      std::lock_guard lock(mutex_);
      pending.swap(pending_);
    }
    for (auto& [batch, done] : pending) {
      store::append_result result;
      result.outcomes.assign(batch.size(), store::append_outcome::stored);
      done(std::move(result));
    }
  }

  std::vector<store::event> session_events(const std::string&, std::size_t) override { return {}; }
  std::optional<store::session_summary> summary(const std::string&) override {
    return std::nullopt;
  }
  std::vector<std::pair<std::string, std::int64_t>> type_counts(const std::string&) override {
    return {};
  }
  store::blast_radius other_sessions(const std::string& key, const std::string&,
                                     std::int64_t) override {
    return {key, 0, 0};
  }
  std::vector<std::string> similar_sessions(const std::string&, std::size_t) override { return {}; }
  std::vector<store::app_version_seen> app_versions(std::int64_t) override { return {}; }
  std::size_t prune_before(std::int64_t, std::size_t) override { return 0; }
  store::store_stats stats() const override { return {}; }
  void close() override { release_all(); }

 private:
  mode mode_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::pair<std::vector<store::event>, append_handler>> pending_;
};

}  // namespace sessiondx::test
