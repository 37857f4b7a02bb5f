#pragma once

// The shape the Slack and Mattermost channel posters share: one message at a time through the
// platform's REST call, a 429 waited out (its Retry-After, bounded) and tried again a bounded
// number of times, anything else a post_error. Each platform keeps only how one try is made and
// what its answer means (attempt()).

#include "connectors/chat/channel_poster.hpp"

#include <boost/asio/awaitable.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace sessiondx::chat {

struct retry_settings {
  int max_attempts = 3;  ///< tries per message when rate limited
  std::chrono::seconds max_retry_after{60};
  std::chrono::seconds default_retry_after{1};  ///< a 429 without Retry-After
};

/// What one try of one message came to.
struct post_attempt {
  bool delivered = false;
  std::string id;  ///< the platform's message id, when delivered (may be empty)
  bool rate_limited = false;
  std::optional<std::chrono::seconds> retry_after;
  std::string failure;  ///< what the platform said, for the post_error when not delivered
};

/// @par Thread safety
/// As channel_poster: one post at a time, from one executor.
class retrying_poster : public channel_poster {
 protected:
  explicit retrying_poster(retry_settings retry) : retry_(retry) {}

  /// Sends `message` to `channel` once. Throws only for network errors.
  virtual boost::asio::awaitable<post_attempt> attempt(std::string channel,
                                                       nlohmann::json message) = 0;

  /// attempt() until delivered, waiting out rate limits within retry_settings; returns the id.
  /// Throws post_error with attempt()'s failure.
  boost::asio::awaitable<std::string> deliver(std::string channel, nlohmann::json message);

 private:
  retry_settings retry_;
};

}  // namespace sessiondx::chat
