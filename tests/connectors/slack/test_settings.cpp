#include "connectors/slack/settings.hpp"

#include <catch2/catch.hpp>

#include <map>

using namespace sessiondx::slack;

namespace {
auto env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}
}  // namespace

TEST_CASE("Slack starts only when both tokens are set") {
  CHECK_FALSE(with_tokens_from_env({}, env_of({})));
  CHECK_FALSE(with_tokens_from_env({}, env_of({{"SLACK_APP_TOKEN", "xapp-1"}})));
  CHECK_FALSE(
      with_tokens_from_env({}, env_of({{"SLACK_APP_TOKEN", "xapp-1"}, {"SLACK_BOT_TOKEN", ""}})));
  auto s = with_tokens_from_env(
      {}, env_of({{"SLACK_APP_TOKEN", "xapp-1"}, {"SLACK_BOT_TOKEN", "xoxb-2"}}));
  REQUIRE(s);
  CHECK(s->app_token == "xapp-1");
  CHECK(s->bot_token == "xoxb-2");
  CHECK(s->api_url == "https://slack.com/api/");
  CHECK_FALSE(s->allow_plaintext);
}

TEST_CASE("swapped or wrong tokens are refused by name") {
  try {
    with_tokens_from_env({},
                         env_of({{"SLACK_APP_TOKEN", "xoxb-2"}, {"SLACK_BOT_TOKEN", "xapp-1"}}));
    FAIL("no exception");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).find("SLACK_APP_TOKEN") == 0);
  }
  CHECK_THROWS_AS(with_tokens_from_env({}, env_of({{"SLACK_APP_TOKEN", "xapp-1"},
                                                   {"SLACK_BOT_TOKEN", "xoxp-user"}})),
                  std::invalid_argument);
}

TEST_CASE("visibility names") {
  CHECK(parse_visibility("channel") == reply_visibility::channel);
  CHECK(parse_visibility("ephemeral") == reply_visibility::ephemeral);
  CHECK_FALSE(parse_visibility("private"));
  CHECK(to_string(reply_visibility::ephemeral) == "ephemeral");
}
