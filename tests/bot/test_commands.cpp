#include "bot/commands.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace sessiondx::bot;

namespace {

session_command session_of(std::string_view text) {
  auto c = parse_command(text);
  if (auto* bad = std::get_if<invalid_command>(&c)) FAIL("invalid: " << bad->message);
  REQUIRE(std::holds_alternative<session_command>(c));
  return std::get<session_command>(c);
}

std::string error_of(std::string_view text) {
  auto c = parse_command(text);
  REQUIRE(std::holds_alternative<invalid_command>(c));
  return std::get<invalid_command>(c).message;
}

bool is_help(std::string_view text) {
  return std::holds_alternative<help_command>(parse_command(text));
}

}  // namespace

TEST_CASE("parse_command: the session command and its views", "[commands]") {
  auto s = session_of("/session abcd1234efgh5678");
  CHECK(s.session_id == "abcd1234efgh5678");
  CHECK(s.view == view::summary);
  CHECK(session_of("/session abcd1234efgh5678 timeline").view == view::timeline);
  CHECK(session_of("/session abcd1234efgh5678 full").view == view::full);
  CHECK(session_of("/session abcd1234efgh5678 summary").view == view::summary);
  CHECK(session_of("session abcd1234efgh5678").session_id == "abcd1234efgh5678");
  CHECK(session_of("!session abcd1234efgh5678 full").view == view::full);
  // The view may come first.
  CHECK(session_of("/session timeline abcd1234efgh5678").view == view::timeline);
}

TEST_CASE("parse_command: case-insensitive commands and views, id keeps its case", "[commands]") {
  auto s = session_of("/SESSION ABCD1234efgh TIMELINE");
  CHECK(s.session_id == "ABCD1234efgh");
  CHECK(s.view == view::timeline);
  CHECK(session_of("Session abcd1234efgh5678 Full").view == view::full);
  // "ID" is too short to be an id.
  CHECK(error_of("/SESSION ID TIMELINE").find("\u201CID\u201D is not a session id") !=
        std::string::npos);
}

TEST_CASE("parse_command: ids as pasted from tickets", "[commands]") {
  for (std::string_view text :
       {"/session `abcd1234efgh5678`", "/session   abcd1234efgh5678   ",
        "/session \"abcd1234efgh5678\"", "/session 'abcd1234efgh5678'",
        "/session \u201Cabcd1234efgh5678\u201D", "/session \u2018abcd1234efgh5678\u2019",
        "/session <abcd1234efgh5678>", "/session abcd1234efgh5678.",
        "/session \u201C abcd1234efgh5678 \u201D", "/session ` abcd1234efgh5678 `",
        "/session\u00A0abcd1234efgh5678", "\n/session\tabcd1234efgh5678\n"}) {
    INFO(text);
    CHECK(session_of(text).session_id == "abcd1234efgh5678");
  }
  CHECK(session_of("/session `abcd1234efgh5678` Timeline.").view == view::timeline);
}

TEST_CASE("parse_command: a leftover bot mention is skipped", "[commands]") {
  CHECK(session_of("@sessionbot session abcd1234efgh5678").session_id == "abcd1234efgh5678");
  CHECK(session_of("<@U0BOT123> session abcd1234efgh5678 full").view == view::full);
  CHECK(is_help("@sessionbot"));
}

TEST_CASE("parse_command: help", "[commands]") {
  CHECK(is_help("/help"));
  CHECK(is_help("help"));
  CHECK(is_help("HELP"));
  CHECK(is_help("/session help"));
  CHECK(is_help(""));
  CHECK(is_help("   \n "));
}

TEST_CASE("parse_command: odd and hostile input gives a precise message", "[commands]") {
  CHECK(error_of("/session").starts_with("Which session?"));
  CHECK(error_of("/session   ``  ").starts_with("Which session?"));
  CHECK(error_of("/session timeline").starts_with("Which session?"));
  CHECK(error_of("/session abcd1234efgh5678 please now") ==
        "Unexpected \u201Cplease\u201D after the session id.");
  CHECK(error_of("/session abcd1234efgh5678 timeline full") ==
        "Choose one view: timeline or full.");
  CHECK(error_of("/frobnicate abcd1234efgh5678") == "Unknown command \u201C/frobnicate\u201D.");
  CHECK(error_of("/session '; DROP TABLE sessions; --")
            .starts_with("\u201CDROP\u201D is not a session id."));
  CHECK(error_of("/session '; DROP TABLE sessions; --").find("DROP") != std::string::npos);
  CHECK(error_of("/session abc\u00E9defghij").find("is not a session id") != std::string::npos);
  CHECK(error_of("/session \u202Eabcd1234efgh5678").find("is not a session id") !=
        std::string::npos);
  CHECK(error_of("/session [abcd1234](http://evil)").find("is not a session id") !=
        std::string::npos);
  CHECK(error_of("/session @everyone").find("is not a session id") != std::string::npos);
  CHECK(error_of("/session **abcd1234efgh5678**").find("is not a session id") != std::string::npos);
}

TEST_CASE("parse_command: very long text stays cheap and the message short", "[commands]") {
  std::string huge = "/session " + std::string(1'000'000, 'a');
  auto message = error_of(huge);
  CHECK(message.size() < 300);
  std::string many = "/session abcd1234efgh5678";
  for (int i = 0; i < 10'000; ++i) many += " word";
  CHECK(error_of(many).starts_with("Unexpected"));
  CHECK(error_of(std::string(100'000, 'x')).size() < 100);
}

TEST_CASE("command_handler maps results to replies", "[commands]") {
  std::vector<std::string> asked;
  command_handler handler([&](const std::string& id) -> diagnose_result {
    asked.push_back(id);
    if (id == "missing-session") {
      return unknown_session{id, {"missing-session2"}, 30};
    }
    diagnosis d;
    d.session_id = id;
    d.verdict = verdict::healthy;
    return d;
  });

  auto r = handler.handle({"U1", "C1", "/session `abcd1234efgh5678` full"});
  REQUIRE(std::holds_alternative<diagnosis_reply>(r));
  CHECK(std::get<diagnosis_reply>(r).view == view::full);
  CHECK(std::get<diagnosis_reply>(r).diagnosis.session_id == "abcd1234efgh5678");

  auto u = handler.handle({"U1", "C1", "session missing-session"});
  REQUIRE(std::holds_alternative<unknown_session_reply>(u));
  CHECK(std::get<unknown_session_reply>(u).similar == std::vector<std::string>{"missing-session2"});
  CHECK(std::get<unknown_session_reply>(u).retention_days == 30);

  CHECK(std::holds_alternative<help_reply>(handler.handle({"U1", "C1", "/help"})));

  auto e = handler.handle({"U1", "C1", "/session '; DROP TABLE sessions; --"});
  REQUIRE(std::holds_alternative<error_reply>(e));
  CHECK(std::get<error_reply>(e).with_usage);

  // Bad input never reaches the diagnoser.
  CHECK(asked == std::vector<std::string>{"abcd1234efgh5678", "missing-session"});
}

TEST_CASE("command_handler uses the configured id format", "[commands]") {
  session_id_format digits("^[0-9]{6}$", "6 digits", "123456");
  int calls = 0;
  command_handler handler(
      [&](const std::string&) -> diagnose_result {
        ++calls;
        return diagnosis{};
      },
      digits);
  CHECK(std::holds_alternative<diagnosis_reply>(handler.handle({"", "", "/session 123456"})));
  auto e = handler.handle({"", "", "/session abcd1234efgh5678"});
  REQUIRE(std::holds_alternative<error_reply>(e));
  CHECK(std::get<error_reply>(e).message.find("6 digits (e.g. 123456)") != std::string::npos);
  CHECK(calls == 1);
}

TEST_CASE("command_handler lets diagnoser exceptions through", "[commands]") {
  command_handler handler(
      [](const std::string&) -> diagnose_result { throw std::runtime_error("store down"); });
  CHECK_THROWS_AS(handler.handle({"", "", "/session abcd1234efgh5678"}), std::runtime_error);
}
