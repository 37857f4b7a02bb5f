#include "bot/render/limits.hpp"
#include "connectors/mattermost/markdown.hpp"
#include "tests/bot/test_render_fixtures.hpp"
#include "tests/support/snapshot.hpp"

#include <catch2/catch.hpp>

// Mattermost posts emitted from the reply document: snapshots of rich replies (reviewed files
// under tests/bot/snapshots/, *.mattermost.md) and the message limit on every fixture.

using namespace sessiondx;
using namespace sessiondx::mattermost;
using sessiondx::test::full;
using sessiondx::test::summary;
using sessiondx::test::timeline;

namespace {

markdown_options at_render_time() {
  markdown_options o;
  o.now_ms = test::render_now;
  return o;
}

std::string joined(const std::vector<std::string>& posts) {
  std::string out;
  for (std::size_t i = 0; i < posts.size(); ++i)
    out += (i == 0 ? "" : "\n----- next post -----\n") + posts[i];
  return out + "\n";
}

void check_mattermost(const std::string& name, const bot::reply& r,
                      const markdown_options& o = at_render_time()) {
  test::check_snapshot_file(
      std::filesystem::path(SESSIONDX_SNAPSHOT_DIR) / (name + ".mattermost.md"),
      joined(render_posts(r, o)));
}

bot::diagnosis long_timeline(int n) {
  bot::diagnosis d = test::broken_checkout();
  for (int i = 0; i < n; ++i) d.timeline.push_back(d.timeline.front());
  return d;
}

}  // namespace

TEST_CASE("mattermost snapshot: a rich reply in every view", "[mattermost][snapshot]") {
  check_mattermost("escalation.summary", summary(test::escalation()));
  check_mattermost("broken_checkout.full", full(test::broken_checkout()));
  check_mattermost("broken_checkout.timeline", timeline(test::broken_checkout()));
  check_mattermost("hostile.summary", summary(test::hostile()));
  check_mattermost("help", bot::help_reply{});
}

TEST_CASE("mattermost snapshot: within a small limit, whole items and a note",
          "[mattermost][snapshot]") {
  markdown_options o = at_render_time();
  o.limits.message_chars = 900;
  o.limits.posts = 2;
  const auto posts = render_posts(full(test::broken_checkout()), o);
  REQUIRE(posts.size() == 2);
  for (const auto& p : posts) CHECK(bot::render::text_length(p) <= 900);
  CHECK(posts.back().find("sessiondx diagnose chk0ut7a9b2c4d6e") != std::string::npos);
  check_mattermost("broken_checkout.full.small", full(test::broken_checkout()), o);
}

TEST_CASE("mattermost posts: the server's limit holds for every fixture and view") {
  const post_limits documented;
  CHECK(documented.message_chars == 16'383);
  for (const auto& d : {test::broken_checkout(), test::slow_loading(), test::healthy(),
                        test::hostile(), test::escalation(), long_timeline(400)}) {
    for (const auto& r : {summary(d), timeline(d), full(d)}) {
      const auto posts = render_posts(r);
      REQUIRE_FALSE(posts.empty());
      CHECK(posts.size() <= documented.posts);
      for (const auto& p : posts) CHECK(bot::render::text_length(p) <= documented.message_chars);
    }
  }
  // The old-schema limit: the long timeline takes several posts, every entry whole.
  markdown_options old;
  old.limits.message_chars = 4000;
  const auto posts = render_posts(timeline(long_timeline(1000)), old);
  CHECK(posts.size() == old.limits.posts);
  for (const auto& p : posts) {
    CHECK(bot::render::text_length(p) <= 4000);
    CHECK(p.back() != '-');
  }
  CHECK(posts.back().find("more lines") != std::string::npos);
}

TEST_CASE("mattermost posts: the escalation is a fenced block, split only between items") {
  const auto one = render_posts(summary(test::escalation()));
  REQUIRE(one.size() == 1);
  CHECK(one[0].find("```\nsession esc4l4t10n0long\n") != std::string::npos);
  markdown_options narrow;
  narrow.limits.message_chars = 400;
  narrow.limits.posts = 10;
  std::size_t fences = 0;
  for (const auto& p : render_posts(summary(test::escalation()), narrow)) {
    CHECK(bot::render::text_length(p) <= 400);
    std::size_t at = 0, in_post = 0;
    while ((at = p.find("```", at)) != std::string::npos) {
      ++in_post;
      at += 3;
    }
    CHECK(in_post % 2 == 0);  // every block opened in a post is closed in it
    fences += in_post;
  }
  CHECK(fences >= 4);  // the escalation took at least two blocks
}

TEST_CASE("mattermost posts: no text can ping a channel") {
  for (const auto& p : render_posts(full(test::hostile()))) {
    CHECK(p.find("@here") == std::string::npos);
    CHECK(p.find("@channel") == std::string::npos);
    CHECK(p.find("@all") == std::string::npos);
    CHECK(p.find("@everyone") == std::string::npos);
  }
}
