#pragma once

// Posts digests and alerts to a Discord channel: POST /channels/{id}/messages with embeds (the
// reply document's Markdown), follow-ups as replies to the first message (message_reference),
// within the per-route rate limits Discord announces.

#include "connectors/chat/channel_poster.hpp"
#include "connectors/chat/https_client.hpp"
#include "connectors/discord/rate_limits.hpp"

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

namespace sessiondx::discord {

struct poster_settings {
  std::string api_url = "https://discord.com/api/v10";
  std::string bot_token;   ///< DISCORD_BOT_TOKEN, without "Bot "
  std::string user_agent;  ///< discord::user_agent(settings): Discord rejects calls without it
  chat::http_settings http;
  int max_attempts = 3;  ///< tries per message when rate limited
  double max_retry_after_s = 60;
};

/// The message bodies of `report`, the first replying to `reply_to` when not empty. Pure.
std::vector<nlohmann::json> channel_messages(const bot::report_reply& report,
                                             const std::string& reply_to);

class poster final : public chat::channel_poster {
 public:
  explicit poster(poster_settings settings);
  ~poster() override;
  std::string_view platform() const override { return "discord"; }
  /// Returns the first message's id. Throws chat::post_error with Discord's message.
  boost::asio::awaitable<std::string> post(std::string channel, bot::report_reply report,
                                           std::string thread_id) override;

 private:
  poster_settings settings_;
  std::unique_ptr<chat::https_client> http_;
  rate_limiter limits_;
};

}  // namespace sessiondx::discord
