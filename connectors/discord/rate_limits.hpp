#pragma once

// Discord REST rate limits, pure: per-route buckets learnt from the X-RateLimit-* headers, the
// global limit, and 429 answers (retry_after in the JSON body, fractional seconds). The caller
// asks how long to wait before a request and reports every answer. No clock reads.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sessiondx::discord {

/// What one answer says about the limits.
struct rate_limit_info {
  std::string bucket;                   ///< X-RateLimit-Bucket
  std::optional<int> remaining;         ///< X-RateLimit-Remaining
  std::optional<double> reset_after_s;  ///< X-RateLimit-Reset-After (seconds, may be fractional)
  bool limited = false;                 ///< HTTP 429
  bool global = false;                  ///< X-RateLimit-Global, or "global": true in the body
  std::optional<double> retry_after_s;  ///< 429: body retry_after, else the Retry-After header
};

/// Reads the headers (names case-insensitive) and, for a 429, the JSON body.
rate_limit_info parse_rate_limit(unsigned status,
                                 const std::vector<std::pair<std::string, std::string>>& headers,
                                 std::string_view body);

/// @par Thread safety
/// Not thread-safe; use from the connector's strand.
class rate_limiter {
 public:
  using clock = std::chrono::steady_clock;

  /// How long a request on `route` ("PATCH /webhooks/1/tok/messages/@original") must wait at
  /// `now`: the global pause, or its bucket's reset when the bucket is exhausted. 0 = go.
  std::chrono::milliseconds wait_before(const std::string& route, clock::time_point now) const;

  /// Records the answer to a request on `route` received at `now`.
  void update(const std::string& route, const rate_limit_info& info, clock::time_point now);

 private:
  struct bucket_state {
    int remaining = 1;
    clock::time_point reset_at{};
  };
  std::map<std::string, std::string> bucket_of_route_;
  std::map<std::string, bucket_state> buckets_;
  clock::time_point global_until_{};
};

}  // namespace sessiondx::discord
