#include "connectors/slack/settings.hpp"

#include <stdexcept>

namespace sessiondx::slack {

std::optional<reply_visibility> parse_visibility(std::string_view text) {
  if (text == "channel") return reply_visibility::channel;
  if (text == "ephemeral") return reply_visibility::ephemeral;
  return std::nullopt;
}

std::string_view to_string(reply_visibility v) {
  return v == reply_visibility::channel ? "channel" : "ephemeral";
}

std::optional<slack_settings> with_tokens_from_env(
    slack_settings base, const std::function<const char*(const char*)>& env) {
  const char* app = env("SLACK_APP_TOKEN");
  const char* bot = env("SLACK_BOT_TOKEN");
  if (app == nullptr || *app == '\0' || bot == nullptr || *bot == '\0') return std::nullopt;
  base.app_token = app;
  base.bot_token = bot;
  if (base.app_token.rfind("xapp-", 0) != 0)
    throw std::invalid_argument(
        "SLACK_APP_TOKEN: expected an app-level token starting with xapp- (Basic Information → "
        "App-Level Tokens, scope connections:write)");
  if (base.bot_token.rfind("xoxb-", 0) != 0)
    throw std::invalid_argument(
        "SLACK_BOT_TOKEN: expected a bot token starting with xoxb- (OAuth & Permissions → Bot "
        "User OAuth Token)");
  return base;
}

}  // namespace sessiondx::slack
