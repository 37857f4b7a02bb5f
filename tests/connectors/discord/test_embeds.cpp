#include "bot/render/limits.hpp"
#include "connectors/discord/messages.hpp"
#include "tests/bot/test_render_fixtures.hpp"
#include "tests/support/snapshot.hpp"

#include <catch2/catch.hpp>

// Discord embeds emitted from the reply document: snapshots of rich replies (reviewed files
// under tests/bot/snapshots/, *.discord.json) and every documented limit on every fixture.

using namespace sessiondx;
using namespace sessiondx::discord;
using json = nlohmann::json;
using sessiondx::test::full;
using sessiondx::test::summary;
using sessiondx::test::timeline;

namespace {

embed_options at_render_time() {
  embed_options o;
  o.now_ms = test::render_now;
  return o;
}

void check_discord(const std::string& name, const bot::reply& r,
                   const embed_options& o = at_render_time()) {
  test::check_snapshot_file(
      std::filesystem::path(SESSIONDX_SNAPSHOT_DIR) / (name + ".discord.json"),
      json(render_embeds(r, o)).dump(2) + "\n");
}

/// Every limit of `l` holds on every message.
void check_limits(const std::vector<json>& messages, const embed_limits& l) {
  REQUIRE_FALSE(messages.empty());
  CHECK(messages.size() <= l.messages);
  for (const auto& m : messages) {
    CHECK(m["allowed_mentions"] == json{{"parse", json::array()}});
    CHECK(m["embeds"].size() >= 1);
    CHECK(m["embeds"].size() <= l.embeds);
    CHECK(embed_chars(m) <= l.total);
    for (const auto& e : m["embeds"]) {
      if (e.contains("title"))
        CHECK(bot::render::text_length(e["title"].get<std::string>()) <= l.title);
      if (e.contains("description"))
        CHECK(bot::render::text_length(e["description"].get<std::string>()) <= l.description);
      if (e.contains("footer"))
        CHECK(bot::render::text_length(e["footer"]["text"].get<std::string>()) <= l.footer);
      if (!e.contains("fields")) continue;
      CHECK(e["fields"].size() <= l.fields);
      for (const auto& f : e["fields"]) {
        CHECK(bot::render::text_length(f["name"].get<std::string>()) <= l.field_name);
        const auto value = f["value"].get<std::string>();
        CHECK(bot::render::text_length(value) <= l.field_value);
        CHECK_FALSE(value.empty());
      }
    }
  }
}

std::string all_text(const std::vector<json>& messages) { return json(messages).dump(); }

bot::diagnosis many_findings(int n) {
  bot::diagnosis d = test::broken_checkout();
  const auto first = d.findings.front();
  d.findings.clear();
  for (int i = 0; i < n; ++i) {
    auto f = first;
    f.title = "Payment API failed, variant " + std::to_string(i) + " " + std::string(150, 'x');
    d.findings.push_back(f);
  }
  for (int i = 0; i < 20 * n; ++i) d.timeline.push_back(d.timeline.front());
  return d;
}

}  // namespace

TEST_CASE("discord snapshot: a rich reply in every view", "[discord][snapshot]") {
  check_discord("escalation.summary", summary(test::escalation()));
  check_discord("broken_checkout.full", full(test::broken_checkout()));
  check_discord("broken_checkout.timeline", timeline(test::broken_checkout()));
  check_discord("hostile.summary", summary(test::hostile()));
  check_discord("help", bot::help_reply{});
}

TEST_CASE("discord snapshot: a full view within small limits cuts whole items with a note",
          "[discord][snapshot]") {
  embed_options o = at_render_time();
  o.limits.total = 1500;
  o.limits.description = 600;
  o.limits.field_value = 300;
  o.limits.embeds = 2;
  o.limits.messages = 2;
  const auto messages = render_embeds(full(test::broken_checkout()), o);
  check_limits(messages, o.limits);
  // The note names the command that shows everything.
  CHECK(all_text(messages).find("sessiondx diagnose chk0ut7a9b2c4d6e") != std::string::npos);
  check_discord("broken_checkout.full.small", full(test::broken_checkout()), o);
}

TEST_CASE("discord embeds: the documented limits hold for every fixture and view") {
  const embed_limits documented;
  CHECK(documented.title == 256);
  CHECK(documented.description == 4096);
  CHECK(documented.fields == 25);
  CHECK(documented.field_value == 1024);
  CHECK(documented.footer == 2048);
  CHECK(documented.total == 6000);
  CHECK(documented.embeds == 10);
  for (const auto& d : {test::broken_checkout(), test::slow_loading(), test::healthy(),
                        test::hostile(), test::escalation(), many_findings(40)}) {
    for (const auto& r : {summary(d), timeline(d), full(d)})
      check_limits(render_embeds(r), documented);
  }
  check_limits(render_embeds(test::unknown()), documented);
}

TEST_CASE("discord embeds: a reply larger than its messages is cut between items, with a note") {
  embed_options o;
  const auto messages = render_embeds(full(many_findings(60)), o);
  check_limits(messages, o.limits);
  CHECK(messages.size() == o.limits.messages);
  const auto& last = messages.back()["embeds"].back()["description"].get<std::string>();
  CHECK(last.find("cut at") != std::string::npos);
  CHECK(last.find("more lines") != std::string::npos);
}

TEST_CASE("discord embeds: the escalation is a copyable code block, split only between items") {
  const auto messages = render_embeds(summary(test::escalation()));
  std::vector<json> escalation;
  for (const auto& e : messages[0]["embeds"])
    for (const auto& f : e.value("fields", json::array()))
      if (f["value"].get<std::string>().rfind("```\n", 0) == 0) escalation.push_back(f);
  REQUIRE(escalation.size() >= 1);
  for (const auto& f : escalation) {
    const auto v = f["value"].get<std::string>();
    CHECK(v.substr(v.size() - 4) == "\n```");
  }
  CHECK(escalation[0]["value"].get<std::string>().find("session esc4l4t10n0long") !=
        std::string::npos);

  embed_options narrow;
  narrow.limits.field_value = 300;
  std::size_t parts = 0;
  for (const auto& m : render_embeds(summary(test::escalation()), narrow))
    for (const auto& e : m["embeds"])
      for (const auto& f : e.value("fields", json::array()))
        if (f["value"].get<std::string>().rfind("```\n", 0) == 0) {
          ++parts;
          const auto v = f["value"].get<std::string>();
          CHECK(bot::render::text_length(v) <= 300);
          CHECK(v.substr(v.size() - 4) == "\n```");
          CHECK(f["name"].get<std::string>().find("(part ") != std::string::npos);
        }
  CHECK(parts > 1);
}

TEST_CASE("discord embeds: event text pings no one and formats nothing") {
  const auto text = all_text(render_embeds(full(test::hostile())));
  CHECK(text.find("@everyone") == std::string::npos);
  CHECK(text.find("@here") == std::string::npos);
  CHECK(text.find("<@") == std::string::npos);
}
