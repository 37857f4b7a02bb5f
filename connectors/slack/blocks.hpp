#pragma once

// Block Kit emitter of the reply document (bot/render/reply.hpp) for Slack: a header, sections,
// a context line, and a plain-text fallback `text`; long replies (full, timeline) split across
// messages within Slack's limits. Only Block Kit mechanics live here; the wording is the
// document's. Customer text is escaped so it renders literally: it can never ping, link or
// format. Pure.

#include "bot/commands.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sessiondx::slack {

/// Slack's documented limits (chat.postMessage, Block Kit).
struct block_limits {
  std::size_t max_blocks = 50;       ///< blocks per message
  std::size_t section_chars = 3000;  ///< text of one section
  std::size_t header_chars = 150;    ///< plain text of a header block
  std::size_t text_chars = 40'000;   ///< top-level text; Slack truncates beyond it
};

struct block_options {
  block_limits limits;
  std::size_t summary_findings = 5;
  std::string example_id = "abcd1234efgh5678";
  /// Blocks the caller adds to each message afterwards (the ephemeral "Share" button).
  std::size_t reserved_blocks = 0;
  /// The render time (UTC epoch ms) for relative times in the customer line; 0 = unknown.
  std::int64_t now_ms = 0;
  /// The team's language (`bot.language`), see bot::render::render_options.
  std::string team_language = "en";
};

/// One chat.postMessage worth: `text` is the notification and accessibility fallback, `blocks`
/// a JSON array.
struct slack_message {
  std::string text;
  nlohmann::json blocks = nlohmann::json::array();
};

/// Text for a mrkdwn field: & < > become entities (no mention, channel ping or link can be
/// forged), * ~ ` become look-alikes and _ one too unless inside a word (no formatting), line
/// breaks and control characters are neutralised, and it is cut to `max_chars` with "…".
std::string mrkdwn_text(std::string_view customer_text, std::size_t max_chars);

/// Only & < > escaped: for our own text that may carry mrkdwn on purpose.
std::string escape_reserved(std::string_view text);

/// Renders `r` as one or more messages, each within `o.limits`.
std::vector<slack_message> render_blocks(const bot::reply& r, const block_options& o = {});

/// "Looking up <id>…", sent when a lookup takes longer than a moment.
slack_message looking_up_message(const std::string& session_id);

/// Appends an actions block with the "Share in channel" button (action_id share_in_channel).
void add_share_button(slack_message& m, const std::string& value);

}  // namespace sessiondx::slack
