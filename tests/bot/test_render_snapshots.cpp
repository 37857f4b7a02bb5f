#include "bot/render/render.hpp"
#include "tests/bot/test_render_fixtures.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

// Each renderer's output is compared with a reviewed file under tests/bot/snapshots/. To accept a
// deliberate change, run with SESSIONDX_UPDATE_SNAPSHOTS=1, review the diff and commit it.

using namespace sessiondx;
using namespace sessiondx::bot::render;
using sessiondx::test::full;
using sessiondx::test::summary;
using sessiondx::test::timeline;

namespace {

bool updating() {
  const char* v = std::getenv("SESSIONDX_UPDATE_SNAPSHOTS");
  return v != nullptr && std::string_view(v) == "1";
}

void check_snapshot(const std::string& name, const std::string& actual) {
  std::filesystem::path path = std::filesystem::path(SESSIONDX_SNAPSHOT_DIR) / name;
  if (updating()) {
    std::ofstream(path, std::ios::binary) << actual;
    WARN("snapshot written: " << path);
    return;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) FAIL("missing snapshot " << path << " (run with SESSIONDX_UPDATE_SNAPSHOTS=1)");
  std::stringstream expected;
  expected << in.rdbuf();
  INFO("snapshot " << path);
  CHECK(actual == expected.str());
}

void check_all(const std::string& name, const bot::reply& r) {
  render_options o;
  o.now_ms = test::render_now;
  check_snapshot(name + ".txt", render_text(r, o));
  check_snapshot(name + ".md", render_markdown(r, o));
  check_snapshot(name + ".json", render_json(r, o));
}

}  // namespace

TEST_CASE("snapshot: broken checkout with a correlated 502", "[render][snapshot]") {
  check_all("broken_checkout.summary", summary(test::broken_checkout()));
  check_all("broken_checkout.timeline", timeline(test::broken_checkout()));
  check_all("broken_checkout.full", full(test::broken_checkout()));
}

TEST_CASE("snapshot: full view cut at a small limit", "[render][snapshot]") {
  render_options small;
  small.max_chars = 1000;
  small.now_ms = test::render_now;
  check_snapshot("broken_checkout.full.cut.md",
                 render_markdown(full(test::broken_checkout()), small));
}

TEST_CASE("snapshot: slow loading across midnight", "[render][snapshot]") {
  check_all("slow_loading.summary", summary(test::slow_loading()));
  check_all("slow_loading.timeline", timeline(test::slow_loading()));
}

TEST_CASE("snapshot: healthy session", "[render][snapshot]") {
  check_all("healthy.summary", summary(test::healthy()));
  check_all("healthy.full", full(test::healthy()));
}

TEST_CASE("snapshot: unknown session with similar ids", "[render][snapshot]") {
  check_all("unknown", test::unknown());
  check_all("unknown.none", bot::unknown_session_reply{"zzzz9999zzzz", {}, 0});
}

TEST_CASE("snapshot: hostile event text", "[render][snapshot]") {
  check_all("hostile.summary", summary(test::hostile()));
  check_all("hostile.full", full(test::hostile()));
}

TEST_CASE("snapshot: help and errors", "[render][snapshot]") {
  check_all("help", bot::help_reply{});
  bot::command_handler handler([](const std::string&) -> bot::diagnose_result { return {}; });
  check_all("error.bad_id", handler.handle({"U1", "C1", "/session `ab*c` <@U999> @here"}));
  check_all("error.unknown_command", handler.handle({"U1", "C1", "/sesion abcd1234efgh5678"}));
}

TEST_CASE("snapshot: the longest realistic escalation, whole", "[render][snapshot][escalation]") {
  check_all("escalation.summary", summary(test::escalation()));
  check_all("escalation.full", full(test::escalation()));
}

TEST_CASE("snapshot: escalation items dropped whole under a forced cut",
          "[render][snapshot][escalation]") {
  render_options small;
  small.max_chars = 1100;
  small.now_ms = test::render_now;
  check_snapshot("escalation.summary.cut.md", render_markdown(summary(test::escalation()), small));
  check_snapshot("escalation.summary.cut.txt", render_text(summary(test::escalation()), small));
  small.max_chars = 600;  // not even the escalation fits whole: items go, with a note
  check_snapshot("escalation.summary.cut_items.md",
                 render_markdown(summary(test::escalation()), small));
}

TEST_CASE("snapshot: the customer line follows the team language when the locale has no catalog",
          "[render][snapshot]") {
  auto d = test::broken_checkout();
  d.context.locale = "pt-BR";
  render_options o;
  o.now_ms = test::render_now;
  o.team_language = "nl";
  check_snapshot("broken_checkout.summary.team_nl.md", render_markdown(summary(d), o));
}

TEST_CASE("snapshot: replies with bot.language = fr", "[render][snapshot][i18n]") {
  render_options o;
  o.now_ms = test::render_now;
  o.team_language = "fr";
  check_snapshot("broken_checkout.full.team_fr.md",
                 render_markdown(full(test::broken_checkout()), o));
  check_snapshot("escalation.summary.team_fr.txt", render_text(summary(test::escalation()), o));
  check_snapshot("help.team_fr.txt", render_text(bot::help_reply{}, o));
  check_snapshot(
      "unknown.team_fr.txt",
      render_text(bot::unknown_session_reply{"abcd1234efgh5678", {"abcd1234efgh567B"}, 30}, o));
  o.max_chars = 600;  // the cut note and the left-out note in French too
  check_snapshot("escalation.summary.cut_items.team_fr.md",
                 render_markdown(summary(test::escalation()), o));
}
