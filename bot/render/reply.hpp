#pragma once

// The reply document: one platform-neutral shape of every answer, built once by build_reply()
// from a bot::reply. All wording, plurals, counts and time formatting happen here; an emitter
// (plain text, Markdown, Slack Block Kit, Discord embeds, Mattermost...) only maps the document
// onto its platform's format and limits.
//
// How a new platform emits it:
//  1. Build: `auto doc = build_reply(reply, options)`. Pure; `options.now_ms` is the clock.
//  2. Inline text is `rich`: a list of `run`s. Map each kind to your format:
//       text   our own wording, no markup: escape only what your platform reserves;
//       code   our own literal (commands, times): a code span if you have one;
//       data   customer/event text: neutralise it (bot/render/neutralize.hpp or your own
//              escaper) and cut it to `max_chars` — it can never ping, link or format;
//       token  an id from data: a code span when is_plain_token(text), else as data (100);
//       marker the "part of a finding" sign ("!" in text, :warning: on Slack).
//     `strong` runs that follow each other form one bold span (open once, close once).
//     `emit_plain()` below gives the plain-text form (headers, notifications).
//  3. Lay the parts out. The emitters here use this order, which suits any chat:
//       summary:  title + facts, headline, notes | findings (summary lines) + more, or
//                 empty_note + checked | customer | next_step | escalation | context
//       timeline: title + facts, headline, notes | timeline | context
//       full:     title + facts, headline, notes | customer | context | next_step | escalation
//                 | findings (details + evidence) or empty_note | checked | timeline
//       other kinds (unknown session, help, error): body lines, then footer lines.
//     `fallback` is the one-line notification / accessibility text.
//  4. Limits are yours: cut whole items (findings, evidence, timeline entries, escalation items),
//     never inside a run, and say what was cut with more_note() / cut_note() / left_out_note().
//     Split the escalation across blocks rather than cutting it; if you must cut, drop whole
//     escalation items from the end and add left_out_note(n).
//  5. `actions` are buttons an ephemeral reply can offer ("Share in channel").

#include "bot/commands.hpp"
#include "bot/render/neutralize.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sessiondx::bot::render {

struct run {
  enum class kind : std::uint8_t { text, code, data, token, marker };
  run::kind kind = kind::text;
  std::string text;
  bool strong = false;
  std::size_t max_chars = 0;  ///< data: neutralise and cut to this many characters (0 = none)
};

/// A line of inline text.
struct rich {
  std::vector<run> runs;

  bool empty() const { return runs.empty(); }
  rich& text(std::string s, bool strong = false);
  rich& code(std::string s, bool strong = false);
  rich& data(std::string s, std::size_t max_chars = summary_field_chars, bool strong = false);
  rich& token(std::string s, bool strong = false);
  rich& marker();
  rich& append(const rich& r);
};

/// `r` with every run strong (bold).
rich strong(rich r);

/// `parts` without the empty ones, separated by `sep` (our own text).
rich join(const std::vector<rich>& parts, std::string_view sep);

/// "label value" where the label is bold our own text ("Next step:").
struct labeled {
  rich label;
  rich value;
  bool empty() const { return value.empty(); }
};

struct finding_item {
  rich title;                  ///< data
  rich labels;                 ///< "critical · backend"
  rich seen;                   ///< summary: "×3 from 10:02:33 UTC", "at 10:00:20 UTC"
  rich blast;                  ///< "41 other sessions since …", empty when unknown
  std::vector<rich> details;   ///< full: "critical · backend · rule r", "Threshold: …", …
  std::vector<rich> evidence;  ///< full: "`10:02:33` http_request — POST …" (no bullet)
};

struct timeline_item {
  bool problem = false;  ///< part of a finding: emitters put a marker run in front
  rich line;             ///< "`10:02:33` http_request — POST /api/payment -> 502 in 812 ms"
};

/// The customer line, worded for the customer in their language.
struct customer_block {
  rich label;                 ///< "For the customer (français):"
  std::string language;       ///< BCP 47 tag of `text` ("fr"), "" when not localised
  std::string language_name;  ///< "français" (endonym)
  std::string text;           ///< our own text, plain; emitters escape it like `text` runs
  bool empty() const { return text.empty(); }
};

/// What engineering needs, complete: emitters show it as one copyable block (a code block where
/// the platform has one) and never cut inside an item.
struct escalation_block {
  rich label;                      ///< "Escalate to engineering with:"
  std::vector<std::string> items;  ///< "session …", "POST /api/payment -> 502", "trace_id …"
  bool empty() const { return items.empty(); }
};

inline constexpr std::string_view share_in_channel_label = "Share in channel";

struct action {
  std::string id;     ///< "share_in_channel"
  std::string label;  ///< "Share in channel"
};

enum class document_kind { diagnosis, unknown_session, help, error };

struct reply_document {
  document_kind kind = document_kind::error;
  bot::view view = view::summary;  ///< diagnosis only
  std::string session_id;          ///< the id the reply is about ("" for help and errors)
  /// The catalog language of the agent-facing text (bot.language, "en" when not shipped): pass
  /// it to cut_note(), left_out_note() and part_note() so notes match the reply.
  std::string language = "en";

  rich title;               ///< "Session `id`: broken" (strong)
  std::string plain_title;  ///< the title as plain text for headers ("Session id: broken")
  std::vector<rich> facts;  ///< "2024-05-03 10:00:12–10:14:40 UTC", "212 events"
  rich headline;            ///< data
  std::vector<rich> notes;  ///< "Only the most recent events of this session were analysed."

  rich findings_heading;               ///< "Findings (7)"
  std::vector<finding_item> findings;  ///< summary: the first summary_findings; full: all
  rich more_findings;                  ///< "2 more findings: `/session id full`"
  rich empty_note;                     ///< "No problems found."
  labeled checked;                     ///< "Checked: …"

  customer_block customer;
  labeled next_step;
  escalation_block escalation;
  labeled context;                  ///< "Context: browser · os · …"
  std::vector<rich> context_items;  ///< the same, one item each (for context blocks)

  rich timeline_heading;  ///< "Timeline (UTC; ! = part of a finding)"
  std::vector<timeline_item> timeline;
  rich timeline_empty;  ///< "No key events."

  std::vector<rich> body;    ///< unknown session, help, error: the lines
  std::vector<rich> footer;  ///< help: examples and hints (small print)

  std::vector<action> actions;
  rich fallback;  ///< one line for notifications
};

struct reply_options {
  std::size_t summary_findings = 5;
  std::string example_id = "abcd1234efgh5678";
  std::int64_t now_ms = 0;           ///< the render time, for relative times ("a few minutes ago")
  std::string team_language = "en";  ///< bot.language: agent-facing text
};

reply_document build_reply(const reply& r, const reply_options& options = {});

/// The plain text of `r`: data neutralised for plain text; tokens that are not plain tokens
/// become `unusual` when non-empty.
std::string emit_plain(const rich& r, std::string_view unusual = {});

// ---- notes about cuts, worded here so every emitter says the same ----

/// "… cut at 4,000 characters: 12 more lines; use `sessiondx diagnose id` for everything"
/// `language`: the team language (reply_document::language), English by default.
rich cut_note(std::size_t max_chars, std::size_t lines_left_out, const std::string& session_id,
              std::string_view language = "en");
/// "3 more findings not shown", "12 more timeline entries not shown"
rich more_note(std::size_t n, std::string_view one, std::string_view many);
/// "2 items left out" (escalation)
rich left_out_note(std::size_t n, std::string_view language = "en");
/// An escalation item for a code block: neutralised as plain text (no control characters, no
/// line breaks, no mentions), backticks replaced by a look-alike so it cannot close the block.
/// Emitters that need entities (Slack) escape the result further.
std::string block_text(std::string_view item);
/// " (part 2 of 3)"
std::string part_note(std::size_t part, std::size_t parts, std::string_view language = "en");

/// The items of the escalation block, in order, each whole: "session …", the problem, "then …"
/// (the linked symptom), the time window, "trace_id a, b", "issue key …", the blast radius,
/// "app 3.4.1, Chrome 124". Empty for an empty escalation. Data: emitters neutralise them
/// (block_text).
std::vector<std::string> escalation_items(const escalation& e);

/// "1,234 events": a count and its noun in the team language.
std::string count_of(std::int64_t n, std::string_view one, std::string_view many);

}  // namespace sessiondx::bot::render
