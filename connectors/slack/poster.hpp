#pragma once

// Posts digests and alerts to a Slack channel: chat.postMessage with Block Kit mrkdwn sections,
// threaded with thread_ts. Retries a 429 after its Retry-After, a bounded number of times.

#include "connectors/chat/https_client.hpp"
#include "connectors/chat/retrying_poster.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace sessiondx::slack {

class web_api;

struct poster_settings {
  std::string api_url = "https://slack.com/api/";
  std::string bot_token;  ///< SLACK_BOT_TOKEN
  chat::http_settings http;
  int max_attempts = 3;  ///< tries per post when rate limited
  std::chrono::seconds max_retry_after{60};
};

class poster final : public chat::retrying_poster {
 public:
  explicit poster(poster_settings settings);
  ~poster() override;
  std::string_view platform() const override { return "slack"; }
  /// Returns the message's `ts`. Throws chat::post_error with Slack's error name.
  boost::asio::awaitable<std::string> post(std::string channel, bot::report_reply report,
                                           std::string thread_id) override;

 private:
  boost::asio::awaitable<chat::post_attempt> attempt(std::string channel,
                                                     nlohmann::json message) override;

  poster_settings settings_;
  std::unique_ptr<web_api> api_;
};

}  // namespace sessiondx::slack
