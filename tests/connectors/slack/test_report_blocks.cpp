#include "connectors/slack/report_blocks.hpp"

#include <catch2/catch.hpp>

using namespace sessiondx;

TEST_CASE("slack: a digest is posted as mrkdwn sections within Block Kit's limits", "[slack]") {
  std::string mrkdwn = "*sessiondx digest*\n";
  for (int i = 0; i < 200; ++i)
    mrkdwn += "\u2022 `js:" + std::to_string(i) + "` \u2014 3 sessions\n";
  const auto m = slack::report_message({"sessiondx digest", "plain", "md", mrkdwn});
  CHECK(m.text == "sessiondx digest");
  REQUIRE(m.blocks.size() >= 2);
  CHECK(m.blocks.size() <= 50);
  std::string joined;
  for (const auto& b : m.blocks) {
    CHECK(b["type"] == "section");
    CHECK(b["text"]["type"] == "mrkdwn");
    const std::string text = b["text"]["text"];
    CHECK(text.size() <= 3000);
    joined += text + "\n";
  }
  CHECK(joined == mrkdwn);  // cut only at line breaks, nothing lost
}
