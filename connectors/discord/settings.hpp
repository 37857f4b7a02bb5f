#pragma once

// Settings of the Discord connector. The bot token comes only from the environment.

#include "connectors/chat/delivery_policy.hpp"
#include "connectors/chat/reconnect_policy.hpp"
#include "connectors/chat/websocket_client.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sessiondx::discord {

/// Who sees a reply: everyone in the channel, or only the agent who asked (flag 64, with a
/// "Share in channel" button).
enum class reply_visibility { channel, ephemeral };

std::optional<reply_visibility> parse_visibility(std::string_view text);
std::string_view to_string(reply_visibility v);

struct discord_settings {
  std::string bot_token;  ///< DISCORD_BOT_TOKEN (without the "Bot " prefix)
  /// REST base (discord.api_url), API v10; tests point it at a fake.
  std::string api_url = "https://discord.com/api/v10";
  /// Accept ws:// and http:// (discord.allow_plaintext): tests, local fakes only.
  bool allow_plaintext = false;
  /// discord.application_id; empty: taken from READY (application.id).
  std::string application_id;
  /// discord.guild_ids: register the commands in these guilds (instant); empty: globally.
  std::vector<std::string> guild_ids;
  reply_visibility visibility = reply_visibility::channel;
  /// Sent as `User-Agent: DiscordBot (url, version)`; Discord rejects calls without it.
  std::string user_agent_url = "https://github.com/sessiondx/sessiondx";
  std::string version = "1.0";

  chat::backoff_settings backoff;
  chat::delivery_settings delivery;
  /// Connect, TLS and websocket handshakes; each REST request.
  std::chrono::milliseconds request_timeout{15'000};
  /// No frame at all for this long drops the socket (heartbeats normally come far sooner).
  std::chrono::milliseconds idle_timeout{120'000};
  /// After op 9 (invalid session) Discord asks for a wait of 1-5 s before identifying again.
  std::chrono::milliseconds invalid_session_min{1'000};
  std::chrono::milliseconds invalid_session_max{5'000};
  /// Identify rate: `max_concurrency` identifies per this window (Discord: 5 s).
  std::chrono::milliseconds identify_window{5'000};
  std::size_t lookup_threads = 2;
  std::string team_language = "en";  ///< bot.language
  /// Returns a number in [0, 1] (heartbeat and reconnect jitter); empty: a seeded std::mt19937.
  std::function<double()> jitter;
  /// Opens the websockets; empty: over the network (chat::websocket_connection::open). Protocol
  /// tests hand out websockets over beast::test::stream.
  chat::websocket_opener open_websocket;
};

/// "DiscordBot (url, version)".
std::string user_agent(const discord_settings& s);

/// Fills the token from DISCORD_BOT_TOKEN into `base`; nullopt when unset or empty (Discord is
/// not configured). A leading "Bot " is dropped. Throws std::invalid_argument when the token
/// holds whitespace (a pasted line with something else on it).
std::optional<discord_settings> with_token_from_env(
    discord_settings base, const std::function<const char*(const char*)>& env);

/// "1, 2,3" -> {"1","2","3"}; throws std::invalid_argument for anything but digits.
std::vector<std::string> parse_guild_ids(std::string_view text);

}  // namespace sessiondx::discord
