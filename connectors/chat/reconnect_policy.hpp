#pragma once

// When to reconnect a chat connection: exponential backoff with full jitter, reset after a
// stable connection. A pure decision object: no clock reads, no timers, randomness injected.

#include <chrono>
#include <functional>

namespace sessiondx::chat {

struct backoff_settings {
  std::chrono::milliseconds base{1'000};  ///< ceiling of the first delay
  std::chrono::milliseconds cap{30'000};  ///< no delay is longer
  /// A connection that lasted this long counts as stable: the next delay starts from `base`.
  std::chrono::milliseconds stable_after{60'000};
};

/// One policy per connector (not per socket), so exactly one reconnect path counts failures.
/// @par Thread safety
/// Not thread-safe; use from the connector's executor.
class reconnect_policy {
 public:
  using clock = std::chrono::steady_clock;

  /// `random01` returns a number in [0, 1]; the delay is `random01() * min(cap, base * 2^n)`
  /// ("full jitter"). Tests pass a constant.
  reconnect_policy(backoff_settings settings, std::function<double()> random01);

  /// A connection became usable (for Slack: its `hello` arrived) at `now`.
  void connected(clock::time_point now);

  /// A connection attempt failed, or the usable connection ended, at `now`: the delay before the
  /// next attempt. The failure count is reset first if the connection had been stable.
  std::chrono::milliseconds next_delay(clock::time_point now);

  /// Failed attempts since the last stable connection.
  int failures() const { return failures_; }

 private:
  backoff_settings settings_;
  std::function<double()> random01_;
  int failures_ = 0;
  bool connected_ = false;
  clock::time_point connected_at_{};
};

}  // namespace sessiondx::chat
