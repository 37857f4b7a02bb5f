#include "connectors/slack/blocks.hpp"
#include "tests/bot/test_render_fixtures.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

// Slack Block Kit output compared with reviewed files under tests/bot/snapshots/ (*.slack.json),
// taken from the same fixtures as the text, Markdown and JSON snapshots. To accept a deliberate
// change, run with SESSIONDX_UPDATE_SNAPSHOTS=1, review the diff and commit it.

using namespace sessiondx;
using namespace sessiondx::slack;
using sessiondx::test::full;
using sessiondx::test::summary;
using sessiondx::test::timeline;

namespace {

bool updating() {
  const char* v = std::getenv("SESSIONDX_UPDATE_SNAPSHOTS");
  return v != nullptr && std::string_view(v) == "1";
}

std::string dump(const std::vector<slack_message>& messages) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& m : messages) out.push_back({{"text", m.text}, {"blocks", m.blocks}});
  return out.dump(2) + "\n";
}

void check_snapshot(const std::string& name, const std::vector<slack_message>& messages) {
  const std::string actual = dump(messages);
  std::filesystem::path path =
      std::filesystem::path(SESSIONDX_SNAPSHOT_DIR) / (name + ".slack.json");
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

void check_slack(const std::string& name, const bot::reply& r) {
  block_options o;
  o.now_ms = test::render_now;
  check_snapshot(name, render_blocks(r, o));
}

}  // namespace

TEST_CASE("slack snapshot: broken checkout", "[slack][snapshot]") {
  check_slack("broken_checkout.summary", summary(test::broken_checkout()));
  check_slack("broken_checkout.timeline", timeline(test::broken_checkout()));
  check_slack("broken_checkout.full", full(test::broken_checkout()));
}

TEST_CASE("slack snapshot: full view within small limits", "[slack][snapshot]") {
  block_options small;
  small.limits.max_blocks = 4;
  small.limits.section_chars = 400;
  small.reserved_blocks = 1;
  small.now_ms = test::render_now;
  check_snapshot("broken_checkout.full.small", render_blocks(full(test::broken_checkout()), small));
}

TEST_CASE("slack snapshot: slow loading, healthy, unknown", "[slack][snapshot]") {
  check_slack("slow_loading.summary", summary(test::slow_loading()));
  check_slack("slow_loading.timeline", timeline(test::slow_loading()));
  check_slack("healthy.summary", summary(test::healthy()));
  check_slack("healthy.full", full(test::healthy()));
  check_slack("unknown", test::unknown());
  check_slack("unknown.none", bot::unknown_session_reply{"zzzz9999zzzz", {}, 0});
}

TEST_CASE("slack snapshot: hostile event text", "[slack][snapshot]") {
  check_slack("hostile.summary", summary(test::hostile()));
  check_slack("hostile.full", full(test::hostile()));
}

TEST_CASE("slack snapshot: help and errors", "[slack][snapshot]") {
  check_slack("help", bot::help_reply{});
  bot::command_handler handler([](const std::string&) -> bot::diagnose_result { return {}; });
  check_slack("error.bad_id", handler.handle({"U1", "C1", "/session `ab*c` <@U999> @here"}));
  check_slack("error.unknown_command", handler.handle({"U1", "C1", "/sesion abcd1234efgh5678"}));
  check_snapshot("looking_up", {looking_up_message("abcd1234efgh5678")});
}

TEST_CASE("slack snapshot: the longest realistic escalation", "[slack][snapshot]") {
  check_slack("escalation.summary", summary(test::escalation()));
  check_slack("escalation.full", full(test::escalation()));
}
