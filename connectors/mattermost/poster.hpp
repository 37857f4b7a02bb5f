#pragma once

// Posts digests and alerts to a Mattermost channel: POST /api/v4/posts with the report's
// Markdown, threaded with root_id, mass mentions neutralised, long reports split.

#include "connectors/chat/https_client.hpp"
#include "connectors/chat/retrying_poster.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace sessiondx::mattermost {

struct poster_settings {
  std::string url;    ///< the server, "https://chat.example.com"
  std::string token;  ///< MATTERMOST_TOKEN
  chat::http_settings http;
  std::size_t message_limit = 16'383;
  std::size_t max_posts = 4;
  int max_attempts = 3;  ///< tries per post when rate limited
  std::chrono::seconds max_retry_after{60};
};

class poster final : public chat::retrying_poster {
 public:
  explicit poster(poster_settings settings);
  ~poster() override;
  std::string_view platform() const override { return "mattermost"; }
  /// Returns the (first) post's id; later parts of a long report go into its thread. Throws
  /// chat::post_error with the server's message.
  boost::asio::awaitable<std::string> post(std::string channel, bot::report_reply report,
                                           std::string thread_id) override;

 private:
  boost::asio::awaitable<chat::post_attempt> attempt(std::string channel,
                                                     nlohmann::json message) override;

  poster_settings settings_;
  std::unique_ptr<chat::https_client> http_;
};

}  // namespace sessiondx::mattermost
