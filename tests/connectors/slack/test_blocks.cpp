#include "bot/render/limits.hpp"
#include "connectors/slack/blocks.hpp"
#include "tests/bot/test_render_fixtures.hpp"

#include <catch2/catch.hpp>

using namespace sessiondx;
using namespace sessiondx::slack;
using json = nlohmann::json;

namespace {

bot::diagnosis sample(std::size_t timeline = 3) {
  bot::diagnosis d;
  d.session_id = "abcd1234efgh5678";
  d.verdict = bot::verdict::broken;
  d.headline = "Checkout failed";
  d.first_seen_ms = 1'714'730'553'000;  // 2024-05-03 10:02:33 UTC
  d.last_seen_ms = 1'714'730'853'000;
  d.event_count = 1234;
  d.next_step = "Escalate";
  d.context.browser = "Firefox 125";
  bot::finding f;
  f.rule = "api.failed";
  f.title = "POST /api/pay -> 502";
  f.count = 3;
  f.first_seen_ms = d.first_seen_ms;
  f.evidence.push_back({d.first_seen_ms, "api", "POST /api/pay 502 in 812 ms"});
  d.findings.push_back(f);
  for (std::size_t i = 0; i < timeline; ++i)
    d.timeline.push_back({d.first_seen_ms + static_cast<std::int64_t>(i) * 1000, "console",
                          std::string(900, 'x') + " & <tag> " + std::to_string(i), i % 7 == 0});
  return d;
}

void check_limits(const std::vector<slack_message>& messages, const block_limits& l = {}) {
  for (const auto& m : messages) {
    CHECK(m.blocks.size() <= l.max_blocks);
    CHECK(bot::render::text_length(m.text) <= l.text_chars);
    CHECK_FALSE(m.text.empty());
    for (const auto& b : m.blocks) {
      if (b["type"] == "section") {
        const std::string t = b["text"]["text"];
        CHECK(bot::render::text_length(t) <= l.section_chars);
        CHECK_FALSE(t.empty());
      }
      if (b["type"] == "header")
        CHECK(bot::render::text_length(b["text"]["text"].get<std::string>()) <= l.header_chars);
    }
  }
}

std::string all_text(const std::vector<slack_message>& messages) {
  std::string out;
  for (const auto& m : messages) out += m.text + m.blocks.dump();
  return out;
}

}  // namespace

TEST_CASE("customer text cannot ping, link or format") {
  const std::string s = mrkdwn_text(
      "<!channel> <@U123> <https://evil.example|click> *b* _i_ ~s~ `c` a&b snake_case_id", 300);
  CHECK(s.find('<') == std::string::npos);
  CHECK(s.find('>') == std::string::npos);
  CHECK(s.find("&amp;") != std::string::npos);
  CHECK(s.find("&lt;") != std::string::npos);
  CHECK(s.find('*') == std::string::npos);
  CHECK(s.find('~') == std::string::npos);
  CHECK(s.find('`') == std::string::npos);
  CHECK(s.find(" _i_ ") == std::string::npos);
  CHECK(s.find("snake_case_id") != std::string::npos);  // inside a word, _ cannot format
  CHECK(mrkdwn_text("line\nbreak", 300).find('\n') == std::string::npos);
  CHECK(escape_reserved("a <b> & c") == "a &lt;b&gt; &amp; c");
}

TEST_CASE("summary: header, sections, context line and a plain fallback") {
  const auto messages = render_blocks(bot::diagnosis_reply{sample(), bot::view::summary});
  REQUIRE(messages.size() == 1);
  const auto& m = messages[0];
  CHECK(m.text == "Session abcd1234efgh5678: broken \u2014 Checkout failed");
  CHECK(m.blocks[0]["type"] == "header");
  CHECK(m.blocks[0]["text"]["type"] == "plain_text");
  CHECK(m.blocks[0]["text"]["text"] == "Session abcd1234efgh5678: broken");
  CHECK(m.blocks.back()["type"] == "context");
  CHECK(m.blocks.dump().find("2024-05-03 10:02:33\u201310:07:33 UTC") != std::string::npos);
  CHECK(m.blocks.dump().find("1,234 events") != std::string::npos);
  check_limits(messages);
}

TEST_CASE("full and timeline views split within Slack's limits, nothing lost") {
  for (auto view : {bot::view::full, bot::view::timeline}) {
    const auto messages = render_blocks(bot::diagnosis_reply{sample(400), view});
    CHECK(messages.size() > 1);
    check_limits(messages);
    const auto text = all_text(messages);
    CHECK(text.find("&amp; &lt;tag&gt; 399") != std::string::npos);
    CHECK(text.find("<tag>") == std::string::npos);
    CHECK(messages[1].text.find("(part 2 of") != std::string::npos);
  }
}

TEST_CASE("entities are never cut in half between sections") {
  bot::diagnosis d = sample(0);
  d.timeline.push_back({d.first_seen_ms, "console", std::string(1000, '&'), false});
  d.timeline.push_back({d.first_seen_ms, "console", std::string(1000, '<'), false});
  const auto messages = render_blocks(bot::diagnosis_reply{d, bot::view::timeline});
  check_limits(messages);
  for (const auto& m : messages)
    for (const auto& b : m.blocks)
      if (b["type"] == "section") {
        const std::string t = b["text"]["text"];
        const auto amp = t.rfind('&');
        if (amp != std::string::npos) CHECK(t.find(';', amp) != std::string::npos);
      }
}

TEST_CASE("reserved blocks leave room for the Share button") {
  block_options o;
  o.reserved_blocks = 1;
  auto messages = render_blocks(bot::diagnosis_reply{sample(400), bot::view::full}, o);
  for (auto& m : messages) {
    add_share_button(m, R"({"text":"/session abcd1234efgh5678 full"})");
    CHECK(m.blocks.size() <= 50);
    CHECK(m.blocks.back()["elements"][0]["action_id"] == "share_in_channel");
  }
}

TEST_CASE("help, unknown session, errors and the looking-up notice") {
  auto help = render_blocks(bot::help_reply{});
  REQUIRE(help.size() == 1);
  CHECK(help[0].blocks.dump().find("/session &lt;id&gt;") != std::string::npos);
  CHECK(help[0].blocks.dump().find("/session <id>") == std::string::npos);

  auto unknown = render_blocks(bot::unknown_session_reply{"nope12345678", {"nope12345679"}, 30});
  CHECK(unknown[0].blocks.dump().find("No session `nope12345678` in the last 30 days.") !=
        std::string::npos);

  auto error = render_blocks(bot::error_reply{"Bad id \"<!here>\"", true});
  CHECK(error[0].blocks.dump().find("<!here>") == std::string::npos);
  CHECK(error[0].blocks.dump().find("Usage:") != std::string::npos);

  auto notice = looking_up_message("abcd1234efgh5678");
  CHECK(notice.text == "Looking up abcd1234efgh5678\u2026");
}

TEST_CASE("escalation: its own code-block sections, split between items, never cut") {
  for (std::size_t section : {3000u, 400u, 200u}) {
    block_options o;
    o.limits.section_chars = section;
    const auto messages =
        render_blocks(bot::diagnosis_reply{test::escalation(), bot::view::summary}, o);
    check_limits(messages, o.limits);
    std::vector<std::string> code;
    for (const auto& m : messages)
      for (const auto& b : m.blocks)
        if (b["type"] == "section") {
          const std::string t = b["text"]["text"];
          if (t.find("```") == std::string::npos) continue;
          REQUIRE(t.size() >= 6);
          CHECK(t.substr(t.size() - 3) == "```");
          code.push_back(t);
        }
    INFO(section);
    CHECK(code.size() >= (section == 3000 ? 1u : 2u));
    std::string all;
    for (const auto& c : code) all += c + "\n";
    for (const char* t : {test::trace_a, test::trace_b}) CHECK(all.find(t) != std::string::npos);
    CHECK(all.find(std::string("route ") + test::long_route + ", status 502") != std::string::npos);
    CHECK(all.find("app 3.4.1, Chrome 124") != std::string::npos);
    CHECK(all.find("left out") == std::string::npos);
  }
}
