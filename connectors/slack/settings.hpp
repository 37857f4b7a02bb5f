#pragma once

// Settings of the Slack Socket Mode connector. Tokens come only from the environment.

#include "connectors/chat/delivery_policy.hpp"
#include "connectors/chat/reconnect_policy.hpp"
#include "connectors/chat/websocket_client.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace sessiondx::slack {

/// Who sees a reply: everyone in the channel, or only the agent who asked (with a "Share in
/// channel" button).
enum class reply_visibility { channel, ephemeral };

std::optional<reply_visibility> parse_visibility(std::string_view text);
std::string_view to_string(reply_visibility v);

struct slack_settings {
  std::string app_token;  ///< xapp-…: opens Socket Mode connections (SLACK_APP_TOKEN)
  std::string bot_token;  ///< xoxb-…: posts replies (SLACK_BOT_TOKEN)
  /// Web API base (slack.api_url / SESSIONDX_SLACK_API_URL); tests point it at a fake.
  std::string api_url = "https://slack.com/api/";
  reply_visibility visibility = reply_visibility::channel;
  /// Accept ws:// and http:// (SESSIONDX_SLACK_ALLOW_PLAINTEXT=true): tests, local installs.
  bool allow_plaintext = false;
  /// The team's language (bot.language) for agent-facing text and the customer line fallback.
  std::string team_language = "en";

  chat::backoff_settings backoff;
  chat::delivery_settings delivery;
  /// A new socket that has not said hello by then is dropped and counts as a failed attempt.
  std::chrono::milliseconds hello_timeout{10'000};
  /// Connect, TLS and websocket handshakes; each Web API request.
  std::chrono::milliseconds request_timeout{15'000};
  /// No frame for this long drops the socket; our ping goes out at half of it.
  std::chrono::milliseconds idle_timeout{30'000};
  /// A lookup not answered by then first gets a "Looking up <id>…" reply.
  std::chrono::milliseconds looking_up_after{1'000};
  /// Threads running lookups (they read the store and block).
  std::size_t lookup_threads = 2;
  /// How long envelope and event ids are remembered to drop redeliveries.
  std::chrono::milliseconds dedupe_ttl = std::chrono::minutes(15);
  /// Returns a number in [0, 1] for the reconnect jitter; empty means a seeded std::mt19937.
  std::function<double()> jitter;
  /// Opens the websockets; empty: over the network (chat::websocket_connection::open). Protocol
  /// tests hand out websockets over beast::test::stream.
  chat::websocket_opener open_websocket;
};

/// Fills the tokens from SLACK_APP_TOKEN and SLACK_BOT_TOKEN into `base`. nullopt when either is
/// unset or empty (Slack is not configured). Throws std::invalid_argument naming the variable
/// when a token has the wrong prefix (xapp- / xoxb-), e.g. the two swapped.
std::optional<slack_settings> with_tokens_from_env(
    slack_settings base, const std::function<const char*(const char*)>& env);

}  // namespace sessiondx::slack
