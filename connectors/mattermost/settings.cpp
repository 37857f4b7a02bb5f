#include "connectors/mattermost/settings.hpp"

#include <stdexcept>

namespace sessiondx::mattermost {

std::optional<mattermost_settings> with_token_from_env(
    mattermost_settings base, const std::function<const char*(const char*)>& env) {
  const char* token = env("MATTERMOST_TOKEN");
  if (token == nullptr || *token == '\0') return std::nullopt;
  std::string t = token;
  if (t.find_first_of(" \t\r\n") != std::string::npos)
    throw std::invalid_argument(
        "MATTERMOST_TOKEN: expected the bot access token alone, without spaces or line breaks");
  if (base.url.empty())
    throw std::invalid_argument(
        "MATTERMOST_TOKEN is set but mattermost.url is not (SESSIONDX_MATTERMOST_URL): the "
        "server to connect to, e.g. https://chat.example.com");
  base.token = std::move(t);
  return base;
}

}  // namespace sessiondx::mattermost
