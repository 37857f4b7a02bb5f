#pragma once

// Remembers envelope and event ids for a while, so that a redelivered envelope (Slack retries
// unacknowledged events_api envelopes after about 0 s, 1 min and 5 min) is answered once. Pure:
// `now` is passed in.

#include <chrono>
#include <cstddef>
#include <deque>
#include <string>
#include <unordered_set>

namespace sessiondx::slack {

class recent_ids {
 public:
  using clock = std::chrono::steady_clock;

  explicit recent_ids(std::chrono::milliseconds ttl = std::chrono::minutes(15),
                      std::size_t max_size = 100'000)
      : ttl_(ttl), max_size_(max_size) {}

  /// True when `id` was inserted within the TTL (a duplicate); otherwise remembers it at `now`
  /// and returns false. An empty id is never a duplicate.
  bool seen(const std::string& id, clock::time_point now);

  std::size_t size() const { return ids_.size(); }

 private:
  void expire(clock::time_point now);

  std::chrono::milliseconds ttl_;
  std::size_t max_size_;
  std::unordered_set<std::string> ids_;
  std::deque<std::pair<clock::time_point, std::string>> order_;  // oldest first
};

}  // namespace sessiondx::slack
