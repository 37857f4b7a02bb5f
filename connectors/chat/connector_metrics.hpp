#pragma once

// What a chat connector reports about itself: its link state (connected, reconnecting, fatal),
// reconnects, and replies by outcome with their latency from command to last message. Shown in
// GET /metrics (Prometheus text) and used by GET /readyz. Pure: atomics, no Asio, no clock.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sessiondx::chat {

enum class link_state : std::uint8_t {
  starting,      ///< not connected yet
  connected,     ///< the platform's handshake is done (hello, READY/RESUMED)
  reconnecting,  ///< the link is down; the connector is trying again
  fatal,         ///< stopped on its own: the platform refused us (bad token, disallowed intents)
  stopped,       ///< stopped on request
};
std::string_view to_string(link_state s);

enum class reply_outcome : std::uint8_t {
  sent,    ///< every message of the reply was delivered
  failed,  ///< a message was refused or given up (or the reply could not even be started)
};
std::string_view to_string(reply_outcome o);

/// @par Thread safety
/// Every member may be called from any thread.
class connector_metrics {
 public:
  explicit connector_metrics(std::string platform) : platform_(std::move(platform)) {}
  connector_metrics(const connector_metrics&) = delete;
  connector_metrics& operator=(const connector_metrics&) = delete;

  const std::string& platform() const { return platform_; }

  /// Sets the state; returns the one before (the caller logs a change).
  link_state set_state(link_state s) { return state_.exchange(s); }
  link_state state() const { return state_.load(); }
  bool up() const { return state() == link_state::connected; }

  /// One reconnect: connected again after a lost link (set_link_state counts it).
  void reconnected() { reconnects_.fetch_add(1, std::memory_order_relaxed); }
  std::uint64_t reconnects() const { return reconnects_.load(); }

  /// One answered command: its outcome and the time from the command's arrival to its last
  /// message delivered (or given up).
  void reply(reply_outcome o, std::chrono::steady_clock::duration latency);
  std::uint64_t replies(reply_outcome o) const {
    return replies_[static_cast<std::size_t>(o)].load();
  }

  static constexpr std::array<double, 10> bucket_bounds_s{0.01, 0.025, 0.05, 0.1, 0.25,
                                                          0.5,  1.0,   2.5,  5.0, 10.0};
  /// Cumulative count of replies at or under bucket_bounds_s[i] (i == size: all).
  std::uint64_t latency_bucket(std::size_t i) const;
  double latency_sum_s() const { return static_cast<double>(latency_sum_us_.load()) / 1e6; }

 private:
  std::string platform_;
  std::atomic<link_state> state_{link_state::starting};
  std::atomic<std::uint64_t> reconnects_{0};
  std::array<std::atomic<std::uint64_t>, 2> replies_{};
  std::array<std::atomic<std::uint64_t>, bucket_bounds_s.size() + 1> buckets_{};
  std::atomic<std::uint64_t> latency_sum_us_{0};
};

/// The Prometheus exposition text of `connectors` (one HELP/TYPE per metric family):
/// sessiondx_connector_up{platform}, sessiondx_connector_state{platform,state},
/// sessiondx_connector_reconnects_total{platform}, sessiondx_chat_replies_total{platform,outcome},
/// sessiondx_chat_reply_duration_seconds{platform} (histogram). Empty for no connectors.
std::string prometheus(const std::vector<const connector_metrics*>& connectors);

}  // namespace sessiondx::chat
