#pragma once

// The reply document's inline text (render::rich) as Markdown, for every connector that writes
// a Markdown dialect: Discord embeds, Mattermost posts, Slack mrkdwn. One walk over the runs;
// the dialect says how bold is spelled, what the warning marker is and how each kind of run is
// escaped. Customer data is always neutralised (mentions broken, markup escaped).

#include "bot/render/reply.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace sessiondx::bot::render {

struct markdown_dialect {
  /// Opens and closes bold: "**" (CommonMark, Discord, Mattermost) or "*" (Slack mrkdwn).
  std::string_view strong = "**";
  /// The warning marker: ":warning:" where shortcodes render, an emoji where they stay text.
  std::string_view marker = ":warning:";
  /// Our own literal text; null: as is.
  std::string (*text)(std::string_view) = nullptr;
  /// Our own literal text as a code span; null: `text`.
  std::string (*code)(std::string_view) = nullptr;
  /// Customer data, cut to max_chars (0: no cut); null: neutralize(…, target::markdown, …).
  std::string (*data)(std::string_view, std::size_t max_chars) = nullptr;
};

/// `r` in `dialect`. Tokens that are plain (is_plain_token) become code spans, others data.
std::string markdown_of(const rich& r, const markdown_dialect& dialect = {});

/// `l.label`, a space, `l.value`.
std::string markdown_of(const labeled& l, const markdown_dialect& dialect = {});

}  // namespace sessiondx::bot::render
