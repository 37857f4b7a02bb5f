#pragma once

// Service configuration: embedded defaults, then an optional TOML file, then the environment
// (every `section.key` as SESSIONDX_SECTION_KEY). Secrets come only from the environment.

#include "app/leads_settings.hpp"
#include "bot/access_policy.hpp"
#include "connectors/discord/settings.hpp"
#include "connectors/mattermost/settings.hpp"
#include "connectors/slack/settings.hpp"
#include "connectors/webhook/event_parser.hpp"
#include "connectors/webhook/server.hpp"
#include "store/sqlite_store.hpp"

#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace sessiondx::app {

/// The store as the service runs it: the library defaults plus the ts clamp bounds.
inline store::store_settings service_store_defaults() {
  store::store_settings s;
  s.max_ts_ahead = std::chrono::hours(1);
  s.max_ts_behind = std::chrono::hours(24 * 7);
  return s;
}

struct app_settings {
  webhook::server_settings server;
  int io_threads = 1;
  webhook::ingest_settings ingest;
  store::store_settings store = service_store_defaults();
  /// Slack Socket Mode; enabled when SLACK_APP_TOKEN and SLACK_BOT_TOKEN are both set.
  slack::slack_settings slack;
  bool slack_enabled = false;
  /// Discord Gateway; enabled when DISCORD_BOT_TOKEN is set.
  discord::discord_settings discord;
  bool discord_enabled = false;
  /// Mattermost websocket; enabled when MATTERMOST_TOKEN (and mattermost.url) are set.
  mattermost::mattermost_settings mattermost;
  bool mattermost_enabled = false;
  /// Who may look up sessions on each platform: <platform>.allowed_channels, allowed_users
  /// (Discord also allowed_roles) and lookups_per_minute.
  bot::access_rules slack_access;
  bot::access_rules discord_access;
  bot::access_rules mattermost_access;
  std::string log_level = "info";
  /// After SIGTERM/SIGINT, time to finish requests in flight before stopping anyway.
  std::chrono::seconds shutdown_timeout{20};
  /// bot.language: the team's language for agent-facing text, and the customer line's fallback
  /// when the customer's locale has no catalog ("en", "fr", "pl", "nl", "de").
  std::string bot_language = "en";
  /// [digest] and [alerts]: scheduled digests and incident alerts posted to channels.
  leads_settings leads;
};

/// A configuration problem, worded for the operator: "<where>: <section.key>: <reason>".
class config_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using env_lookup = std::function<const char*(const char*)>;

/// Builds the settings. `file` is read when given (a missing file is an error); `env` is the
/// environment (std::getenv in production). Throws config_error on an unknown key in the file,
/// a value of the wrong type or out of range, or a secret placed in the file.
app_settings load_settings(const std::optional<std::filesystem::path>& file, const env_lookup& env);

/// One problem of a configuration file, for `sessiondx check-config`.
struct config_problem {
  std::string file;
  int line = 0;     ///< 1-based; 0 when the problem has no line (the environment)
  std::string key;  ///< "section.key", or "" for a syntax error
  std::string reason;
};

/// "FILE:LINE: key: reason".
std::string to_string(const config_problem& problem);

/// Every problem of `file` (unknown keys, bad values, secrets in the file, syntax), then those of
/// the environment as the service would read it; empty when the service would start with it.
std::vector<config_problem> check_config(const std::filesystem::path& file, const env_lookup& env);

/// Parses "HOST:PORT" or "[v6]:PORT"; throws config_error naming `what`.
std::pair<std::string, std::uint16_t> parse_listen(const std::string& text,
                                                   const std::string& what);

/// The documented keys with their defaults, as a TOML document (for `sessiondx config`).
std::string default_config_toml();

}  // namespace sessiondx::app
