#pragma once

// Settings of the Mattermost connector. The bot token comes only from the environment.

#include "connectors/chat/delivery_policy.hpp"
#include "connectors/chat/reconnect_policy.hpp"
#include "connectors/chat/websocket_client.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>

namespace sessiondx::mattermost {

struct mattermost_settings {
  std::string token;  ///< MATTERMOST_TOKEN: a bot (or personal) access token
  /// mattermost.url: the server, "https://chat.example.com" (REST under /api/v4).
  std::string url;
  /// mattermost.allow_plaintext: accept http:// and ws:// (tests, local installs).
  bool allow_plaintext = false;
  /// mattermost.command_prefix: "!session <id>" works without mentioning the bot.
  std::string command_prefix = "!";
  /// PostMessageMaxRunesV2 (16,383); old-schema servers allow 4,000.
  std::size_t message_limit = 16'383;
  /// A reply needing more posts than this is cut, with a note.
  std::size_t max_posts = 4;

  chat::backoff_settings backoff;
  chat::delivery_settings delivery;
  std::chrono::milliseconds request_timeout{15'000};
  /// No frame for this long drops the socket (the server pings every 60 s).
  std::chrono::milliseconds idle_timeout{120'000};
  std::size_t lookup_threads = 2;
  std::string team_language = "en";  ///< bot.language
  std::function<double()> jitter;
  /// Opens the websockets; empty: over the network (chat::websocket_connection::open). Protocol
  /// tests hand out websockets over beast::test::stream.
  chat::websocket_opener open_websocket;
};

/// Fills the token from MATTERMOST_TOKEN into `base`; nullopt when it is unset or empty or
/// `base.url` is empty (Mattermost is not configured). Throws std::invalid_argument when the
/// token is set but the URL is not, or the token holds whitespace.
std::optional<mattermost_settings> with_token_from_env(
    mattermost_settings base, const std::function<const char*(const char*)>& env);

}  // namespace sessiondx::mattermost
