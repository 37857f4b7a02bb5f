#include "bot/commands.hpp"
#include "bot/digest.hpp"
#include "bot/digest_text.hpp"
#include "bot/leads.hpp"
#include "tests/bot/summary_fake.hpp"

#include <catch2/catch.hpp>

namespace bot = sessiondx::bot;
namespace store = sessiondx::store;
using sessiondx::test::summary_fake;

namespace {

constexpr std::int64_t hour = 3'600'000;
constexpr std::int64_t day = 24 * hour;
constexpr std::int64_t now = 1'780'000'000'000 / day * day + 9 * hour;  // 09:00 UTC

}  // namespace

TEST_CASE("digest: trends against the previous window, new problems, most looked up", "[digest]") {
  summary_fake s;
  // Previous day: A 10 sessions, B 10, C 5. This day: A 30 (up), B 9 (flat), C 1 (down), D 4
  // (new), noise 100 (never shown).
  for (int h = 0; h < 10; ++h) {
    s.add("js:A", now - day - 20 * hour + h * hour, 1);
    s.add("js:B", now - day - 20 * hour + h * hour, 1);
    if (h < 5) s.add("route:GET /c", now - day - 20 * hour + h * hour, 1);
  }
  for (int h = 0; h < 10; ++h) s.add("js:A", now - 20 * hour + h * hour, 3);
  for (int h = 0; h < 9; ++h) s.add("js:B", now - 15 * hour + h * hour, 1);
  s.add("route:GET /c", now - 2 * hour, 1);
  s.add("js:D", now - 3 * hour, 4);
  s.add("resource:tracker.example", now - 3 * hour, 100);
  s.add_traffic(now - 5 * hour, 1000, 40);
  s.add_traffic(now - 2 * day, 999, 99);  // outside
  s.lookups_log = {{now - hour, "S1", "broken", "js:A", "U1", "slack", "C"},
                   {now - hour + 1, "S1", "broken", "js:A", "U2", "slack", "C"},
                   {now - hour + 2, "S2", "broken", "js:D", "U1", "slack", "C"},
                   {now - hour + 3, "S3", "healthy", "", "U1", "slack", "C"}};

  bot::digest_settings settings;
  settings.is_noise = [](std::string_view k) { return k.starts_with("resource:tracker"); };
  bot::lead_reports reports(s, settings);
  const bot::digest d = reports.build(now, day);

  CHECK(d.sessions_received == 40);
  CHECK(d.events_received == 1000);
  CHECK(d.lookups == 4);
  CHECK(d.sessions_looked_up == 3);
  REQUIRE(d.verdicts.size() == 2);
  CHECK(d.verdicts[0].verdict == "broken");
  CHECK(d.verdicts[0].lookups == 3);

  REQUIRE(d.top.size() == 4);
  CHECK(d.top[0].issue_key == "js:A");
  CHECK(d.top[0].sessions == 30);
  CHECK(d.top[0].previous_sessions == 10);
  CHECK(d.top[0].trend == bot::trend::up);
  CHECK(d.top[0].lookups == 2);
  CHECK(d.top[1].issue_key == "js:B");
  CHECK(d.top[1].trend == bot::trend::flat);
  CHECK(d.top[2].issue_key == "js:D");
  CHECK(d.top[2].trend == bot::trend::new_problem);
  CHECK(d.top[3].issue_key == "route:GET /c");
  CHECK(d.top[3].trend == bot::trend::down);
  for (const auto& p : d.top) {
    CHECK(p.issue_key != "resource:tracker.example");
    CHECK_FALSE(p.example_session.empty());
    CHECK(p.spark.size() == settings.spark_slots);
  }
  REQUIRE(d.new_problems.size() == 1);
  CHECK(d.new_problems[0].issue_key == "js:D");
  REQUIRE(d.most_looked_up.size() == 2);
  CHECK(d.most_looked_up[0].issue_key == "js:A");
  CHECK(d.most_looked_up[1].issue_key == "js:D");

  const std::string text = bot::render_digest(d, bot::text_flavor::plain);
  INFO(text);
  CHECK(text.find("40 sessions received (1000 events), 3 sessions looked up (4 lookups): 3 "
                  "broken, 1 healthy") != std::string::npos);
  CHECK(text.find("\u2022 js:A \u2014 30 sessions \u2191 (was 10)") != std::string::npos);
  CHECK(text.find("\u2022 js:D \u2014 4 sessions new") != std::string::npos);
  CHECK(text.find("tracker") == std::string::npos);
  CHECK(text.find("/session js:A-") != std::string::npos);
  const std::string json = bot::render_digest_json(d);
  CHECK(json.find("\"trend\": \"up\"") != std::string::npos);
  const std::string md = bot::render_digest(d, bot::text_flavor::markdown);
  CHECK(md.find("**Top problems**") != std::string::npos);
  CHECK(md.find("`route:GET /c`") != std::string::npos);
}

TEST_CASE("digest: /top lists the window's problems by sessions", "[digest]") {
  summary_fake s;
  s.add("js:old", now - 5 * hour, 50);
  s.add("js:a", now - 30 * 60'000, 3);
  s.add("js:b", now - 10 * 60'000, 7);
  bot::lead_reports reports(s);
  const auto top = reports.top(now, hour);
  REQUIRE(top.size() == 2);
  CHECK(top[0].issue_key == "js:b");
  CHECK(top[0].sessions == 7);
  CHECK(top[1].issue_key == "js:a");
  CHECK(reports.top(now, day).front().issue_key == "js:old");
  const auto answer = reports.answer(bot::top_command{hour}, now);
  CHECK(answer.text.find("Top problems \u2014 last 1 h") != std::string::npos);
  CHECK(answer.mrkdwn.find("*Top problems \u2014 last 1 h*") != std::string::npos);
}

TEST_CASE("digest: sparklines scale to the largest value", "[digest]") {
  CHECK(bot::sparkline({0, 1, 2, 4, 8}) == "\u2581\u2582\u2583\u2585\u2588");
  CHECK(bot::sparkline({}) == "");
  CHECK(bot::sparkline({0, 0}) == "\u2581\u2581");
  CHECK(bot::sparkline({5, 5}) == "\u2588\u2588");
}

TEST_CASE("commands: /digest and /top take a window", "[digest][commands]") {
  auto digest = bot::parse_command("/digest");
  REQUIRE(std::holds_alternative<bot::digest_command>(digest));
  CHECK(std::get<bot::digest_command>(digest).window_ms == day);
  CHECK(std::get<bot::digest_command>(bot::parse_command("digest 7d")).window_ms == 7 * day);
  CHECK(std::get<bot::top_command>(bot::parse_command("/top")).window_ms == hour);
  CHECK(std::get<bot::top_command>(bot::parse_command("!top 24H")).window_ms == day);
  CHECK(std::holds_alternative<bot::invalid_command>(bot::parse_command("/top soon")));
  CHECK(std::holds_alternative<bot::invalid_command>(bot::parse_command("/digest 90d")));
  CHECK(std::holds_alternative<bot::invalid_command>(bot::parse_command("/digest 1d 2d")));
  CHECK(bot::parse_window("15m") == 15 * 60'000);
  CHECK_FALSE(bot::parse_window("h").has_value());
  CHECK_FALSE(bot::parse_window("-1h").has_value());
}

TEST_CASE("commands: every /session answer reaches the lookup log; /digest the reports",
          "[digest][commands]") {
  bot::command_handler handler([](const std::string& id) -> bot::diagnose_result {
    if (id == "missing-session") return bot::unknown_session{id, {}, 30};
    bot::diagnosis d;
    d.session_id = id;
    d.verdict = bot::verdict::broken;
    d.findings.push_back({});
    d.findings.back().issue_key = "js:top";
    return d;
  });
  std::vector<bot::answered_lookup> seen;
  std::vector<std::string> who;
  handler.on_lookup([&](const bot::answered_lookup& l) {
    seen.push_back(l);
    who.push_back(l.input->user + "/" + l.input->platform + "/" + l.input->channel);
  });
  handler.handle({"U1", "C1", "/session abcd1234efgh5678", "slack"});
  handler.handle({"U2", "C2", "session missing-session", "shell"});
  handler.handle({"U3", "C3", "/help", "slack"});
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].session_id == "abcd1234efgh5678");
  CHECK(seen[0].verdict == "broken");
  CHECK(seen[0].issue_key == "js:top");
  CHECK(seen[1].verdict == "not_found");
  CHECK(who == std::vector<std::string>{"U1/slack/C1", "U2/shell/C2"});

  CHECK(std::holds_alternative<bot::error_reply>(handler.handle({"U", "C", "/digest", "x"})));
  handler.on_report([](const bot::command& cmd, const bot::command_input& input) {
    return bot::report_reply{
        "t", std::holds_alternative<bot::digest_command>(cmd) ? "digest" : "top", input.user, ""};
  });
  const auto r = handler.handle({"U", "C", "/digest 7d", "x"});
  REQUIRE(std::holds_alternative<bot::report_reply>(r));
  CHECK(std::get<bot::report_reply>(r).text == "digest");
}
