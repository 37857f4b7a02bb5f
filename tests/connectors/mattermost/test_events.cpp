#include "bot/render/limits.hpp"
#include "connectors/mattermost/events.hpp"
#include "connectors/mattermost/settings.hpp"

#include <catch2/catch.hpp>

using namespace sessiondx::mattermost;
using json = nlohmann::json;

namespace {
std::string posted_frame(const std::string& message, const std::string& user = "U1",
                         const std::string& channel_type = "O", int seq = 3) {
  const json post{
      {"id", "P1"},    {"create_at", 1674132302437}, {"user_id", user},        {"channel_id", "C1"},
      {"root_id", ""}, {"message", message},         {"props", json::object()}};
  return json{{"event", "posted"},
              {"data",
               {{"channel_type", channel_type},
                {"post", post.dump()},
                {"sender_name", "@agent"},
                {"mentions", json::array({"BOT"}).dump()}}},
              {"broadcast", {{"channel_id", "C1"}}},
              {"seq", seq}}
      .dump();
}
posted_event posted(const std::string& message, const std::string& user = "U1",
                    const std::string& type = "O") {
  return std::get<posted_event>(parse_event(posted_frame(message, user, type)));
}
}  // namespace

TEST_CASE("mattermost settings: token from the environment, url required") {
  mattermost_settings base;
  CHECK_FALSE(with_token_from_env(base, [](const char*) -> const char* { return nullptr; }));
  CHECK_THROWS_AS(with_token_from_env(base, [](const char*) { return "tok"; }),
                  std::invalid_argument);
  base.url = "https://chat.example.com";
  auto s = with_token_from_env(base, [](const char*) { return "tok"; });
  REQUIRE(s);
  CHECK(s->token == "tok");
  CHECK(s->command_prefix == "!");
}

TEST_CASE("events: hello, posted with its nested JSON, replies, malformed") {
  const auto hello = parse_event(
      R"({"event":"hello","data":{"connection_id":"hzg47a5pmtnstk5yh3ymzr4rtc","server_version":"7.10"},"broadcast":{},"seq":0})");
  REQUIRE(std::holds_alternative<hello_event>(hello));
  CHECK(std::get<hello_event>(hello).connection_id == "hzg47a5pmtnstk5yh3ymzr4rtc");
  const auto p = posted("!session abc123");
  CHECK(p.seq == 3);
  CHECK(p.post.id == "P1");
  CHECK(p.post.channel_id == "C1");
  CHECK(p.post.message == "!session abc123");
  CHECK(p.channel_type == "O");
  CHECK(p.mentions == std::vector<std::string>{"BOT"});
  CHECK(std::holds_alternative<action_reply>(parse_event(R"({"status":"OK","seq_reply":1})")));
  CHECK(
      std::holds_alternative<other_event>(parse_event(R"({"event":"typing","data":{},"seq":4})")));
  for (const char* bad :
       {"", "nope", "[]", R"({"data":{}})", R"({"event":"posted","data":{"post":"{"},"seq":1})"})
    CHECK(std::holds_alternative<malformed_event>(parse_event(bad)));
}

TEST_CASE("sequence: last + 1 on reconnect, duplicates dropped, gaps detected") {
  sequence_tracker t;
  CHECK(t.target() == "/api/v4/websocket");
  CHECK_FALSE(t.on_hello("conn1"));
  CHECK(t.on_event(1) == sequence_tracker::verdict::fresh);
  CHECK(t.on_event(2) == sequence_tracker::verdict::fresh);
  CHECK(t.target() == "/api/v4/websocket?connection_id=conn1&sequence_number=3");
  CHECK(t.on_event(2) == sequence_tracker::verdict::duplicate);
  CHECK(t.on_event(5) == sequence_tracker::verdict::gap);
  CHECK(t.on_hello("conn1") == false);
  CHECK(t.on_hello("conn2") == true);  // a new connection: events were lost
  CHECK(t.next() == 1);
}

TEST_CASE("commands: the prefix, a mention, a direct message; never the bot itself") {
  CHECK(command_text(posted("!session abc123"), "BOT", "sessiondx", "!") == "session abc123");
  CHECK(command_text(posted("@sessiondx session abc123 full"), "BOT", "sessiondx", "!") ==
        "session abc123 full");
  CHECK(command_text(posted("@sessiondx: help"), "BOT", "sessiondx", "!") == "help");
  CHECK(command_text(posted("session abc123", "U1", "D"), "BOT", "sessiondx", "!") ==
        "session abc123");
  CHECK_FALSE(command_text(posted("talking about sessions"), "BOT", "sessiondx", "!"));
  CHECK_FALSE(command_text(posted("@sessiondxfan hello"), "BOT", "sessiondx", "!"));
  CHECK_FALSE(command_text(posted("!session abc123", "BOT"), "BOT", "sessiondx", "!"));
}

TEST_CASE("replies: mass mentions neutralised, long text split then cut with a note") {
  const auto n = neutralize_mass_mentions("hi @here and @channel, @all; @herebert @sessiondx");
  CHECK(n.find("@here ") == std::string::npos);
  CHECK(n.find("@channel") == std::string::npos);
  CHECK(n.find("@all") == std::string::npos);
  CHECK(n.find("@herebert") != std::string::npos);
  CHECK(n.find("@sessiondx") != std::string::npos);

  std::string text;
  for (int i = 0; i < 100; ++i) text += "line " + std::to_string(i) + " of the reply\n";
  const auto two = split_reply(text, 1000, 10);
  CHECK(two.size() == 3);
  std::string joined;
  for (const auto& p : two) joined += p;
  CHECK(joined == text);
  const auto cut = split_reply(text, 300, 2);
  REQUIRE(cut.size() == 2);
  for (const auto& p : cut) CHECK(sessiondx::bot::render::text_length(p) <= 300);
  CHECK(cut[1].find("left out") != std::string::npos);

  post p;
  p.id = "P2";
  CHECK(reply_root(p) == "P2");
  p.root_id = "P1";
  CHECK(reply_root(p) == "P1");
}
