#pragma once

// The Mattermost emitter of the reply document (bot/render/reply.hpp): Markdown posts within
// the server's message limit. Pure; no wording here.

#include "bot/commands.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace sessiondx::mattermost {

/// Mattermost's limits for one reply.
struct post_limits {
  /// Characters per post: PostMessageMaxRunesV2 (16,383 runes, model/post.go); servers on the
  /// old schema allow 4,000. text_length never counts fewer than runes, so this is safe.
  std::size_t message_chars = 16'383;
  /// Posts one reply may take; what does not fit is cut as whole items, with a note.
  std::size_t posts = 4;
};

struct markdown_options {
  post_limits limits;
  std::string example_id = "abcd1234efgh5678";
  std::size_t summary_findings = 5;
  std::int64_t now_ms = 0;
  std::string team_language = "en";
};

/// The reply as Markdown posts, in order (the first answers the command, the rest follow in the
/// same thread). Items - the header, each finding with its evidence, each timeline entry, the
/// customer line, the next step - are never split; the escalation is a fenced code block, split
/// between its items when it alone exceeds a post. When the posts run out, the items left are
/// cut with a note saying how many. @here, @channel and @all are neutralised everywhere.
std::vector<std::string> render_posts(const bot::reply& r, const markdown_options& o = {});

}  // namespace sessiondx::mattermost
