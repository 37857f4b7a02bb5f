#pragma once

// What to do after one attempt to deliver a chat message over a REST API: done, retry after a
// delay (429 with Retry-After, transient failures), or give up. Pure: no clock, no I/O.

#include <chrono>
#include <optional>
#include <string_view>

namespace sessiondx::chat {

/// Seconds from a Retry-After header holding delta-seconds ("30"). HTTP dates and garbage give
/// nullopt; the caller falls back to its own delay.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view header);

struct delivery_attempt {
  /// HTTP status of the answer; 0 when the request failed before any answer (I/O error,
  /// timeout).
  unsigned status = 0;
  std::optional<std::chrono::seconds> retry_after;
  int attempt = 1;  ///< 1 for the first try
};

struct delivery_settings {
  /// Rate-limited (429) messages are retried without limit: a reply is never dropped for that.
  /// Other failures (I/O errors, 5xx) are retried this many times in all.
  int max_attempts = 5;
  std::chrono::milliseconds retry_delay{1'000};  ///< first delay for failures; doubles
  std::chrono::milliseconds max_retry_delay{30'000};
  /// Used for a 429 without a usable Retry-After.
  std::chrono::seconds default_retry_after{1};
};

struct delivery_decision {
  enum class step { done, retry, give_up };
  step next = step::done;
  std::chrono::milliseconds delay{0};
  bool rate_limited = false;  ///< the delay applies to every request to the API, not only this one
};

delivery_decision decide_delivery(const delivery_attempt& a, const delivery_settings& s);

}  // namespace sessiondx::chat
