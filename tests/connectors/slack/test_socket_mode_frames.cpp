#include "connectors/slack/socket_mode_frames.hpp"

#include <catch2/catch.hpp>

using namespace sessiondx::slack;
using json = nlohmann::json;

TEST_CASE("hello, disconnect, unknown and malformed frames") {
  auto f = parse_frame(
      R"({"type":"hello","num_connections":2,"debug_info":{"host":"applink-1","build_number":10,"approximate_connection_time":18060},"connection_info":{"app_id":"A111"}})");
  REQUIRE(std::holds_alternative<hello_frame>(f));
  CHECK(std::get<hello_frame>(f).num_connections == 2);
  CHECK(std::get<hello_frame>(f).approximate_connection_time_s == 18060);

  f = parse_frame(
      R"({"type":"disconnect","reason":"refresh_requested","debug_info":{"host":"wss-111.slack.com"}})");
  REQUIRE(std::holds_alternative<disconnect_frame>(f));
  CHECK(std::get<disconnect_frame>(f).reason == "refresh_requested");

  CHECK(std::holds_alternative<unknown_frame>(parse_frame(R"({"type":"brand_new"})")));
  CHECK(std::holds_alternative<malformed_frame>(parse_frame("nope")));
  CHECK(std::holds_alternative<malformed_frame>(parse_frame("[]")));
  CHECK(std::holds_alternative<malformed_frame>(parse_frame(R"({"a":1})")));
  CHECK(std::holds_alternative<malformed_frame>(parse_frame("")));
}

TEST_CASE("a slash command envelope and its ack") {
  const auto f = parse_frame(
      R"({"envelope_id":"1d3c79ab","type":"slash_commands","accepts_response_payload":true,
    "payload":{"token":"t","team_id":"T111","channel_id":"C111","user_id":"U111","command":"/session",
    "text":"abcd1234efgh5678 full","response_url":"https://hooks.slack.com/commands/T111/1/x","trigger_id":"1.2.x"}})");
  REQUIRE(std::holds_alternative<envelope_frame>(f));
  const auto& e = std::get<envelope_frame>(f);
  CHECK(e.envelope_id == "1d3c79ab");
  CHECK(e.accepts_response_payload);
  CHECK(ack_frame(e.envelope_id) == R"({"envelope_id":"1d3c79ab"})");
  const auto c = command_from_envelope(e);
  REQUIRE(std::holds_alternative<incoming_command>(c));
  const auto& cmd = std::get<incoming_command>(c);
  CHECK(cmd.origin == command_origin::slash_command);
  CHECK(cmd.channel == "C111");
  CHECK(cmd.user == "U111");
  CHECK(cmd.text == "/session abcd1234efgh5678 full");
  CHECK(cmd.response_url == "https://hooks.slack.com/commands/T111/1/x");
}

namespace {
envelope_frame event(json ev, std::string event_id = "Ev1") {
  envelope_frame e;
  e.envelope_id = "env";
  e.type = "events_api";
  e.payload = {{"type", "event_callback"},
               {"event_id", event_id},
               {"event", std::move(ev)},
               {"authorizations", json::array({{{"user_id", "UBOT"}, {"is_bot", true}}})}};
  return e;
}
}  // namespace

TEST_CASE("events: mentions and direct messages are commands; bots, edits and channels are not") {
  auto c = command_from_envelope(event({{"type", "app_mention"},
                                        {"user", "U1"},
                                        {"channel", "C1"},
                                        {"text", "<@UBOT> session abc"},
                                        {"ts", "1.1"},
                                        {"thread_ts", "1.0"}}));
  REQUIRE(std::holds_alternative<incoming_command>(c));
  CHECK(std::get<incoming_command>(c).origin == command_origin::mention);
  CHECK(std::get<incoming_command>(c).thread_ts == "1.0");
  CHECK(std::get<incoming_command>(c).event_id == "Ev1");

  c = command_from_envelope(event({{"type", "message"},
                                   {"channel_type", "im"},
                                   {"user", "U1"},
                                   {"channel", "D1"},
                                   {"text", "session abc"}}));
  REQUIRE(std::holds_alternative<incoming_command>(c));
  CHECK(std::get<incoming_command>(c).origin == command_origin::direct_message);

  const json ignored_events[] = {
      {{"type", "message"},
       {"channel_type", "im"},
       {"bot_id", "B1"},
       {"user", "U9"},
       {"channel", "D1"},
       {"text", "x"}},
      {{"type", "message"},
       {"channel_type", "im"},
       {"subtype", "message_changed"},
       {"channel", "D1"}},
      {{"type", "message"},
       {"channel_type", "im"},
       {"user", "UBOT"},
       {"channel", "D1"},
       {"text", "x"}},
      {{"type", "message"},
       {"channel_type", "channel"},
       {"user", "U1"},
       {"channel", "C1"},
       {"text", "x"}},
      {{"type", "reaction_added"}, {"user", "U1"}},
      {{"type", "app_mention"}, {"channel", "C1"}, {"text", "no user"}},
  };
  for (const auto& ev : ignored_events)
    CHECK(std::holds_alternative<ignored_envelope>(command_from_envelope(event(ev))));
}

TEST_CASE("the share button round-trips the command") {
  incoming_command original;
  original.text = "/session abcd1234efgh5678 full";
  original.thread_ts = "1.5";
  envelope_frame e;
  e.envelope_id = "env";
  e.type = "interactive";
  e.payload = {{"type", "block_actions"},
               {"user", {{"id", "U1"}}},
               {"channel", {{"id", "C1"}}},
               {"actions", json::array({{{"action_id", "share_in_channel"},
                                         {"value", share_button_value(original)}}})}};
  auto c = command_from_envelope(e);
  REQUIRE(std::holds_alternative<incoming_command>(c));
  const auto& cmd = std::get<incoming_command>(c);
  CHECK(cmd.origin == command_origin::share_button);
  CHECK(cmd.text == original.text);
  CHECK(cmd.thread_ts == "1.5");
  CHECK(cmd.channel == "C1");

  e.payload["actions"][0]["action_id"] = "other";
  CHECK(std::holds_alternative<ignored_envelope>(command_from_envelope(e)));
  e.payload["actions"][0] = {{"action_id", "share_in_channel"}, {"value", "not json"}};
  CHECK(std::holds_alternative<ignored_envelope>(command_from_envelope(e)));
}

TEST_CASE("envelopes of unknown type, or without a payload object, are ignored") {
  envelope_frame e;
  e.type = "future";
  e.payload = json::object();
  CHECK(std::holds_alternative<ignored_envelope>(command_from_envelope(e)));
  e.type = "slash_commands";
  e.payload = "text";
  CHECK(std::holds_alternative<ignored_envelope>(command_from_envelope(e)));
  e.payload = json::object();
  CHECK(std::holds_alternative<ignored_envelope>(command_from_envelope(e)));
}
