#include "bot/render/limits.hpp"
#include "connectors/discord/messages.hpp"
#include "connectors/discord/settings.hpp"

#include <catch2/catch.hpp>

using namespace sessiondx;
using namespace sessiondx::discord;
using json = nlohmann::json;

namespace {

bot::diagnosis make_diagnosis(const std::string& id, int findings) {
  bot::diagnosis d;
  d.session_id = id;
  d.verdict = bot::verdict::broken;
  d.headline = "Payment failed @everyone <@123> @here";
  d.first_seen_ms = 1'714'730'553'000;
  d.last_seen_ms = 1'714'730'853'000;
  d.event_count = 42;
  for (int i = 0; i < findings; ++i) {
    bot::finding f;
    f.rule = "api.failed";
    f.category = bot::category::backend;
    f.severity = bot::severity::error;
    f.title = "POST /api/payment-" + std::to_string(i) + " -> 502 " + std::string(300, 'x');
    f.first_seen_ms = d.first_seen_ms;
    f.count = 1;
    d.findings.push_back(f);
  }
  for (int i = 0; i < findings * 4; ++i)
    d.timeline.push_back(
        {d.first_seen_ms + i * 1000, "api", "GET /x " + std::string(80, 'y'), i % 3 == 0});
  return d;
}

json interaction_create(json data, int type = 2) {
  return {{"id", "786008729715212338"},
          {"application_id", "333"},
          {"type", type},
          {"token", "A_UNIQUE_TOKEN"},
          {"version", 1},
          {"guild_id", "290926798626357999"},
          {"channel_id", "645027906669510667"},
          {"member",
           {{"user", {{"id", "53908232506183680"}, {"username", "agent"}}},
            {"roles", json::array()},
            {"permissions", "2147483647"}}},
          {"data", std::move(data)},
          {"app_permissions", "442368"},
          {"locale", "en-US"}};
}

}  // namespace

TEST_CASE("settings: the token from the environment only, guild ids, visibility") {
  discord_settings base;
  auto none = with_token_from_env(base, [](const char*) -> const char* { return nullptr; });
  CHECK_FALSE(none);
  auto set = with_token_from_env(base, [](const char* n) -> const char* {
    return std::string(n) == "DISCORD_BOT_TOKEN" ? "Bot MTE.abc.def" : nullptr;
  });
  REQUIRE(set);
  CHECK(set->bot_token == "MTE.abc.def");
  CHECK_THROWS_AS(with_token_from_env(base, [](const char*) { return "two words"; }),
                  std::invalid_argument);
  CHECK(parse_guild_ids("1, 22,333") == std::vector<std::string>{"1", "22", "333"});
  CHECK(parse_guild_ids("").empty());
  CHECK_THROWS_AS(parse_guild_ids("12,abc"), std::invalid_argument);
  CHECK(parse_visibility("ephemeral") == reply_visibility::ephemeral);
  CHECK_FALSE(parse_visibility("secret"));
  CHECK(user_agent(base).rfind("DiscordBot (", 0) == 0);
  CHECK(base.api_url == "https://discord.com/api/v10");
}

TEST_CASE("commands: /session with a required id and a view choice, /digest, /top and /help") {
  const auto c = command_definitions();
  REQUIRE(c.size() == 4);
  CHECK(c[0]["name"] == "session");
  CHECK(c[0]["type"] == 1);
  CHECK(c[0]["options"][0]["name"] == "id");
  CHECK(c[0]["options"][0]["type"] == 3);
  CHECK(c[0]["options"][0]["required"] == true);
  CHECK(c[0]["options"][1]["name"] == "view");
  CHECK(c[0]["options"][1]["choices"].size() == 3);
  CHECK(c[1]["name"] == "digest");
  CHECK(c[1]["options"][0]["name"] == "window");
  CHECK(c[1]["options"][0]["required"] == false);
  CHECK(c[1]["options"][0]["choices"].size() == 2);
  CHECK(c[2]["name"] == "top");
  CHECK(c[3]["name"] == "help");
  for (const auto& cmd : c) CHECK(cmd["description"].get<std::string>().size() <= 100);
}

TEST_CASE("interactions: commands, the user from member or user, the share button") {
  auto cmd = parse_interaction(interaction_create(
      {{"id", "1"},
       {"name", "session"},
       {"type", 1},
       {"options", json::array({{{"type", 3}, {"name", "id"}, {"value", "abc123"}},
                                {{"type", 3}, {"name", "view"}, {"value", "full"}}})}}));
  REQUIRE(std::holds_alternative<interaction>(cmd));
  const auto& it = std::get<interaction>(cmd);
  CHECK(it.text == "/session abc123 full");
  CHECK(it.user_id == "53908232506183680");
  CHECK(it.channel_id == "645027906669510667");
  CHECK(it.token == "A_UNIQUE_TOKEN");
  CHECK_FALSE(it.direct_message);

  auto dm = interaction_create({{"id", "1"}, {"name", "help"}, {"type", 1}});
  dm.erase("member");
  dm.erase("guild_id");
  dm["user"] = {{"id", "42"}};
  const auto help = std::get<interaction>(parse_interaction(dm));
  CHECK(help.text == "/help");
  CHECK(help.user_id == "42");
  CHECK(help.direct_message);

  const auto digest = parse_interaction(interaction_create(
      {{"id", "1"},
       {"name", "digest"},
       {"type", 1},
       {"options", json::array({{{"type", 3}, {"name", "window"}, {"value", "7d"}}})}}));
  CHECK(std::get<interaction>(digest).text == "/digest 7d");
  const auto top =
      parse_interaction(interaction_create({{"id", "1"}, {"name", "top"}, {"type", 1}}));
  CHECK(std::get<interaction>(top).text == "/top");

  const auto share = parse_interaction(
      interaction_create({{"custom_id", "share:abc123:timeline"}, {"component_type", 2}}, 3));
  REQUIRE(std::holds_alternative<interaction>(share));
  CHECK(std::get<interaction>(share).kind == interaction_kind::share_button);
  CHECK(std::get<interaction>(share).text == "/session abc123 timeline");

  CHECK(std::holds_alternative<ignored_interaction>(
      parse_interaction(interaction_create({{"name", "other"}}))));
  CHECK(std::holds_alternative<ignored_interaction>(parse_interaction(json::array())));
  CHECK(std::holds_alternative<ignored_interaction>(
      parse_interaction(interaction_create({{"name", "session"}}, 4))));
}

TEST_CASE("embeds: title and verdict colour, within every limit, mentions never parsed") {
  for (int findings : {1, 40}) {
    for (auto view : {bot::view::summary, bot::view::full, bot::view::timeline}) {
      const bot::reply r = bot::diagnosis_reply{make_diagnosis("abc123", findings), view};
      const auto messages = render_embeds(r);
      REQUIRE_FALSE(messages.empty());
      CHECK(messages[0]["embeds"][0]["title"] == "Session abc123: broken");
      std::string all;
      for (const auto& m : messages) {
        CHECK(m["allowed_mentions"] == json{{"parse", json::array()}});
        CHECK(m["content"] == "");
        CHECK(m["embeds"].size() <= 10);
        CHECK(embed_chars(m) <= 6000);
        for (const auto& e : m["embeds"]) {
          CHECK(bot::render::text_length(e.value("description", "")) <= 4096);
          all += e.value("description", "");
          for (const auto& f : e.value("fields", json::array()))
            all += f["value"].get<std::string>();
        }
      }
      // Event text can mention no one: the mass mentions are broken up.
      CHECK(all.find("@everyone") == std::string::npos);
      CHECK(all.find("@here") == std::string::npos);
      CHECK(all.find("<@123>") == std::string::npos);
      if (findings == 40 && view == bot::view::full) CHECK(messages.size() >= 1);
    }
  }
  const auto help = render_embeds(bot::help_reply{});
  REQUIRE(help.size() == 1);
  CHECK_FALSE(help[0]["embeds"][0].contains("title"));
  CHECK(help[0]["embeds"][0]["description"].get<std::string>().find("/session") !=
        std::string::npos);
}

TEST_CASE("embeds: small limits split across embeds and messages without losing lines") {
  embed_options o;
  o.limits.description = 200;
  o.limits.total = 450;
  o.limits.embeds = 2;
  const bot::reply r = bot::diagnosis_reply{make_diagnosis("abc123", 5), bot::view::full};
  const auto messages = render_embeds(r, o);
  CHECK(messages.size() > 1);
  for (const auto& m : messages) {
    CHECK(m["embeds"].size() <= 2);
    CHECK(embed_chars(m) <= 450);
  }
}

TEST_CASE("ephemeral flag, share button and deferral") {
  json m{{"content", ""}};
  make_ephemeral(m);
  CHECK(m["flags"] == 64);
  add_share_button(m, "share:abc:summary");
  CHECK(m["components"][0]["type"] == 1);
  CHECK(m["components"][0]["components"][0]["type"] == 2);
  CHECK(m["components"][0]["components"][0]["custom_id"] == "share:abc:summary");
  CHECK(deferred_response(false) == json{{"type", 5}});
  CHECK(deferred_response(true) == json{{"type", 5}, {"data", {{"flags", 64}}}});
  const bot::reply r = bot::diagnosis_reply{make_diagnosis("abc123", 1), bot::view::timeline};
  CHECK(share_custom_id(r) == "share:abc123:timeline");
  CHECK(share_custom_id(bot::help_reply{}).empty());
}
