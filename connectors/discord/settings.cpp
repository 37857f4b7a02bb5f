#include "connectors/discord/settings.hpp"

#include <stdexcept>

namespace sessiondx::discord {

std::optional<reply_visibility> parse_visibility(std::string_view text) {
  if (text == "channel") return reply_visibility::channel;
  if (text == "ephemeral") return reply_visibility::ephemeral;
  return std::nullopt;
}

std::string_view to_string(reply_visibility v) {
  return v == reply_visibility::channel ? "channel" : "ephemeral";
}

std::string user_agent(const discord_settings& s) {
  return "DiscordBot (" + s.user_agent_url + ", " + s.version + ")";
}

std::optional<discord_settings> with_token_from_env(
    discord_settings base, const std::function<const char*(const char*)>& env) {
  const char* token = env("DISCORD_BOT_TOKEN");
  if (token == nullptr || *token == '\0') return std::nullopt;
  std::string t = token;
  if (t.rfind("Bot ", 0) == 0) t.erase(0, 4);
  if (t.empty() || t.find_first_of(" \t\r\n") != std::string::npos)
    throw std::invalid_argument(
        "DISCORD_BOT_TOKEN: expected the bot token alone (Developer Portal → Bot → Reset Token), "
        "without spaces or line breaks");
  base.bot_token = std::move(t);
  return base;
}

std::vector<std::string> parse_guild_ids(std::string_view text) {
  std::vector<std::string> out;
  std::string current;
  auto flush = [&] {
    if (!current.empty()) out.push_back(current);
    current.clear();
  };
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      current += c;
    } else if (c == ',' || c == ' ') {
      flush();
    } else {
      throw std::invalid_argument("expected guild ids (numbers) separated by commas, got \"" +
                                  std::string(text) + "\"");
    }
  }
  flush();
  return out;
}

}  // namespace sessiondx::discord
